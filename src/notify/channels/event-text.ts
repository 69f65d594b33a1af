import type { ChannelEvent } from './types.js';

const MARK: Record<ChannelEvent['kind'], string> = {
  new: '🔴',
  escalated: '🔺',
  resolved: '✅',
  acknowledged: '👀',
  approvals: '⚠️',
  digest: '📋',
};

/** The headline of an event, the same words on every channel (Discord's cards use them too). */
export function headline(e: ChannelEvent): string {
  const i = e.issue;
  const on = i ? `${i.title} on ${i.server_id}` : '';
  switch (e.kind) {
    case 'new':
      return `${MARK.new} New ${i?.severity ?? ''} issue: ${on}`;
    case 'escalated':
      return `${MARK.escalated} Escalated to ${i?.severity ?? ''}: ${on}`;
    case 'resolved':
      return `${MARK.resolved} Resolved: ${on}`;
    case 'acknowledged':
      return `${MARK.acknowledged} Acknowledged: ${on}`;
    case 'approvals':
      return `${MARK.approvals} Action requires approval: ${e.action?.summary ?? e.action?.action_type ?? ''}${i ? ` (${on})` : ''}`;
    case 'digest':
      return `${MARK.digest} ${e.summary}`;
  }
}

/** The facts shown under the headline: name and value pairs. */
export function facts(e: ChannelEvent): [string, string][] {
  const i = e.issue;
  if (!i) return [];
  const out: [string, string][] = [
    ['Server', i.server_id],
    ['Severity', i.severity],
    ['Status', i.status],
  ];
  if (i.value) out.push(['Value', i.value]);
  if (i.alert_count !== undefined) out.push(['Firings', String(i.alert_count)]);
  if (e.action) out.push(['Action', `${e.action.summary ?? e.action.action_type} (${e.action.risk ?? 'risk unknown'})`]);
  return out;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One line of a storm summary: the issue, where, and what happened. */
export function summaryLine(e: ChannelEvent): string {
  const i = e.issue;
  const mark = e.kind === 'resolved' ? '✅' : i?.severity === 'critical' ? '🔴' : '🟠';
  return clip(`${mark} ${i ? `${i.title} on ${i.server_id}` : e.summary} · ${e.kind}`, 120);
}

export function summaryTitle(events: ChannelEvent[]): string {
  const open = events.filter((e) => e.kind !== 'resolved').length;
  return `⚡ ${events.length} issue changes at once: ${open} open, ${events.length - open} resolved`;
}
