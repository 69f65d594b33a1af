import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseStat, type ProcStat } from '../../model/proc-stat.js';

/** What /proc says about one process, read just before it is signalled. */
export interface ProcInfo extends ProcStat {
  argv: string[];
  uid: number;
  cgroup: string;
}

const INTERPRETERS = new Set(['node', 'python', 'python3', 'ruby', 'perl', 'java', 'bash', 'sh', 'dash', 'php']);

/** undefined when the process does not exist (or is gone by the time we read it). */
export async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    if (!stat || stat.pid !== pid) return undefined;
    const [cmdline, status, cgroup] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''),
    ]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    return { ...stat, argv: cmdline.split('\0').filter((a) => a !== ''), uid, cgroup };
  } catch {
    return undefined;
  }
}

export function isKernelThread(p: ProcInfo): boolean {
  return p.kernelThread || p.pid === 2 || p.ppid === 2;
}

export function isGone(p: ProcInfo | undefined, startTime: number): boolean {
  return p === undefined || p.startTime !== startTime || p.state === 'Z' || p.state === 'X';
}

/** The names a process answers to: its comm, its program's file name, and the script an interpreter runs. */
export function processNames(p: ProcInfo): string[] {
  const names = [p.comm];
  const argv0 = p.argv[0] ? basename(p.argv[0]) : undefined;
  if (argv0) names.push(argv0);
  const script = p.argv.slice(1).find((a) => !a.startsWith('-'));
  if (argv0 && script && INTERPRETERS.has(argv0.replace(/[\d.]+$/, ''))) {
    const file = basename(script);
    names.push(file, file.replace(/\.[A-Za-z0-9]+$/, ''));
  }
  return [...new Set(names)];
}

/** comm is cut to 15 bytes by the kernel, so a longer expected name matches its first 15 characters. */
export function answersTo(p: ProcInfo, expected: string): boolean {
  return processNames(p).some((n) => n === expected) || (expected.length > 15 && p.comm === expected.slice(0, 15));
}

export async function userName(uid: number): Promise<string | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  return undefined;
}
