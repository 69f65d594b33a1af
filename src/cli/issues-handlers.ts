import { AppError } from '../errors.js';
import { parseIssueStatuses, type IssueStatus, type Severity } from '../model/issue.js';
import { loadIssueDetail, type IssueDetail } from '../pipeline/issue-detail.js';
import { printJson, type CliContext } from './context.js';
import { COMMENT_ICONS, isoTime, issueLine, relativeTime, safeText, table } from './format.js';

export function renderIssue(detail: IssueDetail): string {
  const inputs = detail.metadata.fingerprint_inputs;
  const lines = [
    `${detail.id}  [${detail.status}] ${detail.severity.toUpperCase()}  ${safeText(detail.title)} on ${safeText(detail.server_id)}`,
    detail.description ? `  ${safeText(detail.description)}` : undefined,
    `  source: ${detail.source}${detail.source_alert_id ? ` (${safeText(detail.source_alert_id)})` : ''}`,
    `  fired ${detail.alert_count} time(s); first seen ${isoTime(detail.first_seen_at)} (${relativeTime(detail.first_seen_at)}), last seen ${isoTime(detail.last_seen_at)} (${relativeTime(detail.last_seen_at)})`,
    detail.resolved_at ? `  resolved ${isoTime(detail.resolved_at)}` : undefined,
    detail.metadata.flapping ? '  FLAPPING: notifications summarised, automatic remediation suspended' : undefined,
    '',
    `Why grouped: fingerprint ${detail.alert_fingerprint} = sha256("${safeText(inputs?.name ?? '?')}:${safeText(inputs?.context ?? '?')}:${safeText(inputs?.chart ?? '?')}")[:16]`,
    `  every firing of this alert name, context and chart on server ${safeText(detail.server_id)} updates this one issue.`,
  ].filter((l): l is string => l !== undefined);

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
    lines.push(`  ${isoTime(c.created_at)}  ${COMMENT_ICONS[c.comment_type]} ${c.comment_type}${who}: ${first ?? ''}`);
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
  if (opts.json) return printJson(list);
  if (list.length === 0) console.log(`no ${statuses ? statuses.join('/') : 'open'} issues${opts.server ? ` on ${opts.server}` : ''}`);
  else console.log(table(['ID', 'STATUS', 'SEVERITY', 'SERVER', 'TITLE', 'COUNT', 'FIRST SEEN', 'LAST SEEN'], list.map(issueLine)));
  if (servers.length > 1 || (servers.length === 1 && opts.server !== undefined && servers[0]!.server_id !== opts.server)) {
    const line = servers.map((c) => `${safeText(c.server_id)} ${c.open + c.investigating} active / ${c.resolved} resolved`).join(' · ');
    console.log(`servers (--server <id> to filter): ${line}`);
  }
}

export async function issuesShow(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const detail = await loadIssueDetail(store.issues, id, store.issueActions); // a unique prefix too, in one exchange
  if (opts.json) return printJson(detail);
  console.log(renderIssue(detail));
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
