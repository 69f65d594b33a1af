import { describe, expect, it } from 'vitest';
import { composeMessage } from './compose.js';
import { normalizeWebhookUrl } from './discord-client.js';
import { clampEmbed, embedSize, fitEmbed, truncate } from './embed-limits.js';
import type { OutboxItem } from './notification-types.js';

const ctx = { publicUrl: 'http://ops.test' };

function created(id: number, title = `alert_${id}`, description = 'x'): OutboxItem {
  return {
    id,
    channel: 'webhook',
    attempts: 0,
    created_at: 0,
    payload: { kind: 'issue_created', at: 0, issue: { id: `issue-${id}`, server_id: 'web-1', title, severity: 'critical', status: 'open', description } },
  };
}

describe('embed limits', () => {
  it('truncates at a code point boundary and never splits a surrogate pair', () => {
    const text = '😀'.repeat(300); // 600 UTF-16 units
    const cut = truncate(text, 256);
    expect(cut.length).toBeLessThanOrEqual(256);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.slice(0, -1)).toBe('😀'.repeat((cut.length - 1) / 2));
  });

  it('leaves short text alone apart from trimming', () => {
    expect(truncate('  hello  ', 10)).toBe('hello');
  });

  it('clamps every field and drops fields beyond 25', () => {
    const e = clampEmbed({
      title: 't'.repeat(1_000),
      description: 'd'.repeat(10_000),
      fields: Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, value: i === 0 ? '' : 'v'.repeat(5_000) })),
      footer: { text: 'f'.repeat(5_000) },
    });
    expect(e.title!.length).toBeLessThanOrEqual(256);
    expect(e.description!.length).toBeLessThanOrEqual(4_096);
    expect(e.fields).toHaveLength(25);
    expect(e.fields![0]!.value).toBe('—');
    expect(Math.max(...e.fields!.map((f) => f.value.length))).toBeLessThanOrEqual(1_024);
    expect(e.footer!.text.length).toBeLessThanOrEqual(2_048);
    expect(embedSize(fitEmbed(e, 5_600))).toBeLessThanOrEqual(5_600);
  });

  it.each([
    ['https://discord.com/api/webhooks/123/abc', 'https://discord.com/api/v10/webhooks/123/abc?wait=true'],
    ['https://discord.com/api/v10/webhooks/123/abc', 'https://discord.com/api/v10/webhooks/123/abc?wait=true'],
    ['https://discordapp.com/api/webhooks/123/a-b_c?thread_id=9', 'https://discordapp.com/api/v10/webhooks/123/a-b_c?thread_id=9&wait=true'],
  ])('posts %s to %s', (given, expected) => {
    expect(normalizeWebhookUrl(given)).toBe(expected);
  });

  it('refuses a URL that is not a webhook', () => {
    expect(() => normalizeWebhookUrl('https://example.com/hook')).toThrow(/webhooks/);
  });
});

describe('composeMessage', () => {
  it('keeps a message of huge embeds under the 6000 total and leaves the rest due', () => {
    const items = Array.from({ length: 10 }, (_, i) => created(i + 1, 'a'.repeat(300), 'b'.repeat(5_000)));
    const m = composeMessage(items, ctx, { aggregate: false })!;
    const total = m.body.embeds.reduce((s, e) => s + embedSize(e), 0);
    expect(total).toBeLessThanOrEqual(6_000);
    expect(m.itemIds.length).toBe(m.body.embeds.length);
    expect(m.itemIds.length).toBeLessThan(10);
    expect(m.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('summarises a storm in one message of at most 10 embeds covering every item', () => {
    const items = Array.from({ length: 1_000 }, (_, i) => created(i + 1));
    const m = composeMessage(items, ctx, { aggregate: true })!;
    expect(m.body.embeds.length).toBeLessThanOrEqual(10);
    expect(m.itemIds).toHaveLength(1_000);
    expect(m.body.embeds.at(-1)!.title).toBe('and 991 more new issues…');
    expect(m.body.embeds.reduce((s, e) => s + embedSize(e), 0)).toBeLessThanOrEqual(6_000);
  });

  it('puts approval requests first', () => {
    const approval: OutboxItem = {
      id: 99,
      channel: 'webhook',
      attempts: 0,
      created_at: 0,
      payload: { kind: 'approval_required', at: 0, issue: null, action: { id: 'act-1', action_type: 'kill_process' } },
    };
    const m = composeMessage([created(1), approval], ctx, { aggregate: false })!;
    expect(m.body.embeds[0]!.title).toBe('⚠️ Action requires approval: kill_process');
  });
});
