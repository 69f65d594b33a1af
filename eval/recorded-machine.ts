import { dirname } from 'node:path';
import { parseOomKills } from '../src/analysis/gatherers/kernel-log.js';
import { exclusionReason, unitFromCgroup, type ProcessFilter } from '../src/analysis/gatherers/processes.js';
import type { MachineView } from '../src/analysis/machine-view.js';
import type { CleanupRootScan, DiskSnapshot, MemorySnapshot, ProcessInfo, ProcessSnapshot, UnitStatus } from '../src/analysis/types.js';
import { SHARED_TEMP_DIRS, type PathStat } from '../src/model/cleanup-roots.js';
import { protectedNames } from '../src/model/protected.js';
import type { RecordedMachine as Recorded, RecordedProcess } from './case.js';

const MiB = 1_048_576;
/** The agent as recorded: root, in its own unit (so restart_service never targets it). */
const AGENT_CGROUP = '0::/system.slice/opsagent.service\n';

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
}

/** /proc/PID/stat as the kernel writes it, with the fields parseStat reads (4 ppid, 14–15 ticks, 22 start, 24 rss). */
function statLine(p: RecordedProcess): string {
  const f = new Array<string>(52).fill('0');
  f[3] = String(p.ppid);
  f[22] = String(p.startTime);
  f[24] = String(Math.round((p.rssMiB * MiB) / 4096));
  return `${p.pid} (${p.name.slice(0, 15)}) S ${f.slice(4).join(' ')}`;
}

/**
 * A machine as a case recorded it (eval/cases/*.json): processes, memory, mounts, cleanup roots, logs, the kernel log
 * and systemd units. It answers the gatherers and the proposal checks the way the live machine would, so the eval
 * runs the real rules and the real checks: a kill_process of a PID not recorded is refused, a protected process is
 * never a candidate, a cleanup path outside the recorded roots does not exist.
 */
export class RecordedMachineView implements MachineView {
  readonly kind = 'recorded' as const;
  readonly #m: Recorded;
  readonly #byPid: Map<number, RecordedProcess>;
  readonly #dirs = new Map<string, PathStat>();

  constructor(machine: Recorded) {
    this.#m = machine;
    this.#byPid = new Map(machine.processes.map((p) => [p.pid, p]));
    const addDir = (path: string, st: PathStat) => {
      if (!this.#dirs.has(path)) this.#dirs.set(path, st);
    };
    for (const root of machine.cleanupRoots) {
      const sticky = SHARED_TEMP_DIRS.includes(root.root);
      addDir(root.root, { isDirectory: !root.symlink, isSymbolicLink: root.symlink, uid: root.uid, mode: root.mode ?? (sticky ? 0o41777 : 0o40755) });
      for (const d of root.dirs) addDir(d.path, { isDirectory: true, isSymbolicLink: false, uid: 0, mode: 0o40755 });
      for (let p = dirname(root.root); ; p = dirname(p)) {
        addDir(p, { isDirectory: true, isSymbolicLink: false, uid: 0, mode: SHARED_TEMP_DIRS.includes(p) ? 0o41777 : 0o40755 });
        if (p === '/') break;
      }
    }
  }

  #info(p: RecordedProcess, filter: ProcessFilter): ProcessInfo {
    const info: ProcessInfo = {
      pid: p.pid, ppid: p.ppid, name: p.name.slice(0, 15), cmdline: p.cmdline.slice(0, 300), user: p.user, uid: p.uid, unit: unitFromCgroup(p.cgroup),
      cpuPercent: p.cpuPercent, rssBytes: Math.round(p.rssMiB * MiB), swapBytes: Math.round(p.swapMiB * MiB), startTime: p.startTime, candidate: true,
    };
    const why = exclusionReason({ ...info, ours: p.ours ? 'it runs the OpsAgent CLI' : undefined }, p.cgroup, filter);
    if (why) {
      info.candidate = false;
      info.excludedBecause = why;
    }
    return info;
  }

  processes(options: { sampleMs: number; top: number; filter: ProcessFilter; bySwap?: boolean }): Promise<ProcessSnapshot> {
    const filter = { ...options.filter, protectedNames: protectedNames(options.filter.protectedNames) };
    const all = this.#m.processes.map((p) => this.#info(p, filter));
    const top = (list: ProcessInfo[], key: (p: ProcessInfo) => number, onlyCandidates: boolean) =>
      [...list].filter((p) => (onlyCandidates ? p.candidate : true)).sort((a, b) => key(b) - key(a)).slice(0, options.top);
    const swapped = all.filter((p) => p.swapBytes > 0);
    const children = new Map<number, number>();
    for (const p of all) if (p.ppid > 2) children.set(p.ppid, (children.get(p.ppid) ?? 0) + 1);
    const recordedChildren = new Map(this.#m.processes.map((p) => [p.pid, p]));
    const topParents = [...children.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .flatMap(([pid, n]) => {
        const rec = recordedChildren.get(pid);
        return rec ? [{ process: this.#info(rec, filter), children: n }] : [];
      });
    return Promise.resolve({
      sampleMs: options.sampleMs,
      total: this.#m.totalProcesses ?? all.length,
      topCpu: top(all, (p) => p.cpuPercent, false),
      topMemory: top(all, (p) => p.rssBytes, false),
      candidatesCpu: top(all, (p) => p.cpuPercent, true),
      candidatesMemory: top(all, (p) => p.rssBytes, true),
      topSwap: options.bySwap ? top(swapped, (p) => p.swapBytes, false) : [],
      candidatesSwap: options.bySwap ? top(swapped, (p) => p.swapBytes, true) : [],
      topParents,
    });
  }

  disk(options: { roots: string[]; olderThanDays: number }): Promise<DiskSnapshot> {
    const mounts = this.#m.mounts.map((m) => {
      const size = Math.round(m.sizeGiB * 1024 * MiB);
      const used = Math.round((size * m.usedPercent) / 100);
      return { mount: m.mount, fsType: m.fsType, sizeBytes: size, usedBytes: used, availBytes: size - used, usedPercent: m.usedPercent, inodes: 1_000_000, inodesUsedPercent: m.inodesUsedPercent };
    });
    const cleanupRoots: CleanupRootScan[] = options.roots.map((root) => {
      const rec = this.#m.cleanupRoots.find((r) => r.root === root);
      const scan: CleanupRootScan = { root, exists: false, filesSeen: 0, totalBytes: 0, oldFiles: 0, oldBytes: 0, largestDirs: [], busiestDirs: [], oldestFiles: [], largestFiles: [], truncated: false };
      if (!rec || rec.symlink) return scan;
      scan.exists = true;
      for (const d of rec.dirs) {
        scan.filesSeen += d.files;
        scan.totalBytes += Math.round(d.sizeMiB * MiB);
        scan.oldFiles += d.oldFiles;
        scan.oldBytes += Math.round(d.oldMiB * MiB);
      }
      scan.largestDirs = rec.dirs.map((d) => ({ path: d.path, sizeBytes: Math.round(d.sizeMiB * MiB) })).sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 5);
      scan.busiestDirs = rec.dirs.map((d) => ({ path: d.path, files: d.files, oldFiles: d.oldFiles })).sort((a, b) => b.files - a.files).slice(0, 5);
      return scan;
    });
    return Promise.resolve({ mounts: mounts.sort((a, b) => b.usedPercent - a.usedPercent), cleanupRoots, olderThanDays: options.olderThanDays });
  }

  memory(): Promise<MemorySnapshot> {
    const m = this.#m.memory;
    if (!m) return Promise.reject(new Error('/proc/meminfo: not recorded'));
    const pct = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);
    return Promise.resolve({
      totalBytes: m.totalMiB * MiB, availableBytes: m.availableMiB * MiB, usedPercent: pct(m.totalMiB - m.availableMiB, m.totalMiB),
      swapTotalBytes: m.swapTotalMiB * MiB, swapFreeBytes: m.swapFreeMiB * MiB, swapUsedPercent: pct(m.swapTotalMiB - m.swapFreeMiB, m.swapTotalMiB), cachedBytes: m.cachedMiB * MiB,
    });
  }

  logs() {
    return Promise.resolve({ source: this.#m.logs.source, lines: [...this.#m.logs.lines] });
  }

  kernelLog() {
    const k = this.#m.kernelLog;
    if ('error' in k) return Promise.reject(new Error(k.error));
    return Promise.resolve({ source: k.source, oomKills: parseOomKills(k.lines), lines: [...k.lines] });
  }

  unit(name: string): Promise<UnitStatus> {
    if (!this.#m.systemd) return Promise.reject(new Error("systemctl show: System has not been booted with systemd as init system (PID 1). Can't operate."));
    const u = this.#m.units[name];
    if (!u) return Promise.resolve({ unit: name, loadState: 'not-found', activeState: 'inactive', subState: 'dead', result: 'success', nRestarts: null, execMainStatus: null, lines: [] });
    return Promise.resolve({ unit: name, loadState: u.LoadState, activeState: u.ActiveState, subState: u.SubState, result: u.Result, nRestarts: u.NRestarts, execMainStatus: u.ExecMainStatus, lines: [...u.journal] });
  }

  readText(path: string): Promise<string | undefined> {
    if (path === '/proc/self/cgroup') return Promise.resolve(AGENT_CGROUP);
    if (path === '/proc/self/mountinfo') return Promise.resolve('22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n');
    if (path === '/etc/passwd') {
      const users = new Map<number, string>([[0, 'root']]);
      for (const p of this.#m.processes) users.set(p.uid, p.user);
      return Promise.resolve([...users].map(([uid, name]) => `${name}:x:${uid}:${uid}::/:/bin/sh`).join('\n'));
    }
    const m = /^\/proc\/(\d+)\/(stat|cmdline|status|cgroup)$/.exec(path);
    const p = m ? this.#byPid.get(Number(m[1])) : undefined;
    if (!m || !p) return Promise.resolve(undefined);
    switch (m[2]) {
      case 'stat':
        return Promise.resolve(statLine(p));
      case 'cmdline':
        return Promise.resolve(`${p.cmdline.split(' ').join('\0')}\0`);
      case 'status':
        return Promise.resolve(`Name:\t${p.name.slice(0, 15)}\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nVmSwap:\t${Math.round(p.swapMiB * 1024)} kB\n`);
      default:
        return Promise.resolve(p.cgroup);
    }
  }

  readUntrusted(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  realpath(path: string): Promise<string> {
    const clean = path.replace(/\/+$/, '') || '/';
    const st = this.#dirs.get(clean);
    if (!st) return Promise.reject(enoent(path));
    // A recorded symlinked root points outside every root: what realpath would show.
    return Promise.resolve(st.isSymbolicLink ? `/etc${clean}` : clean);
  }

  lstat(path: string): Promise<PathStat> {
    const st = this.#dirs.get(path);
    return st ? Promise.resolve(st) : Promise.reject(enoent(path));
  }

  agentUid(): number {
    return 0;
  }
}
