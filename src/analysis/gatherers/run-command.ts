import { execFile } from 'node:child_process';

/**
 * Runs a read-only command with a fixed argv (no shell: nothing from an alert can become a command), bounded in time
 * and output. Resolves with stdout; rejects when it cannot run or exits non-zero.
 */
export function runReadOnly(file: string, args: readonly string[], options: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs, maxBuffer: options.maxBytes ?? 512 * 1024, env: { ...process.env, LC_ALL: 'C', SYSTEMD_PAGER: '' }, ...(options.signal ? { signal: options.signal } : {}) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args[0] ?? ''}: ${(stderr || err.message).trim().split('\n')[0]?.slice(0, 200) ?? 'failed'}`));
        else resolve(stdout);
      },
    );
  });
}
