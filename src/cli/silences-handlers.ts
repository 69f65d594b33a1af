import { parseTime } from '../model/silence.js';
import type { SilenceView, WindowView } from '../pipeline/silences.js';
import { printJson, type CliContext } from './context.js';
import { isoTime, safeText, table } from './format.js';

export function silenceUntil(s: Pick<SilenceView, 'ends_at' | 'until_resolved_issue_id' | 'expired_at'>): string {
  if (s.expired_at !== null) return `expired ${isoTime(s.expired_at)}`;
  if (s.ends_at === null) return `until ${s.until_resolved_issue_id ?? 'its issue'} resolves`;
  return isoTime(s.ends_at);
}

function silenceRow(s: SilenceView): string[] {
  return [s.id, s.state, s.kind, safeText(s.matcher_text.join(' ')), isoTime(s.starts_at), silenceUntil(s), safeText(s.created_by), safeText(s.comment)];
}

export async function silencesAdd(
  ctx: CliContext,
  opts: { match: string[]; for?: string; until?: string; untilResolved?: string; starts?: string; comment: string; by: string; json?: boolean },
): Promise<void> {
  const { silences, issues } = await ctx.store();
  const untilResolved = opts.untilResolved ? await issues.resolveId(opts.untilResolved) : undefined;
  const s = await silences.createSilence(
    {
      matchers: opts.match,
      duration: opts.for,
      endsAt: opts.until ? parseTime(opts.until, '--until') : undefined,
      startsAt: opts.starts ? parseTime(opts.starts, '--starts') : undefined,
      untilResolvedIssueId: untilResolved,
      comment: opts.comment,
    },
    opts.by,
  );
  if (opts.json) return printJson(s);
  console.log(`${s.id} silences ${s.matcher_text.join(' ')} from ${isoTime(s.starts_at)} ${s.ends_at === null ? `until ${untilResolved} resolves` : `until ${isoTime(s.ends_at)}`}`);
}

export async function silencesList(ctx: CliContext, opts: { all?: boolean; json?: boolean }): Promise<void> {
  const { silences } = await ctx.store();
  const list = await silences.listSilences({ all: opts.all === true });
  if (opts.json) return printJson(list);
  if (list.length === 0) {
    console.log(opts.all ? 'no silences' : 'no silences in force (--all shows ended ones)');
    return;
  }
  console.log(table(['ID', 'STATE', 'KIND', 'MATCHERS', 'STARTS', 'ENDS', 'BY', 'COMMENT'], list.map(silenceRow)));
}

export async function silencesExpire(ctx: CliContext, id: string, opts: { by: string }): Promise<void> {
  const { silences } = await ctx.store();
  const s = await silences.expireSilence(id, opts.by);
  console.log(`${s.id} expired by ${safeText(opts.by)}`);
}

function windowRow(w: WindowView): string[] {
  const next = w.next_change_at === null ? '-' : `${w.open_now ? 'closes' : 'opens'} ${isoTime(w.next_change_at)}`;
  return [w.id, safeText(w.name), w.origin, w.open_now ? 'OPEN' : 'closed', safeText(w.schedule_text), safeText(w.matcher_text.join(' ')), next];
}

export async function windowsList(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const { silences } = await ctx.store();
  const list = await silences.listWindows();
  if (opts.json) return printJson(list);
  if (list.length === 0) {
    console.log('no maintenance windows (config silences.windows, or windows-add)');
    return;
  }
  console.log(table(['ID', 'NAME', 'FROM', 'NOW', 'SCHEDULE', 'MATCHERS', 'NEXT'], list.map(windowRow)));
}

export async function windowsAdd(
  ctx: CliContext,
  opts: { name: string; match: string[]; days?: string; start?: string; end?: string; tz?: string; from?: string; to?: string; comment: string; by: string; json?: boolean },
): Promise<void> {
  const { silences } = await ctx.store();
  const w = await silences.createWindow(
    {
      name: opts.name,
      matchers: opts.match,
      days: opts.days?.split(',').map((d) => d.trim()),
      start: opts.start,
      end: opts.end,
      time_zone: opts.tz,
      starts_at: opts.from ? parseTime(opts.from, '--from') : undefined,
      ends_at: opts.to ? parseTime(opts.to, '--to') : undefined,
      comment: opts.comment,
    },
    opts.by,
  );
  if (opts.json) return printJson(w);
  console.log(`${w.id} "${safeText(w.name)}": ${safeText(w.schedule_text)} for ${safeText(w.matcher_text.join(' '))}`);
}

export async function windowsRemove(ctx: CliContext, id: string, opts: { by: string }): Promise<void> {
  const { silences } = await ctx.store();
  const w = await silences.removeWindow(id, opts.by);
  console.log(`${w.id} "${safeText(w.name)}" removed`);
}

export async function issuesAck(ctx: CliContext, id: string, opts: { by: string }): Promise<void> {
  const { silences, issues } = await ctx.store();
  const marks = await silences.ack(await issues.resolveId(id), opts.by);
  console.log(`${marks.issue_id} acknowledged by ${safeText(marks.acknowledged_by ?? opts.by)}`);
}

export async function issuesUnack(ctx: CliContext, id: string, opts: { by: string }): Promise<void> {
  const { silences, issues } = await ctx.store();
  const marks = await silences.unack(await issues.resolveId(id), opts.by);
  console.log(`${marks.issue_id} is no longer acknowledged`);
}

export async function issuesSnooze(ctx: CliContext, id: string, opts: { for: string; comment?: string; by: string }): Promise<void> {
  const { silences, issues } = await ctx.store();
  const s = await silences.snooze(await issues.resolveId(id), opts.by, { duration: opts.for, ...(opts.comment ? { comment: opts.comment } : {}) });
  console.log(`${s.issue_id ?? id} snoozed until ${s.ends_at === null ? '?' : isoTime(s.ends_at)} (${s.id})`);
}
