import { describe, expect, it } from 'vitest';
import { cardComponents, nextCardState, renderCard, renderGroupCard, settledCardState, type CardState } from './card.js';
import type { IssueSnapshot } from './notification-types.js';

const ctx = { publicUrl: 'http://ops.test' };
const issue = (status: string, severity = 'critical', alert_count = 1): IssueSnapshot => ({ id: 'i-1', server_id: 'web-1', title: 'cpu', severity, status, alert_count });

describe('issue cards', () => {
  it.each([
    ['created', 'open', '🔴 New critical issue: cpu on web-1'],
    ['escalated', 'open', '🔺 Escalated to critical: cpu on web-1'],
    ['reopened', 'open', '🔁 Reopened: cpu on web-1'],
    ['resolved', 'resolved', '✅ Resolved: cpu on web-1'],
  ] as const)('titles a card after a %s change with its current state', (change, status, title) => {
    const state = nextCardState(undefined, { kind: 'issue', change, issue: issue(status), at: 1_000 });
    expect(renderCard(state, ctx).title).toBe(title);
  });

  it.each([
    ['https://runbooks.example/high-cpu', 'https://runbooks.example/high-cpu'],
    ['javascript:alert(1)', undefined],
  ])('shows the runbook_url %s as a field only when it is an http(s) URL', (url, shown) => {
    const state = nextCardState(undefined, { kind: 'issue', change: 'created', issue: { ...issue('open'), runbook_url: url }, at: 1_000 });
    expect(renderCard(state, ctx).fields?.find((f) => f.name === 'Runbook')?.value).toBe(shown);
  });

  it('counts flapping cycles, shows the current state after each, and says when it settled', () => {
    let s: CardState = nextCardState(undefined, { kind: 'issue', change: 'created', issue: issue('open'), at: 0 });
    s = nextCardState(s, { kind: 'issue', change: 'resolved', issue: issue('resolved'), at: 1, flappingStarted: true, cycles: 2 });
    expect(renderCard(s, ctx).title).toBe('〰️ Flapping (2 cycles), now resolved: cpu on web-1');
    s = nextCardState(s, { kind: 'issue', change: 'reopened', issue: issue('open'), at: 2 });
    expect(renderCard(s, ctx).title).toBe('〰️ Flapping (3 cycles), now critical: cpu on web-1');
    s = nextCardState(s, { kind: 'issue', change: 'resolved', issue: issue('resolved'), at: 3_000 });
    s = settledCardState(s, 603_000);
    expect(renderCard(s, ctx).title).toBe('✅ Settled, resolved: cpu on web-1');
    expect(renderCard(s, ctx).description).toContain('Flapped 3 cycles; settled');
    s = nextCardState(s, { kind: 'issue', change: 'reopened', issue: issue('open'), at: 700_000 });
    expect(renderCard(s, ctx).title).toBe('〰️ Flapping (4 cycles), now critical: cpu on web-1'); // a new transition un-settles it
  });

  it('lists actions with their latest outcome, one line per action', () => {
    let s = nextCardState(undefined, { kind: 'issue', change: 'created', issue: issue('open'), at: 0 });
    const action = { id: 'a-1', action_type: 'kill_process', summary: 'kill_process pid=42' };
    s = nextCardState(s, { kind: 'action', issue: issue('open'), action, outcome: '⏳ awaiting approval', at: 1 });
    s = nextCardState(s, { kind: 'action', issue: issue('open'), action, outcome: '❌ failed', at: 2 });
    expect(renderCard(s, ctx).fields?.find((f) => f.name === 'Actions')?.value).toBe('❌ failed: kill_process pid=42');
  });

  it('names every issue of a storm summary and says how many fit', () => {
    const states = Array.from({ length: 30 }, (_, i) =>
      nextCardState(undefined, { kind: 'issue', change: 'created', issue: { ...issue('open'), id: `i-${i}`, title: `alert_${i}` }, at: 0 }),
    );
    const { embeds, count } = renderGroupCard(states, ctx, { firstPost: true });
    expect(count).toBe(30);
    const text = embeds.map((e) => e.description).join('\n');
    for (let i = 0; i < 30; i++) expect(text).toContain(`🔴 alert_${i} on web-1 · open`);
    expect(embeds[0]?.title).toBe('⚡ 30 issues at once: 30 open, 0 resolved');
  });
});

describe('acknowledgement and silence on the card', () => {
  const until = Date.UTC(2026, 11, 3, 15, 0);
  it.each<[string, CardState['silence'], string]>([
    ['a silence', { id: 's-1', kind: 'silence', until, by: 'bob', comment: 'deploy' }, `🔕 Silenced until <t:${until / 1000}:t> by bob (deploy)`],
    ['a snooze', { id: 's-2', kind: 'snooze', until, by: 'carol', comment: '' }, `💤 Snoozed until <t:${until / 1000}:t> by carol`],
    ['until resolved', { id: 's-3', kind: 'silence', until: null, by: 'bob', comment: '' }, '🔕 Silenced until it resolves by bob'],
    ['a maintenance window', { id: 'config:sunday', kind: 'window', until, by: 'config', comment: 'sunday' }, `🛠 Maintenance window until <t:${until / 1000}:t> (sunday)`],
  ])('shows %s and who acknowledged, keeps the headline, and drops both when the marks are cleared', (_name, silence, line) => {
    let s = nextCardState(undefined, { kind: 'issue', change: 'created', issue: issue('open'), at: 0 });
    s = nextCardState(s, { kind: 'marks', issue: issue('open'), marks: { ack: { by: 'alice', at: 1_000 }, silence }, at: 1_000 });
    const card = renderCard(s, ctx);
    expect(card.title).toBe('🔴 New critical issue: cpu on web-1');
    expect(card.description?.split('\n')).toEqual([line, '👤 Acknowledged by alice <t:1:R>']);
    expect(cardComponents(s)).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 2, label: 'Acknowledged by alice', custom_id: 'ack:i-1', disabled: true },
          { type: 2, style: 2, label: 'Snooze 1 h', custom_id: 'snooze:i-1' },
          { type: 2, style: 2, label: 'Silence until resolved', custom_id: 'silence:i-1', ...(silence?.until === null ? { disabled: true } : {}) },
        ],
      },
    ]);
    s = nextCardState(s, { kind: 'marks', issue: issue('open'), marks: {}, at: 2_000 });
    expect(renderCard(s, ctx).description).toBeUndefined();
  });

  it('a resolved card shows no silence and has no buttons', () => {
    let s = nextCardState(undefined, { kind: 'issue', change: 'created', issue: issue('open'), at: 0 });
    s = nextCardState(s, { kind: 'marks', issue: issue('open'), marks: { silence: { id: 's', kind: 'silence', until: 5_000, by: 'b', comment: '' } }, at: 1 });
    s = nextCardState(s, { kind: 'issue', change: 'resolved', issue: issue('resolved'), at: 2 });
    expect(renderCard(s, ctx).description).toBe('Alert condition cleared.');
    expect(cardComponents(s)).toEqual([]);
  });
});
