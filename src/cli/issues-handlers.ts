import { AppError } from '../errors.js';
import { parseIssueStatuses, type IssueStatus, type Severity } from '../model/issue.js';
import { loadRunbooks } from '../model/runbook.js';
import { resolveRunbooksDir } from '../paths.js';
import { loadIssueDetail, type IssueDetail } from '../pipeline/issue-detail.js';
import { printJson, type CliContext } from './context.js';
import type { IssueMarks } from '../pipeline/silences.js';
import { ActionRepository } from '../store/action-repository.js';
import type { SilenceSnapshot } from '../store/silence-repository.js';
import type { SilenceCover } from '../model/silence.js';
import { COMMENT_ICONS, isoTime, issueLine, relativeTime, safeText, table } from './format.js';

/** The JSON of an issue with acknowledged_by / acknowledged_at / silenced, as GET /api/v1/issues gives it. */
function withMarks<T extends object>(issue: T, m: IssueMarks | undefined): T & Omit<IssueMarks, 'issue_id'> {
  return { ...issue, acknowledged_by: m?.acknowledged_by ?? null, acknowledged_at: m?.acknowledged_at ?? null, silenced: m?.silenced ?? null };
}

/** "acked by alice · silenced until 15:00Z by bob": what issues-list shows of who owns an issue and what mutes it. */
export function marksText(m: IssueMarks | undefined): string {
  if (!m) return '';
  const parts: string[] = [];
  if (m.acknowledged_by) parts.push(`acked by ${safeText(m.acknowledged_by)}`);
  if (m.silenced) parts.push(`${coverWord(m.silenced)} ${m.silenced.until === null ? 'until resolved' : `until ${isoTime(m.silenced.until)}`}`);
  return parts.join(' · ');
}

function coverWord(c: SilenceCover): string {
  return c.kind === 'snooze' ? 'snoozed' : c.kind === 'window' ? 'in maintenance' : 'silenced';
}

export function renderIssue(detail: IssueDetail, marks?: IssueMarks): string {
  const inputs = detail.metadata.fingerprint_inputs;
  const lines = [
    `${detail.id}  [${detail.status}] ${detail.severity.toUpperCase()}  ${safeText(detail.title)} on ${safeText(detail.server_id)}`,
    detail.description ? `  ${safeText(detail.description)}` : undefined,
    `  source: ${detail.source}${detail.source_alert_id ? ` (${safeText(detail.source_alert_id)})` : ''}`,
    `  fired ${detail.alert_count} time(s); first seen ${isoTime(detail.first_seen_at)} (${relativeTime(detail.first_seen_at)}), last seen ${isoTime(detail.last_seen_at)} (${relativeTime(detail.last_seen_at)})`,
    detail.resolved_at ? `  resolved ${isoTime(detail.resolved_at)}` : undefined,
    detail.metadata.flapping ? '  FLAPPING: notifications summarised, automatic remediation suspended' : undefined,
    marks?.acknowledged_by ? `  acknowledged by ${safeText(marks.acknowledged_by)} ${marks.acknowledged_at ? `(${relativeTime(marks.acknowledged_at)})` : ''}` : undefined,
    marks?.silenced
      ? `  ${coverWord(marks.silenced).toUpperCase()} by ${safeText(marks.silenced.id)} ${marks.silenced.until === null ? 'until it resolves' : `until ${isoTime(marks.silenced.until)}`} (${safeText(marks.silenced.by)}${marks.silenced.comment ? `: ${safeText(marks.silenced.comment)}` : ''}): no notifications, no automatic actions`
      : undefined,
    '',
    `Why grouped: fingerprint ${detail.alert_fingerprint} = sha256("${safeText(inputs?.name ?? '?')}:${safeText(inputs?.context ?? '?')}:${safeText(inputs?.chart ?? '?')}")[:16]`,
    `  every firing of this alert name, context and chart on server ${safeText(detail.server_id)} updates this one issue.`,
  ].filter((l): l is string => l !== undefined);

  if (detail.alert_activations) {
    lines.push('', 'Alert activations (POST /api/v2/alerts; a re-send moves endsAt, only a new activation counts):');
    for (const a of detail.alert_activations) {
      const state = a.ended ? `${a.ended} ${isoTime(a.ends_at)}` : `live, ends ${isoTime(a.ends_at)} unless re-sent`;
      lines.push(`  ${a.fingerprint}  since ${isoTime(a.starts_at)}; ${state}; last post ${isoTime(a.updated_at)}`);
    }
  }
  const annotations = detail.metadata.annotations ?? {};
  if (annotations.runbook_url || detail.runbook) {
    lines.push('', 'Runbook:');
    if (annotations.runbook_url) lines.push(`  runbook_url: ${safeText(annotations.runbook_url)}`);
    if (detail.runbook) {
      const named = detail.runbook.actions.length > 0 ? ` (proposes ${detail.runbook.actions.join(', ')})` : '';
      lines.push(`  ${safeText(detail.runbook.title)} — ${safeText(detail.runbook.file)}${named}`);
      for (const l of safeText(detail.runbook.body).split('\n').slice(0, 40)) lines.push(`    ${l}`);
    }
  }
  const others = Object.entries(annotations).filter(([k]) => k !== 'runbook_url');
  if (others.length > 0) {
    lines.push('', 'Annotations:');
    for (const [k, v] of others) lines.push(`  ${safeText(k)}: ${safeText(v)}`);
  }

  const analysis = [...detail.comments].reverse().find((c) => c.comment_type === 'analysis');
  if (analysis) lines.push('', 'Latest analysis:', ...safeText(analysis.content).split('\n').map((l) => `  ${l}`));

  if (detail.actions.length > 0) {
    lines.push('', 'Actions:');
    for (const a of detail.actions) {
      lines.push(`  ${String(a.id)}  ${String(a.action_type)}  ${String(a.status)}${a.decided_by ? ` by ${safeText(String(a.decided_by))}` : ''}${a.reason ? ` — ${safeText(String(a.reason))}` : ''}`);
    }
  }

  lines.push('', `Timeline (${detail.comments.length} comments):`);
  for (const c of detail.comments) {
    const who = c.author_type === 'human' ? ` (${safeText(c.author_name ?? 'human')})` : '';
    const [first, ...rest] = safeText(c.content).split('\n');
    const silencedBy = typeof c.metadata?.silenced_by === 'string' ? `  [silenced by ${safeText(c.metadata.silenced_by)}]` : '';
    lines.push(`  ${isoTime(c.created_at)}  ${COMMENT_ICONS[c.comment_type]} ${c.comment_type}${who}: ${first ?? ''}${silencedBy}`);
    if (c.comment_type === 'analysis') continue; // shown in full above
    for (const l of rest.slice(0, 20)) lines.push(`      ${l}`);
  }
  return lines.join('\n');
}


export async function issuesList(ctx: CliContext, opts: { status?: string; severity?: Severity; server?: string; limit: number; json?: boolean }): Promise<void> {
  const statuses = parseIssueStatuses(opts.status);
  const { issues } = await ctx.store();
  // One exchange with the database: the issues and every server's counts (a fleet shares one database).
  const { issues: list, servers } = await issues.listWithServers({
    ...(statuses ? { statuses } : {}),
    ...(opts.severity ? { severity: opts.severity } : {}),
    ...(opts.server ? { serverId: opts.server } : {}),
    limit: opts.limit,
  });
  const marks = await (await ctx.store()).silences.marksOf(list);
  if (opts.json) return printJson(list.map((i) => withMarks(i, marks.get(i.id))));
  if (list.length === 0) console.log(`no ${statuses ? statuses.join('/') : 'open'} issues${opts.server ? ` on ${opts.server}` : ''}`);
  else console.log(table(['ID', 'STATUS', 'SEVERITY', 'SERVER', 'TITLE', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'OWNER / SILENCE'], list.map((i) => [...issueLine(i), marksText(marks.get(i.id))])));
  if (servers.length > 1 || (servers.length === 1 && opts.server !== undefined && servers[0]!.server_id !== opts.server)) {
    const line = servers.map((c) => `${safeText(c.server_id)} ${c.open + c.investigating} active / ${c.resolved} resolved`).join(' · ');
    console.log(`servers (--server <id> to filter): ${line}`);
  }
}

export async function issuesShow(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const dir = resolveRunbooksDir(ctx.config.runbooks.dir, ctx.home);
  // Round trips on Turso: the issue and its comments in one exchange (a unique prefix too), then its actions with
  // the silences and its acknowledgement in another.
  let snapshot: SilenceSnapshot | undefined;
  const actionsWithMarks = async (issueId: string): Promise<Record<string, unknown>[]> => {
    snapshot = await store.silences.repository.snapshot([issueId], [ActionRepository.forIssueQuery(issueId)]);
    return ActionRepository.fromRows(snapshot.extra[0]!) as unknown as Record<string, unknown>[];
  };
  const detail = await loadIssueDetail(store.issues, id, actionsWithMarks, dir ? loadRunbooks(dir).runbooks : []);
  const marks = (await store.silences.marksOf([detail], snapshot)).get(detail.id);
  if (opts.json) return printJson(withMarks(detail, marks));
  console.log(renderIssue(detail, marks));
}

export async function issuesComment(ctx: CliContext, id: string, text: string, opts: { author: string }): Promise<void> {
  if (text.trim() === '') throw new AppError('INPUT_INVALID', 'the note is empty');
  const { issues, tracker } = await ctx.store();
  const issueId = await issues.resolveId(id);
  await tracker.addComment(issueId, { author_type: 'human', author_name: opts.author, comment_type: 'note', content: text });
  console.log(`noted on ${issueId}`);
}

export async function issuesStatus(ctx: CliContext, id: string, status: IssueStatus, opts: { author: string; reason?: string }): Promise<void> {
  const { issues, tracker } = await ctx.store();
  const issueId = await issues.resolveId(id);
  const issue = await tracker.setStatus(issueId, status, {
    author: { type: 'human', name: opts.author },
    ...(opts.reason ? { reason: opts.reason } : {}),
  });
  console.log(`${issue.id} is ${issue.status}`);
}

export async function issuesArchive(ctx: CliContext, opts: { olderThanDays?: number }): Promise<void> {
  const days = opts.olderThanDays ?? ctx.config.issues.archiveAfterDays;
  const { tracker } = await ctx.store();
  const n = await tracker.archive(days);
  console.log(`closed ${n} issue(s) resolved more than ${days} days ago`);
}

export async function issuesStats(ctx: CliContext, opts: { days: number; json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const since = Date.now() - opts.days * 86_400_000;
  const frequency = await store.issues.alertFrequency(since, 50);
  const counts = await store.issues.countByStatus();
  const perServer = await store.issues.issuesPerServer(since);
  const actions = store.actionStats ? await store.actionStats(since) : [];
  if (opts.json) return printJson({ days: opts.days, counts, alert_frequency: frequency, per_server: perServer, actions });
  console.log(`Issues by status: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`\nAlert frequency, issues first seen in the last ${opts.days} days:`);
  console.log(frequency.length ? table(['TITLE', 'OCCURRENCES', 'TOTAL FIRINGS'], frequency.map((f) => [safeText(f.title), String(f.occurrences), String(f.total_firings)])) : '  none');
  if (perServer.length) {
    console.log('\nIssues per server:');
    console.log(table(['SERVER', 'ISSUES', 'OPEN'], perServer.map((s) => [safeText(s.server_id), String(s.issues), String(s.open)])));
  }
  if (actions.length) {
    console.log('\nActions (success rate):');
    console.log(table(['ACTION', 'EXECUTED', 'SUCCEEDED', 'VERIFIED', 'RATE'], actions.map((a) => [a.action_type, String(a.executed), String(a.succeeded), String(a.verified), a.executed ? `${Math.round((100 * a.succeeded) / a.executed)}%` : '-'])));
  }
}
