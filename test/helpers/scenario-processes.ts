import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { waitFor } from './scenario-daemon.js';

/**
 * The real workloads of the scenarios: child processes with a chosen process name (comm, via process.title, which
 * is what apps.plugin groups by and what kill_process checks), and a directory of real files with old mtimes.
 * Every child is SIGKILLed when the test finishes; nothing outside the test's own children and temp dirs is touched.
 */

export interface NamedProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves with the signal that ended it (or null on a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
  alive(): boolean;
}

/**
 * Runs `body` in a Node child whose process name is `name` from its first instruction: node is executed through a
 * symlink called `name` (the kernel takes comm from it). Setting only process.title renames it only once node has
 * booted; on a loaded machine apps.plugin then sometimes never charted it under its new name (the alarm stayed CLEAR).
 * Resolves once the child printed "ready".
 */
export async function spawnNamed(name: string, body: string): Promise<NamedProcess> {
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(name)) throw new Error(`bad process name ${name}`);
  const bin = mkdtempSync(join(tmpdir(), 'opsagent-scenario-bin-'));
  onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
  symlinkSync(process.execPath, join(bin, name));
  const script = `process.title = ${JSON.stringify(name)};\n${body}`;
  const child = spawn(join(bin, name), ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  onTestFinished(() => {
    if (alive()) child.kill('SIGKILL');
  });
  await waitFor(`${name} to start`, () => {
    if (!alive()) throw new Error(`${name} exited early`);
    return out.includes('ready');
  }, 15_000);
  return { pid: child.pid!, child, exited, alive };
}

/** A process named buggy-app spinning one core at 100% (a runaway loop). SIGTERM ends it (Node's default). */
export function startCpuBurner(name = 'buggy-app'): Promise<NamedProcess> {
  return spawnNamed(name, `console.log('ready');\nfor (;;) { /* runaway loop */ }`);
}

/** A process named api-server that allocates and holds `mib` MiB of resident memory (every page written). */
export function startMemoryHog(mib: number, name = 'api-server'): Promise<NamedProcess> {
  return spawnNamed(
    name,
    `globalThis.leak = [];\nfor (let i = 0; i < ${Math.floor(mib / 16)}; i++) globalThis.leak.push(Buffer.alloc(16 * 1024 * 1024, i % 251));\n` +
      `console.log('ready');\nsetInterval(() => undefined, 1000);`,
  );
}

/** Resident memory of a PID in MiB from /proc/PID/status (VmRSS); 0 once it is gone. */
export function rssMiB(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((10 * Number(kb)) / 1024) / 10 : 0;
  } catch {
    return 0;
  }
}

/** CPU ticks (utime + stime) of a PID from /proc/PID/stat, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on; comm may hold spaces
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15
  } catch {
    return undefined;
  }
}

/** A sampler of a PID's CPU in % of one core since the previous call (USER_HZ = 100 on Linux); 0 once it is gone. */
export function cpuPercentSampler(pid: number): () => number {
  let last = { ticks: cpuTicks(pid), at: performance.now() };
  let value = 0;
  return () => {
    const now = { ticks: cpuTicks(pid), at: performance.now() };
    if (now.ticks === undefined) return (value = 0);
    const seconds = (now.at - last.at) / 1000;
    if (seconds < 0.5) return value; // too short to measure in 10 ms ticks
    value = last.ticks === undefined ? 0 : Math.round(((now.ticks - last.ticks) / seconds) * 10) / 10;
    last = now;
    return value;
  };
}

/** Writes `count` files of `bytes` each under dir/sub, with mtime `ageDays` in the past. */
export function writeFiles(dir: string, sub: string, count: number, bytes: number, ageDays: number): void {
  const where = join(dir, sub);
  mkdirSync(where, { recursive: true });
  const when = new Date(Date.now() - ageDays * 86_400_000);
  const block = Buffer.alloc(bytes, 0x61);
  for (let i = 0; i < count; i++) {
    const file = join(where, `file-${i}.tmp`);
    writeFileSync(file, block);
    if (ageDays > 0) utimesSync(file, when, when);
  }
}

/** Bytes of the regular files under dir (a real measurement of the directory, like `du --apparent-size`). */
export function directoryBytes(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of entries) {
      const p = join(d, name);
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) stack.push(p);
        else if (st.isFile()) total += st.size;
      } catch {
        // deleted while we looked: not counted
      }
    }
  }
  return total;
}

/** Every `intervalMs`, measures and pushes a gauge until stopped (also stopped when the test finishes). */
export function startGaugePusher(push: (value: number) => Promise<void>, measure: () => number, intervalMs = 1_000): { stop(): void; last(): number } {
  let last = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    last = measure();
    push(last).catch(() => undefined);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  onTestFinished(stop);
  return { stop, last: () => last };
}
