import { readdir, readFile } from 'node:fs/promises';
import { ownProcessReason } from '../../model/own-process.js';
import { parseStat, type ProcStat } from '../../model/proc-stat.js';
import { protectedNameMatch } from '../../model/protected.js';
import { readSmallFile } from '../../model/read-small-file.js';
import type { ProcessInfo, ProcessSnapshot } from '../types.js';

/** config.actions.killProcess: which processes an action may ever point at. */
export interface ProcessFilter {
  protectedNames: string[];
  allowedNames: string[];
  allowedUsers: string[];
  allowedCgroups: string[];
  allowedPids: number[];
}

const CLOCK_TICKS = 100; // USER_HZ on Linux is 100 on every architecture Node runs on
const PAGE_BYTES = 4096;
const MAX_CMDLINE = 300;

/** The systemd service unit of a process from its cgroup path (v2 `0::` line or v1 `name=systemd`), if any. */
export function unitFromCgroup(text: string): string | null {
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length < 3) continue;
    const controllers = parts[1];
    if (controllers !== '' && controllers !== 'name=systemd') continue;
    const path = parts.slice(2).join(':');
    // user@1000.service holds a user's whole session: restarting it is never a remediation
    const units = path.split('/').filter((p) => p.endsWith('.service') && !p.startsWith('user@'));
    const unit = units[units.length - 1];
    if (unit && path.includes('system.slice')) return unit;
  }
  return null;
}

/** VmSwap of a /proc/PID/status text, in bytes (0 when absent: kernel threads, old kernels). */
export function vmSwapBytes(status: string | undefined): number {
  return Number(/^VmSwap:\s+(\d+)\s*kB/m.exec(status ?? '')?.[1] ?? 0) * 1024;
}

async function readText(path: string, max = 8_192): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return text.length > max ? text.slice(0, max) : text;
  } catch {
    return undefined; // the process exited, or we may not read it
  }
}

async function sampleTicks(): Promise<Map<number, ProcStat>> {
  const out = new Map<number, ProcStat>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const text = await readText(`/proc/${e}/stat`, 2_048);
        const stat = text ? parseStat(text) : undefined;
        if (stat && !stat.kernelThread) out.set(stat.pid, stat);
      }),
  );
  return out;
}

let usersCache: Map<number, string> | undefined;
async function userNames(): Promise<Map<number, string>> {
  if (usersCache) return usersCache;
  const map = new Map<number, string>();
  const passwd = await readText('/etc/passwd', 1_000_000);
  for (const line of passwd?.split('\n') ?? []) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) map.set(Number(uid), name);
  }
  usersCache = map;
  return map;
}

async function describe(stat: ProcStat, cpuPercent: number, users: Map<number, string>, filter: ProcessFilter): Promise<ProcessInfo | undefined> {
  const [status, cmdline, cgroup] = await Promise.all([
    readText(`/proc/${stat.pid}/status`),
    readText(`/proc/${stat.pid}/cmdline`, 16_384), // whole enough to see which script it runs (own-process.ts)
    readText(`/proc/${stat.pid}/cgroup`),
  ]);
  if (status === undefined) return undefined;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const info: ProcessInfo = {
    pid: stat.pid,
    ppid: stat.ppid,
    name: stat.comm,
    cmdline: (cmdline ?? '').replace(/\0+$/, '').replace(/\0/g, ' ').slice(0, MAX_CMDLINE),
    user: users.get(uid) ?? String(uid),
    uid,
    unit: cgroup ? unitFromCgroup(cgroup) : null,
    cpuPercent: Math.round(cpuPercent * 10) / 10,
    rssBytes: stat.rssPages * PAGE_BYTES,
    swapBytes: vmSwapBytes(status),
    startTime: stat.startTime,
    candidate: true,
  };
  const argv = (cmdline ?? '').split('\0').filter((a) => a !== '');
  const ours = await ownProcessReason({ pid: stat.pid, argv, cgroup: cgroup ?? '' }, readSmallFile);
  const why = exclusionReason({ ...info, ours }, cgroup ?? '', filter);
  if (why) {
    info.candidate = false;
    info.excludedBecause = why;
  }
  return info;
}

/**
 * Why an action may not target this process (config.actions.killProcess, plus the agent itself), or undefined.
 * `ours` is ownProcessReason's answer for it (a sibling daemon is "node" by name): required, so no caller forgets it.
 */
export function exclusionReason(
  p: Pick<ProcessInfo, 'pid' | 'name' | 'user' | 'cmdline'> & { ours: string | undefined },
  cgroup: string,
  filter: ProcessFilter,
): string | undefined {
  if (p.pid <= 1 || p.pid === process.pid || p.pid === process.ppid) return 'the agent itself or init';
  const base = p.cmdline.split(' ')[0]?.split('/').pop() ?? '';
  const names = [p.name, base];
  const protectedName = protectedNameMatch(names, filter.protectedNames);
  if (protectedName) return `protected name "${protectedName}" (built in or actions.killProcess.protectedNames)`;
  if (p.ours) return `an OpsAgent process: ${p.ours}`;
  if (filter.allowedPids.length > 0 && !filter.allowedPids.includes(p.pid)) return 'not in actions.killProcess.allowedPids';
  if (filter.allowedNames.length > 0 && !filter.allowedNames.some((n) => names.includes(n))) return 'not in actions.killProcess.allowedNames';
  if (filter.allowedUsers.length > 0 && !filter.allowedUsers.includes(p.user)) return 'owner not in actions.killProcess.allowedUsers';
  if (filter.allowedCgroups.length > 0 && !filter.allowedCgroups.some((c) => cgroup.includes(c))) return 'cgroup not in actions.killProcess.allowedCgroups';
  return undefined;
}

/** The three parents with the most children (init and kthreadd excluded: everything is theirs). */
async function topParents<R extends { stat: ProcStat }>(rows: R[], info: (r: R) => Promise<ProcessInfo | undefined>): Promise<ProcessSnapshot['topParents']> {
  const children = new Map<number, number>();
  for (const r of rows) if (r.stat.ppid > 2) children.set(r.stat.ppid, (children.get(r.stat.ppid) ?? 0) + 1);
  const byPid = new Map(rows.map((r) => [r.stat.pid, r]));
  const out: ProcessSnapshot['topParents'] = [];
  for (const [pid, count] of [...children.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
    const row = byPid.get(pid);
    const process = row ? await info(row) : undefined;
    if (process) out.push({ process, children: count });
  }
  return out;
}

/**
 * Top processes by CPU (measured over sampleMs between two reads of /proc/PID/stat) and by resident memory.
 * Read-only; every file read is bounded; a process that exits mid-sample is skipped.
 */
export async function gatherProcesses(options: { sampleMs: number; top: number; filter: ProcessFilter; bySwap?: boolean; signal?: AbortSignal }): Promise<ProcessSnapshot> {
  const first = await sampleTicks();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.sampleMs);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  const second = await sampleTicks();
  const elapsedS = Math.max(0.001, (performance.now() - t0) / 1000);
  const rows = [...second.values()].map((s) => {
    const before = first.get(s.pid);
    const ticks = before && before.startTime === s.startTime ? s.ticks - before.ticks : 0;
    return { stat: s, cpu: (100 * ticks) / CLOCK_TICKS / elapsedS };
  });
  const users = await userNames();
  const byCpu = [...rows].sort((a, b) => b.cpu - a.cpu || b.stat.rssPages - a.stat.rssPages);
  const byMem = [...rows].sort((a, b) => b.stat.rssPages - a.stat.rssPages);
  const cache = new Map<number, Promise<ProcessInfo | undefined>>();
  const info = (r: { stat: ProcStat; cpu: number }) => {
    let p = cache.get(r.stat.pid);
    if (!p) cache.set(r.stat.pid, (p = describe(r.stat, r.cpu, users, options.filter)));
    return p;
  };
  const pick = async (list: typeof rows, onlyCandidates: boolean) => {
    const out: ProcessInfo[] = [];
    // Bounded: only look at the first few hundred of each ranking.
    for (const r of list.slice(0, onlyCandidates ? 400 : options.top * 2)) {
      if (out.length >= options.top) break;
      const p = await info(r);
      if (p && (!onlyCandidates || p.candidate)) out.push(p);
    }
    return out;
  };
  let bySwap: typeof rows = [];
  if (options.bySwap) {
    // Swap use is only in /proc/PID/status: read for every process (bounded), only when a swap rule asks.
    const swap = new Map<number, number>();
    await Promise.all(rows.slice(0, 4_000).map(async (r) => swap.set(r.stat.pid, vmSwapBytes(await readText(`/proc/${r.stat.pid}/status`)))));
    bySwap = rows.filter((r) => (swap.get(r.stat.pid) ?? 0) > 0).sort((a, b) => (swap.get(b.stat.pid) ?? 0) - (swap.get(a.stat.pid) ?? 0));
  }
  return {
    sampleMs: Math.round(elapsedS * 1000),
    total: rows.length,
    topCpu: await pick(byCpu, false),
    topMemory: await pick(byMem, false),
    candidatesCpu: await pick(byCpu, true),
    candidatesMemory: await pick(byMem, true),
    topSwap: await pick(bySwap, false),
    candidatesSwap: await pick(bySwap, true),
    topParents: await topParents(rows, info),
  };
}
