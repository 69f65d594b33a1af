import type { Issue, IssueComment } from '../model/issue.js';

/** "3m ago", "2h ago", "5d ago": how operators read times in a list. */
export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Strips terminal control characters from text that came from alerts, the LLM or people. */
export function safeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '?');
}

export const COMMENT_ICONS: Record<IssueComment['comment_type'], string> = {
  alert_fired: '🔔',
  analysis: '🤖',
  action: '🛠',
  status_change: '🔄',
  note: '📝',
};

export function issueLine(issue: Issue): string[] {
  return [
    issue.id,
    issue.status,
    issue.severity,
    safeText(issue.server_id),
    safeText(issue.title),
    String(issue.alert_count),
    relativeTime(issue.first_seen_at),
    relativeTime(issue.last_seen_at),
  ];
}
