import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export function procStatusMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | null {
  if (!pid) return null;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

export interface ChildDaemon {
  child: ChildProcess;
  base: string;
  dir: string;
  /** ms from spawn to the first 200 of /healthz */
  startupMs: number;
  stop(): Promise<void>;
}

/** `opsagent run` as a user starts it (the shipped bundle, as the npm bin runs it, a config file), on a temp database and a free port. */
export async function startChildDaemon(extraYaml = ''): Promise<ChildDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-bench-daemon-'));
  const port = await freePort();
  const config = join(dir, 'opsagent.yaml');
  writeFileSync(config, `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'bench.db')}" }\nserver: { host: "127.0.0.1", port: ${port} }\n${extraYaml}`);
  const started = performance.now();
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/bin/opsagent.js'), 'run', '--config', config], {
    cwd: dir,
    env: { ...process.env, OPSAGENT_LOG_LEVEL: 'warn', CI: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4_000) stderr += d.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`benchmark: opsagent exited during start: ${stderr}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('benchmark: opsagent did not answer /healthz within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = Math.round(performance.now() - started);
  return {
    child,
    base,
    dir,
    startupMs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
