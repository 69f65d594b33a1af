import { describe, expect, it } from 'vitest';
import { renderEmbed, summaryLine } from './render.js';
import type { NotificationPayload } from './notification-types.js';

const ctx = { publicUrl: 'http://ops.test' };
const at = Date.UTC(2026, 11, 3, 15, 0);

describe('where issues stand: one message for a silence end or a reminder round', () => {
  const issues = [
    { id: 'issue-1-aaaaaa', server_id: 'web-1', title: 'disk_full', severity: 'critical', status: 'open', alert_count: 42, first_seen_at: at - 3_600_000, acknowledged_by: 'alice' },
    { id: 'issue-2-bbbbbb', server_id: 'db-1', title: 'mysql_slow', severity: 'warning', status: 'investigating', alert_count: 3, acknowledged_by: null },
  ];

  it('lists every issue with its state, firings and owner', () => {
    const payload: NotificationPayload = { kind: 'issues_standing', reason: 'silence_ended', title: '🔔 Silence silence-1-abcdef ended (it ran out): 2 issues still active', issues, at };
    const embed = renderEmbed(payload, ctx);
    expect(embed.title).toBe('🔔 Silence silence-1-abcdef ended (it ran out): 2 issues still active');
    expect(embed.description?.split('\n')).toEqual([
      `🔴 [disk_full on web-1](http://ops.test/issues/issue-1-aaaaaa) · open · 42 firings · since <t:${(at - 3_600_000) / 1000}:R> · acknowledged by alice`,
      '🟠 [mysql_slow on db-1](http://ops.test/issues/issue-2-bbbbbb) · investigating · 3 firings · not acknowledged',
    ]);
    expect(embed.timestamp).toBe('2026-12-03T15:00:00.000Z');
    expect(summaryLine(payload)).toBe(`• ${payload.title}`);
  });

  it('a reminder says how to stop it', () => {
    const embed = renderEmbed({ kind: 'issues_standing', reason: 'reminder', title: '⏰ Reminder: 1 critical issue open and not acknowledged', issues: [issues[0]!], at }, ctx);
    expect(embed.description).toContain('Acknowledge to stop reminders: `opsagent issues-ack <id> --by <name>`');
  });
});
