import { open } from 'node:fs/promises';
import type { ActionParams } from '../../model/action-catalog.js';
import { runCommand } from './run-command.js';
import { truncateOutput } from './run-command.js';
import type { Executor } from './types.js';

const ERROR_LINE = /\b(error|err|fail(ed|ure)?|fatal|panic|crit(ical)?|emerg|alert|oom|out of memory|segfault|exception|killed process)\b/i;
const TAIL_BYTES = 2 * 1024 * 1024;
const MAX_LINES = 5_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The time at the start of a log line (ISO or classic syslog "Mar  3 14:02:01"), or undefined when it has none. */
export function lineTime(line: string, now: number): number | undefined {
  const iso = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/.exec(line);
  if (iso) {
    const t = Date.parse(iso[1]!.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : t;
  }
  const sys = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})/.exec(line);
  if (sys) {
    const month = MONTHS.indexOf(sys[1]!);
    if (month < 0) return undefined;
    const year = new Date(now).getFullYear();
    let t = new Date(year, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])).getTime();
    if (t > now + 86_400_000) t = new Date(year - 1, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])).getTime();
    return t;
  }
  return undefined;
}

/** Groups lines that differ only in numbers, ids and timestamps, so the summary shows kinds of errors, not noise. */
export function messageShape(line: string): string {
  return line
    .replace(/^\S+\s+\S+\s+\S+\s+/, (m) => (/^\d{4}-|^[A-Z][a-z]{2} /.test(m) ? '' : m))
    .replace(/\b0x[0-9a-f]+\b/gi, '#')
    .replace(/\d+/g, '#')
    .slice(0, 160);
}

async function tail(file: string): Promise<string | undefined> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString('utf8');
      return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Read-only: error lines from the journal (or the configured log files) around the issue, summarised. */
export const logAnalysis: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'log_analysis'>;
  const now = ctx.now();
  const since = Math.max(Math.min(ctx.issue.first_seen_at, now) - params.minutes * 60_000, now - 86_400_000);
  const needle = params.pattern?.toLowerCase();
  const keep = (line: string) => line.trim() !== '' && (needle ? line.toLowerCase().includes(needle) : true);
  let lines: string[] = [];
  let from = '';

  if (ctx.config.logAnalysis.useJournal) {
    const r = await runCommand(
      ['journalctl', '--no-pager', '-q', '-o', 'short-iso', '-p', 'err', '--since', `@${Math.floor(since / 1000)}`, '--until', `@${Math.ceil(now / 1000)}`, '-n', String(MAX_LINES)],
      { timeoutMs: ctx.config.timeoutSeconds * 1000, outputLimitBytes: TAIL_BYTES },
    );
    if (r.exitCode === 0) {
      from = 'journal';
      lines = r.output.split('\n').filter((l) => keep(l) && !l.startsWith('-- ') && !l.startsWith('… [output truncated'));
    }
  }
  if (!from) {
    const read: string[] = [];
    for (const file of ctx.logFiles) {
      const text = await tail(file);
      if (text === undefined) continue;
      read.push(file);
      for (const line of text.split('\n')) {
        if (!ERROR_LINE.test(line) || !keep(line)) continue;
        const t = lineTime(line, now);
        if (t !== undefined && (t < since || t > now + 60_000)) continue;
        lines.push(line);
      }
    }
    if (read.length === 0) return { success: false, summary: `No logs readable: journalctl ${ctx.config.logAnalysis.useJournal ? 'unavailable' : 'disabled'} and none of ${ctx.logFiles.join(', ') || '(no analysis.logFiles)'} can be read`, output: '' };
    from = read.join(', ');
  }
  lines = lines.slice(-MAX_LINES);
  const windowMin = Math.round((now - since) / 60_000);
  if (lines.length === 0) return { success: true, summary: `No error lines in the last ${windowMin} min (${from})`, output: '' };

  const groups = new Map<string, { count: number; example: string }>();
  for (const line of lines) {
    const key = messageShape(line);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, example: line });
  }
  const top = [...groups.values()].sort((a, b) => b.count - a.count).slice(0, 5);
  const first = top[0]!;
  const output = [
    `${lines.length} error line(s) from ${from}, ${new Date(since).toISOString()} .. ${new Date(now).toISOString()}`,
    'Most frequent:',
    ...top.map((g) => `  ×${g.count}  ${g.example.slice(0, 300)}`),
    'Latest:',
    ...lines.slice(-20).map((l) => `  ${l.slice(0, 300)}`),
  ].join('\n');
  return {
    success: true,
    summary: `${lines.length} error line(s) in the last ${windowMin} min (${from}); most frequent (×${first.count}): ${first.example.slice(0, 160)}`,
    output: truncateOutput(output, ctx.config.outputLimitBytes),
  };
};
