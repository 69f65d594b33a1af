import { lstat, readFile, realpath } from 'node:fs/promises';
import type { PathStat } from '../model/cleanup-roots.js';
import { readSmallFile } from '../model/read-small-file.js';
import { gatherDisk } from './gatherers/disk.js';
import { gatherKernelLog } from './gatherers/kernel-log.js';
import { gatherLogs } from './gatherers/logs.js';
import { parseMeminfo } from './gatherers/memory.js';
import { gatherProcesses, type ProcessFilter } from './gatherers/processes.js';
import { gatherUnit } from './gatherers/systemd-unit.js';
import type { DiskSnapshot, KernelLogSnapshot, LogSnapshot, MemorySnapshot, ProcessSnapshot, UnitStatus } from './types.js';

/**
 * Everything the analysis reads from the machine it runs on: the gatherers' views (processes, disks, memory, logs,
 * the kernel log, a systemd unit) and the raw facts the proposal checks re-read (a PID's /proc files, a path's
 * lstat). Real runs use LIVE_MACHINE; the eval replays a recorded machine (eval/recorded-machine.ts) through the
 * same rules and checks, so a recorded PID or path is checked exactly as a live one would be.
 */
export interface MachineView {
  readonly kind: 'live' | 'recorded';
  processes(options: { sampleMs: number; top: number; filter: ProcessFilter; bySwap?: boolean; signal?: AbortSignal }): Promise<ProcessSnapshot>;
  disk(options: { roots: string[]; olderThanDays: number; maxEntries: number; timeoutMs: number }): Promise<DiskSnapshot>;
  memory(): Promise<MemorySnapshot>;
  logs(options: { minutes: number; maxLines: number; logFiles: string[]; timeoutMs: number; signal?: AbortSignal }): Promise<LogSnapshot>;
  kernelLog(options: { minutes: number; maxLines: number; timeoutMs: number; signal?: AbortSignal }): Promise<KernelLogSnapshot>;
  unit(name: string, options: { timeoutMs: number; maxLines: number; signal?: AbortSignal }): Promise<UnitStatus>;
  /** A small text file of the system (/proc/PID/stat, /proc/self/cgroup, /etc/passwd); undefined when unreadable. */
  readText(path: string, maxBytes?: number): Promise<string | undefined>;
  /** A file whose path another user may control (a package.json beside a process's script): readSmallFile's rules. */
  readUntrusted(path: string): Promise<string | undefined>;
  /** Throws like fs.realpath (ENOENT…). */
  realpath(path: string): Promise<string>;
  /** Throws like fs.lstat. */
  lstat(path: string): Promise<PathStat>;
  /** The agent's effective uid (who may own a cleanup root). */
  agentUid(): number;
}

async function readText(path: string, maxBytes = 65_536): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return text.length > maxBytes ? text.slice(0, maxBytes) : text;
  } catch {
    return undefined;
  }
}

/** The machine this process runs on. */
export const LIVE_MACHINE: MachineView = {
  kind: 'live',
  processes: (o) => gatherProcesses(o),
  disk: (o) => gatherDisk(o),
  memory: async () => parseMeminfo(await readFile('/proc/meminfo', 'utf8')),
  logs: (o) => gatherLogs(o),
  kernelLog: (o) => gatherKernelLog(o),
  unit: (name, o) => gatherUnit(name, o),
  readText,
  readUntrusted: (p) => readSmallFile(p),
  realpath: (p) => realpath(p),
  lstat: async (p) => {
    const st = await lstat(p);
    return { isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink(), uid: st.uid, mode: st.mode };
  },
  agentUid: () => process.geteuid?.() ?? 0,
};
