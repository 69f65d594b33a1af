import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CLI } from './cli.js';

/**
 * `node dist/src/cli.js run --config <file>` as an operator (or systemd) starts it, with its output captured. Unlike
 * scenario-daemon.ts it takes the config as written (any database URL) and can run as another user (uid/gid: how a
 * test running as root meets a file its daemon may not write). Killed with SIGKILL when the test finishes.
 */
export interface DaemonProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>;
  /** The API URL from the "opsagent started" line; throws with the output when it exited before. */
  started(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
}

/** `program`: what to run (default dist/src/cli.js; dist/bin/opsagent.js is the shipped program, as npm installs it). */
export function spawnDaemon(configPath: string, options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; program?: string } = {}): DaemonProcess {
  const program = options.program ?? CLI;
  if (!existsSync(program)) throw new Error(`${program} is missing: run "npm run build" (npm test does it)`);
  const child = spawn(process.execPath, [program, '--config', configPath, 'run'], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPSAGENT_CONFIG: '', OPSAGENT_DB_URL: '', CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const started = async (timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const url = /"url":"(http:[^"]+)"[^\n]*opsagent started/.exec(out)?.[1];
      if (url) return url;
      if (child.exitCode !== null) throw new Error(`opsagent run exited with ${child.exitCode} before starting:\n${out}`);
      if (Date.now() > deadline) throw new Error(`opsagent run did not start within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const terminate = async () => {
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, ms: Date.now() - t0 };
  };
  return { child, output: () => out, exited, started, terminate };
}
