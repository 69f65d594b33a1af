import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { validateProposal } from '../../src/model/action-catalog.js';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from '../helpers/fake-webhook-receiver.js';
import { channelsForAgent } from '../../src/pipeline/channels.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TELEGRAM_SECRET = 'tg_secret-0123456789';
const ALICE = 'U0ALICE01';
const TG_ALICE = 42;

interface Fakes {
  slack: FakeSlack;
  pd: FakePagerDuty;
  hooks: FakeWebhookReceiver;
  telegram: FakeTelegram;
}

async function fakes(): Promise<Fakes> {
  return { slack: await startFakeSlack(), pd: await startFakePagerDuty(), hooks: await startFakeWebhookReceiver(), telegram: await startFakeTelegram() };
}

async function start(f: Fakes, pdMinSeverity: 'warning' | 'critical' = 'critical', tweak: (channels: Record<string, unknown>[]) => Record<string, unknown>[] = (c) => c): Promise<RunningAgent> {
  const backoff = { baseMs: 200, maxMs: 2_000 }; // "minutes" of failure compressed: the cap is what keeps retries coming
  const config = defaultConfig({
    opsagent: { serverId: 'web-1' },
    netdata: { url: '' },
    analysis: { enabled: false },
    discord: { enabled: false },
    server: { port: 0, publicUrl: 'http://ops.example.test' },
    actions: { dryRun: true, restartService: { allow: ['opsagent-test-none.service'] } },
    channels: tweak([
      {
        name: 'team-slack',
        type: 'slack',
        token: f.slack.token,
        channel: f.slack.channelId,
        signingSecret: SIGNING_SECRET,
        approverIds: [ALICE],
        apiBaseUrl: f.slack.apiBaseUrl,
        maxMessagesPerMinute: 300,
        backoff,
        route: { minSeverity: 'warning', servers: ['web-*'], events: ['new', 'escalated', 'resolved', 'approvals', 'digest'] },
      },
      { name: 'pager', type: 'pagerduty', routingKey: f.pd.routingKey, apiBaseUrl: f.pd.url, maxMessagesPerMinute: 300, backoff, route: { minSeverity: pdMinSeverity } },
      { name: 'hooks', type: 'webhook', url: f.hooks.url, secret: f.hooks.secret, maxMessagesPerMinute: 300, backoff },
      { name: 'ops-telegram', type: 'telegram', token: f.telegram.token, chatId: f.telegram.chatId, webhookSecret: TELEGRAM_SECRET, approverIds: [String(TG_ALICE)], apiBaseUrl: f.telegram.url, maxMessagesPerMinute: 300, backoff, route: { events: ['approvals'] } },
    ]),
  });
  const agent = await startAgent(config, pino({ level: 'silent' }), { dbUrl: `file:${join(tempDir(), 'opsagent.db')}` });
  onTestFinished(() => agent.stop());
  return agent;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ingest(agent: RunningAgent, events: object[]): Promise<void> {
  const res = await fetch(`${agent.url}/api/v1/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
  expect(res.status).toBeLessThan(300);
}

function alert(name: string, status: 'WARNING' | 'CRITICAL' | 'CLEAR', server = 'web-1') {
  return { server_id: server, name, context: `ctx.${name}`, chart: `chart.${name}`, status, value: 97.5, units: '%' };
}

async function health(agent: RunningAgent): Promise<Record<string, { state: string; error?: string }>> {
  const res = await fetch(`${agent.url}/healthz`);
  return ((await res.json()) as { channels: Record<string, { state: string; error?: string }> }).channels;
}

describe('channels', () => {
  it('delivers a storm to Slack, PagerDuty and a webhook at once; the webhook, down for 20 s, catches up exactly once without delaying the others', { timeout: 60_000 }, async () => {
    const f = await fakes();
    const agent = await start(f);
    const downUntil = Date.now() + 20_000;
    f.hooks.failUntil(downUntil);
    const storm = Array.from({ length: 40 }, (_, i) => alert(`storm_${i}`, 'CRITICAL'));
    await ingest(agent, [...storm, alert('db_disk', 'CRITICAL', 'db-1'), alert('warn_only', 'WARNING')]);

    // Slack (web-* only: 40 + the warning) and PagerDuty (critical only: 40 + db-1) deliver while the webhook is down.
    await until('slack and pagerduty', () => f.slack.messages.length === 41 && f.pd.incidents.length === 41);
    expect(Date.now()).toBeLessThan(downUntil);
    expect(f.hooks.accepted).toHaveLength(0);
    expect(f.hooks.attempts.length).toBeGreaterThan(0);
    expect((await health(agent)).hooks!.state).toBe('degraded');
    expect((await health(agent))['team-slack']!.state).toBe('ok');
    expect(f.slack.messages.some((m) => m.text.includes('db_disk'))).toBe(false);
    expect(f.pd.incidents.some((i) => i.summary.includes('warn_only'))).toBe(false);

    await until('the webhook to catch up', () => f.hooks.accepted.length >= 42, 40_000);
    await new Promise((r) => setTimeout(r, 500)); // anything duplicated would arrive now
    const issues = f.hooks.accepted.map((a) => (a.body.issue as { id: string }).id);
    expect(new Set(issues).size).toBe(42);
    expect(f.hooks.accepted).toHaveLength(42);
    expect(f.hooks.refused).toHaveLength(0);
    expect(f.hooks.accepted[0]!.body).toMatchObject({ version: 1, event: 'issue.new', kind: 'new' });
    expect(f.slack.messages).toHaveLength(41);
    expect(f.pd.incidents.every((i) => i.events.length === 1 && i.events[0] === 'trigger')).toBe(true);
    expect((await health(agent)).hooks!.state).toBe('ok');
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(/opsagent_channel_deliveries_total\{channel="hooks",outcome="retry"\} [1-9]/);
    expect(metrics).toMatch(/opsagent_channel_queue\{channel="hooks"\} 0/);
  });

  it('maps one issue to one PagerDuty incident (trigger, escalation, acknowledge, resolve by dedup_key) and keeps one live Slack message', { timeout: 30_000 }, async () => {
    const f = await fakes();
    const agent = await start(f, 'warning');
    await ingest(agent, [alert('cpu_usage', 'WARNING')]);
    await until('the trigger', () => f.pd.incidents.length === 1 && f.slack.messages.length === 1);
    await ingest(agent, [alert('cpu_usage', 'CRITICAL')]);
    await until('the escalation', () => f.pd.incidents[0]!.events.length === 2 && f.slack.messages[0]!.edits === 1);
    const [issue] = await agent.store.issues.list();
    await agent.store.silences.ack(issue!.id, 'alice');
    await agent.store.silences.ack(issue!.id, 'alice'); // the same owner again: nothing new to tell
    await until('the acknowledgement', () => f.pd.incidents[0]!.status === 'acknowledged' && f.slack.messages[0]!.edits === 2);
    await ingest(agent, [alert('cpu_usage', 'CLEAR')]);
    await until('the resolve', () => f.pd.incidents[0]!.status === 'resolved' && f.slack.messages[0]!.edits === 3);
    expect(f.pd.incidents).toHaveLength(1);
    expect(f.pd.incidents[0]).toMatchObject({ events: ['trigger', 'trigger', 'acknowledge', 'resolve'], severity: 'critical' });
    const keys = new Set(f.pd.requests.map((r) => (JSON.parse(r.body) as { dedup_key: string }).dedup_key));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^issue-/);
    expect(f.slack.messages).toHaveLength(1);
    expect(f.slack.messages[0]!.text).toContain('Resolved');
  });

  it('approves from Slack and Telegram only with a good signature, once, and only for approvers', { timeout: 30_000 }, async () => {
    const f = await fakes();
    const agent = await start(f);
    await ingest(agent, [alert('svc_down', 'CRITICAL'), alert('svc_two', 'CRITICAL')]);
    await until('issues', async () => (await agent.store.issues.list({ statuses: ['open'] })).length === 2);
    const [one, two] = await agent.store.issues.list({ statuses: ['open'] });
    const proposal = validateProposal({ type: 'restart_service', params: { service: 'opsagent-test-none.service' }, reason: 'down' });
    if (!proposal.ok) throw new Error(proposal.reason);
    const [a1] = await agent.remediation.handleProposals(one!, [proposal.proposal]);
    const [a2] = await agent.remediation.handleProposals(two!, [proposal.proposal]);
    expect(a1!.status).toBe('pending_approval');
    await until('approval messages', () => f.slack.messages.filter((m) => JSON.stringify(m.blocks).includes('"approve"')).length === 2 && f.telegram.messages.length === 2);
    const status = async (id: string) => (await agent.remediation.repository.get(id))?.status;

    // ---- Slack ----
    const slackClick = (userId: string, verb: string, actionId: string, options: { ts?: number; secret?: string } = {}) => {
      const payload = { type: 'block_actions', user: { id: userId, username: userId === ALICE ? 'alice' : 'mallory' }, team: { id: 'T1', domain: 'ops' }, api_app_id: 'A1', container: { type: 'message', message_ts: f.slack.messages[0]!.ts, channel_id: f.slack.channelId }, channel: { id: f.slack.channelId, name: 'ops' }, response_url: f.slack.responseUrl, trigger_id: '1.2.3', actions: [{ type: 'button', action_id: verb, block_id: `act_${actionId}`, value: actionId, action_ts: '1712345679.000001' }] };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const ts = String(options.ts ?? Math.floor(Date.now() / 1000));
      const sig = `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      return { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': sig } };
    };
    const post = (path: string, r: { body: string; headers: Record<string, string> }) => fetch(`${agent.url}${path}`, { method: 'POST', headers: r.headers, body: r.body });

    expect((await post('/api/v1/slack/interactions', slackClick(ALICE, 'approve', a1!.id, { secret: 'wrong-secret' }))).status).toBe(401);
    expect((await post('/api/v1/slack/interactions', slackClick(ALICE, 'approve', a1!.id, { ts: Math.floor(Date.now() / 1000) - 400 }))).status).toBe(401);
    expect((await post('/api/v1/slack/interactions', { ...slackClick(ALICE, 'approve', a1!.id), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(401);
    expect(await status(a1!.id)).toBe('pending_approval');
    expect((await post('/api/v1/slack/interactions', slackClick('U0MALLORY', 'approve', a1!.id))).status).toBe(200);
    await until('the refusal', () => f.slack.responses.length === 1);
    expect(f.slack.responses[0]).toMatchObject({ response_type: 'ephemeral' });
    expect(await status(a1!.id)).toBe('pending_approval');
    // Snooze 1 h: the issue is silenced (no messages, no automatic action); the decision stays open, buttons kept.
    expect((await post('/api/v1/slack/interactions', slackClick(ALICE, 'snooze', one!.id))).status).toBe(200);
    await until('the snooze answer', () => f.slack.responses.length === 2);
    expect(f.slack.responses[1]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(f.slack.responses[1]!.text)).toContain('Snoozed by slack:alice');
    expect((await agent.store.silences.marksOf([one!])).get(one!.id)?.silenced).toMatchObject({ kind: 'snooze', by: 'slack:alice' });
    expect(await status(a1!.id)).toBe('pending_approval');
    const good = slackClick(ALICE, 'reject', a1!.id);
    expect((await post('/api/v1/slack/interactions', good)).status).toBe(200);
    await until('the rejection', async () => (await status(a1!.id)) === 'rejected');
    await until('the replacement', () => f.slack.responses.length === 3);
    expect(f.slack.responses[2]).toMatchObject({ replace_original: true });
    expect(String(f.slack.responses[2]!.text)).toContain('Rejected by slack:alice');
    expect((await post('/api/v1/slack/interactions', good)).status).toBe(200); // a replay: answered, decides nothing
    await new Promise((r) => setTimeout(r, 200));
    expect(f.slack.responses).toHaveLength(3);
    expect((await agent.remediation.repository.get(a1!.id))?.decided_by).toBe('slack:alice');

    // ---- Telegram ----
    const tgMessage = f.telegram.messages.find((m) => JSON.stringify(m.reply_markup).includes(a2!.id))!;
    expect(tgMessage.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Approve', callback_data: `ap:${a2!.id}` }, { text: 'Reject', callback_data: `rj:${a2!.id}` }, { text: 'Snooze 1 h', callback_data: `sz:${two!.id}` }]] });
    let updateId = 815000100;
    const update = (fromId: number, data: string, id = ++updateId) =>
      JSON.stringify({ update_id: id, callback_query: { id: `43820048732189761${id}`, from: { id: fromId, is_bot: false, first_name: 'A', username: fromId === TG_ALICE ? 'alice' : 'eve' }, message: { message_id: tgMessage.message_id, date: 1767225600, chat: { id: Number(f.telegram.chatId), type: 'supergroup' }, text: '…' }, chat_instance: '-8123456789012345678', data } });
    const tg = (body: string, secret?: string) => fetch(`${agent.url}/api/v1/telegram/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(secret === undefined ? {} : { 'X-Telegram-Bot-Api-Secret-Token': secret }) }, body });
    expect((await tg(update(TG_ALICE, `ap:${a2!.id}`))).status).toBe(401);
    expect((await tg(update(TG_ALICE, `ap:${a2!.id}`), 'wrong_secret')).status).toBe(401);
    expect((await tg(update(99, `ap:${a2!.id}`), TELEGRAM_SECRET)).status).toBe(200);
    expect(f.telegram.answers.at(-1)).toMatchObject({ text: 'You are not allowed to approve or reject actions.' });
    expect(await status(a2!.id)).toBe('pending_approval');
    expect((await tg(update(99, `sz:${two!.id}`), TELEGRAM_SECRET)).status).toBe(200);
    expect(f.telegram.answers.at(-1)).toMatchObject({ text: 'You are not allowed to approve or reject actions.' });
    expect((await agent.store.silences.marksOf([two!])).get(two!.id)?.silenced).toBeNull();
    expect((await tg(update(TG_ALICE, `sz:${two!.id}`), TELEGRAM_SECRET)).status).toBe(200);
    expect(String(f.telegram.answers.at(-1)!.text)).toContain('Snoozed by telegram:alice');
    expect((await agent.store.silences.marksOf([two!])).get(two!.id)?.silenced).toMatchObject({ kind: 'snooze', by: 'telegram:alice' });
    expect((tgMessage.reply_markup as { inline_keyboard: unknown[][] }).inline_keyboard[0]).toHaveLength(3); // still open
    const approve = update(TG_ALICE, `ap:${a2!.id}`);
    expect((await tg(approve, TELEGRAM_SECRET)).status).toBe(200);
    await until('the approval', async () => (await status(a2!.id)) !== 'pending_approval');
    expect(String(f.telegram.answers.at(-1)!.text)).toContain('Approved by telegram:alice');
    expect(tgMessage.reply_markup).toEqual({ inline_keyboard: [] }); // the decided request has no buttons left
    const answered = f.telegram.answers.length;
    expect((await tg(approve, TELEGRAM_SECRET)).status).toBe(200); // the same update redelivered
    expect(f.telegram.answers).toHaveLength(answered);
    expect((await tg(update(TG_ALICE, `ap:${a2!.id}`), TELEGRAM_SECRET)).status).toBe(200); // a second click: single-use
    expect(String(f.telegram.answers.at(-1)!.text)).toMatch(/^⚠️ Not approved/);
    expect((await agent.remediation.repository.get(a2!.id))?.decided_by).toBe('telegram:alice');
  });

  it('announces a storm of 200 issues on Slack and Telegram in a few summary messages within a small budget, every issue named', { timeout: 30_000 }, async () => {
    const f = await fakes();
    const agent = await start(f, 'critical', (channels) =>
      channels.map((c) => (c.type === 'slack' || c.type === 'telegram' ? { ...c, maxMessagesPerMinute: 10, route: {} } : c)),
    );
    await ingest(agent, Array.from({ length: 200 }, (_, i) => alert(`burst_${i}`, 'CRITICAL')));
    const named = (texts: string[]) => new Set(texts.flatMap((t) => [...t.matchAll(/burst_\d+/g)].map((m) => m[0]))).size;
    const slackText = () => f.slack.messages.map((m) => `${m.text} ${JSON.stringify(m.blocks)}`);
    await until('every issue on Slack and Telegram', () => named(slackText()) === 200 && named(f.telegram.messages.map((m) => m.text)) === 200, 20_000);
    expect(f.slack.messages.length).toBeLessThanOrEqual(10);
    expect(f.telegram.messages.length).toBeLessThanOrEqual(10);
    expect(f.slack.messages.some((m) => m.text.startsWith('⚡'))).toBe(true);
    await until('pagerduty: one incident each, never summarised', () => f.pd.incidents.length === 200, 20_000);
    expect(f.pd.requests).toHaveLength(200);
  });

  it('sends the daily digest once per day to each channel whose route takes digests', { timeout: 30_000 }, async () => {
    const f = await fakes();
    const store = await openTempStore();
    onTestFinished(() => store.db.close());
    const config = defaultConfig({
      server: { publicUrl: 'http://ops.example.test' },
      channels: [
        { name: 'team-slack', type: 'slack', token: f.slack.token, channel: f.slack.channelId, apiBaseUrl: f.slack.apiBaseUrl },
        { name: 'pager', type: 'pagerduty', routingKey: f.pd.routingKey, apiBaseUrl: f.pd.url },
        { name: 'hooks', type: 'webhook', url: f.hooks.url, secret: f.hooks.secret, route: { events: ['digest'] } },
      ],
    });
    const setup = channelsForAgent({ config, db: store.db, logger: pino({ level: 'silent' }) });
    expect(setup.services.map((s) => s.name)).toEqual(['channel-digest']);
    for (const s of setup.senders) s.start();
    onTestFinished(async () => {
      for (const s of setup.senders) await s.stop();
    });
    const now = Date.now();
    for (let i = 0; i < 2; i++) await setup.hooks!.queueDigest(store.db, 'Issues opened: 3\nStill open: <1>', 'Daily digest: 3 opened', '2026-12-03', now);
    setup.hooks!.afterCommit();
    await until('the digests', () => f.slack.messages.length === 1 && f.hooks.accepted.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(f.slack.messages).toHaveLength(1);
    expect(JSON.stringify(f.slack.messages[0]!.blocks)).toContain('Still open: &lt;1&gt;');
    expect(f.hooks.accepted[0]!.body).toMatchObject({ version: 1, event: 'digest', kind: 'digest', issue: null, text: 'Issues opened: 3\nStill open: <1>' });
    expect(f.pd.requests).toHaveLength(0);
  });

  it('waits out Slack, Telegram and PagerDuty 429s (Retry-After, retry_after) and then delivers each change once', { timeout: 30_000 }, async () => {
    const f = await fakes();
    f.slack.rateLimitNext(2, 1);
    f.telegram.rateLimitNext(1, 1);
    f.pd.rateLimitNext(1);
    const agent = await start(f, 'critical', (channels) => channels.map((c) => (c.type === 'telegram' ? { ...c, route: {} } : c.type === 'pagerduty' ? { ...c, backoff: { baseMs: 200, maxMs: 500 } } : c)));
    const t0 = Date.now();
    await ingest(agent, [alert('net_drops', 'CRITICAL')]);
    await until('every channel', () => f.slack.messages.length === 1 && f.telegram.messages.length === 1 && f.pd.incidents.length === 1 && f.hooks.accepted.length === 1, 45_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000); // Slack's Retry-After: 1 was obeyed
    expect(f.slack.requests).toHaveLength(3);
    expect(f.telegram.requests).toHaveLength(2);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(/opsagent_channel_deliveries_total\{channel="team-slack",outcome="rate_limited"\} 2/);
    expect(metrics).toMatch(/opsagent_channel_deliveries_total\{channel="ops-telegram",outcome="rate_limited"\} 1/);
  });

  it('stops a channel whose token is revoked and says why in /healthz, while the others go on', { timeout: 30_000 }, async () => {
    const f = await fakes();
    f.slack.revoke();
    const agent = await start(f);
    await ingest(agent, [alert('mem_usage', 'CRITICAL')]);
    await until('pagerduty and the webhook', () => f.pd.incidents.length === 1 && f.hooks.accepted.length === 1);
    await until('slack failed', async () => (await health(agent))['team-slack']?.state === 'failed');
    expect((await health(agent))['team-slack']!.error).toContain('invalid_auth');
    expect(f.slack.messages).toHaveLength(0);
  });
});
