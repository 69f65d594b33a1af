/** One /proc/PID/stat line: what the analysis ranks processes by and what an executor re-checks before it acts. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Clock ticks since boot (field 22): with the PID, identifies one process across PID reuse. */
  startTime: number;
  rssPages: number;
  kernelThread: boolean;
}

const PF_KTHREAD = 0x0020_0000;

/** Parses /proc/PID/stat. The command name may hold spaces and parentheses, so it ends at the last ')'. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]); // rest[0] is field 3 (state)
  const nums = { ppid: field(4), flags: field(9), ticks: field(14) + field(15), startTime: field(22), rssPages: field(24) };
  if (!Number.isInteger(pid) || Object.values(nums).some((n) => !Number.isFinite(n))) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ...nums, kernelThread: (nums.flags & PF_KTHREAD) !== 0 };
}
