import type { ActionRecord } from '../model/action.js';
import type { Issue } from '../model/issue.js';
import type { IssueDetail } from '../pipeline/issue-detail.js';
import { isoTime, shown } from './text.js';

// Compact text for an assistant's context window: one line per issue or action, ids first so they can be quoted back.

export function issueLine(i: Issue): string {
  const flapping = i.metadata.flapping ? ' FLAPPING' : '';
  return `${i.id} [${i.status}] ${i.severity} ${shown(i.title)} on ${shown(i.server_id)}: ${i.alert_count} firing(s), last ${isoTime(i.last_seen_at)}${flapping}`;
}

function paramsText(params: Record<string, unknown>): string {
  const text = JSON.stringify(params);
  return text === '{}' ? '' : ` ${shown(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`;
}

export function actionLine(a: ActionRecord): string {
  const expires = a.status === 'pending_approval' && a.expires_at ? `, expires ${isoTime(a.expires_at)}` : '';
  const verification = a.verification ? `, ${a.verification}` : '';
  const decision = a.decision_reason ? ` — ${shown(a.decision_reason)}` : '';
  return `${a.id} [${a.status}${verification}] ${a.action_type}${paramsText(a.params)} (${a.risk} risk) on ${a.issue_id}${expires}${decision}`;
}

/** Details, why grouped, the latest analysis, the actions and the last `timeline` comments of an issue. */
export function renderIssueDetail(detail: IssueDetail, timeline: number): string {
  const inputs = detail.metadata.fingerprint_inputs;
  const lines = [
    issueLine(detail),
    detail.description ? `description: ${shown(detail.description)}` : '',
    `source: ${shown(detail.source)}${detail.source_alert_id ? ` (${shown(detail.source_alert_id)})` : ''}; first seen ${isoTime(detail.first_seen_at)}${detail.resolved_at ? `; resolved ${isoTime(detail.resolved_at)}` : ''}`,
    `why grouped: fingerprint ${detail.alert_fingerprint} = sha256("${shown(inputs?.name ?? '?')}:${shown(inputs?.context ?? '?')}:${shown(inputs?.chart ?? '?')}")[:16] on server ${shown(detail.server_id)}: every firing of this alert name, context and chart there updates this one issue`,
  ];
  const labels = detail.metadata.labels;
  if (labels && Object.keys(labels).length > 0) lines.push(`labels: ${shown(JSON.stringify(labels))}`);
  const analysis = [...detail.comments].reverse().find((c) => c.comment_type === 'analysis');
  lines.push('', analysis ? `latest analysis (${isoTime(analysis.created_at)}):\n${shown(analysis.content)}` : 'latest analysis: none yet');
  const actions = detail.actions as unknown as ActionRecord[];
  lines.push('', actions.length > 0 ? `actions (${actions.length}):` : 'actions: none');
  for (const a of actions) lines.push(`  ${actionLine(a)}`);
  const last = detail.comments.slice(-timeline);
  lines.push('', `timeline: last ${last.length} of ${detail.comments.length} entries (oldest first)`);
  for (const c of last) {
    const who = c.author_name ? ` ${shown(c.author_name)}` : ` ${c.author_type}`;
    const text = c.comment_type === 'analysis' ? shown(c.content).split('\n')[0] : shown(c.content).split('\n').slice(0, 6).join('\n    ');
    lines.push(`  ${isoTime(c.created_at)} ${c.comment_type}${who}: ${text}`);
  }
  return lines.filter((l, i) => l !== '' || i > 3).join('\n');
}
