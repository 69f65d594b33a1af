import type { KernelLogSnapshot, OomKill } from '../types.js';
import { runReadOnly } from './run-command.js';

const OOM_LINE = /out of memory|oom-kill|oom_reaper|killed process|invoked oom-killer/i;
/** "Out of memory: Killed process 4242 (api-server) total-vm:…kB, anon-rss:307200kB, …" (also "Memory cgroup out of memory: …"). */
const KILLED = /Killed process (\d+) \(([^)]{1,64})\)(?:.*?anon-rss:(\d+)kB)?/;
/** "oom-kill:constraint=CONSTRAINT_NONE,…,task=api-server,pid=4242,uid=1000" (kernel ≥ 4.19, one line before the kill). */
const OOM_KILL_SUMMARY = /oom-kill:.*\btask=([^,\s]{1,64}),pid=(\d+)/;

/** The OOM kills among kernel log lines, newest last, one per PID. */
export function parseOomKills(lines: readonly string[]): OomKill[] {
  const byPid = new Map<number, OomKill>();
  for (const line of lines) {
    const killed = KILLED.exec(line);
    if (killed) {
      const pid = Number(killed[1]);
      byPid.set(pid, { pid, name: killed[2]!, anonRssBytes: killed[3] ? Number(killed[3]) * 1024 : null, line: line.slice(0, 400) });
      continue;
    }
    const summary = OOM_KILL_SUMMARY.exec(line);
    if (summary && !byPid.has(Number(summary[2]))) {
      byPid.set(Number(summary[2]), { pid: Number(summary[2]), name: summary[1]!, anonRssBytes: null, line: line.slice(0, 400) });
    }
  }
  return [...byPid.values()];
}

/**
 * The kernel's OOM messages of the last `minutes`: the journal's kernel log when there is one, else dmesg (which a
 * container or an unprivileged agent may not read). Neither readable is an error the analysis notes, not a failure.
 */
export async function gatherKernelLog(options: { minutes: number; maxLines: number; timeoutMs: number; signal?: AbortSignal }): Promise<KernelLogSnapshot> {
  const keep = (text: string) => text.split('\n').filter((l) => OOM_LINE.test(l)).slice(-options.maxLines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
  const problems: string[] = [];
  try {
    const out = await runReadOnly('journalctl', ['--no-pager', '--quiet', '-k', '--since', `-${options.minutes}min`, '-o', 'short-iso', '-n', '2000'], options);
    const lines = keep(out);
    return { source: 'journalctl -k', oomKills: parseOomKills(lines), lines };
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  try {
    const out = await runReadOnly('dmesg', ['--time-format', 'iso'], { ...options, maxBytes: 4 * 1024 * 1024 });
    const lines = keep(out);
    return { source: 'dmesg', oomKills: parseOomKills(lines), lines };
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  throw new Error(`no kernel log readable (${problems.join('; ')})`);
}
