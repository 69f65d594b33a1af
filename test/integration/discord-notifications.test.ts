import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import type { AlertEvent } from '../../src/model/alert.js';
import { openStore, startAgent, type Store } from '../../src/main.js';
import { DigestScheduler, queueDigest } from '../../src/notify/digest-scheduler.js';
import { setupNotifications } from '../../src/pipeline/notifications.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { NotificationRepository } from '../../src/store/notification-repository.js';
import { startFakeDiscord, type FakeDiscord, type RecordedMessage } from '../helpers/fake-discord.js';
import { openTempStore } from '../helpers/temp-store.js';

const PUBLIC_URL = 'http://ops.example.test:8080';

function configFor(discord: FakeDiscord, extra: Record<string, unknown> = {}) {
  return defaultConfig({
    opsagent: { serverId: 'test-server' },
    server: { publicUrl: PUBLIC_URL },
    discord: { webhookUrl: discord.webhookUrl, ...extra },
  });
}

function firing(name: string, status: 'WARNING' | 'CRITICAL' | 'CLEAR', at: number, value = 97.5): AlertEvent {
  return { server_id: 'web-1', name, context: 'system.cpu', chart: 'system.cpu', status, value, units: '%', source: 'opsagent', occurred_at: at };
}

function captureLogs(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function start(store: Store, discord: FakeDiscord, options: { extra?: Record<string, unknown>; windowMs?: number; logger?: pino.Logger; remediation?: Remediation } = {}) {
  const repo = new NotificationRepository(store.db);
  const setup = setupNotifications({
    config: configFor(discord, options.extra),
    repo,
    logger: options.logger ?? pino({ level: 'silent' }),
    senderOptions: { lingerMs: 30, pollMs: 200, baseBackoffMs: 100, maxBackoffMs: 400, ...(options.windowMs ? { windowMs: options.windowMs } : {}) },
  });
  wirePipeline({ tracker: store.tracker, remediation: options.remediation, notifications: setup.hooks }, { handOff: 'record-only' });
  const sender = setup.sender!;
  sender.start();
  onTestFinished(() => sender.stop());
  return { repo, sender, setup };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}


type SeenEmbed = { title?: string; description?: string; url?: string; footer?: { text: string }; fields?: { name: string; value: string }[] };

function embeds(messages: RecordedMessage[]): SeenEmbed[] {
  return messages.flatMap((m) => m.body.embeds ?? []) as SeenEmbed[];
}

/** How many times each name appears in what the channel shows now (titles and summary lines). */
function timesShown(discord: FakeDiscord, name: string): number {
  const text = embeds(discord.messages).flatMap((e) => [e.title ?? '', ...(e.description ?? '').split('\n')]);
  return text.filter((t) => new RegExp(`\\b${name} on web-1\\b`).test(t)).length;
}

const cardsDrained = (repo: NotificationRepository) => async () => (await repo.counts()).pending === 0 && (await repo.cardCounts()).pending === 0;

describe('Discord notifications', () => {
  it('posts one live message per critical issue, edits it on resolution, and 10,000 firings post nothing', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord);
    const t0 = Date.now();

    const [created] = await store.tracker.ingest([firing('cpu_usage', 'CRITICAL', t0)]);
    await store.tracker.ingest([firing('disk_space', 'WARNING', t0 + 1)]); // a warning is not announced
    await store.tracker.ingest([firing('disk_space', 'CRITICAL', t0 + 2)]);
    for (let batch = 0; batch < 10; batch++) {
      await store.tracker.ingest(Array.from({ length: 1_000 }, (_, i) => firing('cpu_usage', 'CRITICAL', t0 + 10 + batch * 1_000 + i)));
    }
    await until(cardsDrained(repo));
    expect(discord.messages).toHaveLength(2); // the two cards; the firings only wait to be shown on the card
    await store.tracker.ingest([firing('cpu_usage', 'CLEAR', t0 + 20_000)]);
    await until(cardsDrained(repo));
    await new Promise((r) => setTimeout(r, 300)); // nothing else trickles in

    expect(discord.messages).toHaveLength(2);
    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    expect(titles).toEqual(['✅ Resolved: cpu_usage on web-1', '🔺 Escalated to critical: disk_space on web-1']);
    const card = embeds(discord.messages)[0]!;
    expect(card.url).toBe(`${PUBLIC_URL}/issues/${created!.issue_id}`);
    expect(card.footer?.text).toBe(`opsagent issues-show ${created!.issue_id}`);
    expect(card.fields?.find((f) => f.name === 'Firings')?.value).toBe('10001');
    expect(card.fields?.find((f) => f.name === 'Status')?.value).toBe('resolved');
    for (const m of discord.messages) {
      expect(m.path).toMatch(/^\/api\/v10\/webhooks\/\d+\/[^/?]+\?wait=true$/);
      expect(m.body.allowed_mentions).toEqual({ parse: [] });
    }
    const cpuCard = discord.messages[0]!;
    const cpuEdits = discord.edits.filter((e) => e.messageId === cpuCard.id);
    expect(cpuEdits.length).toBeGreaterThanOrEqual(1);
    for (const e of cpuEdits) {
      expect(e.path).toBe(`/api/v10/webhooks/123456789012345678/fake-webhook-token/messages/${cpuCard.id}`);
      expect(e.body.allowed_mentions).toEqual({ parse: [] });
      expect(e.body).not.toHaveProperty('username');
    }
    const stored = await store.issues.get(created!.issue_id!);
    expect(stored?.alert_count).toBe(10_001);
  });

  it('also posts a short resolution message when discord.resolution is edit-and-message', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord, { extra: { resolution: 'edit-and-message' } });
    const t0 = Date.now();
    await store.tracker.ingest([firing('cpu_usage', 'CRITICAL', t0)]);
    await until(cardsDrained(repo));
    await store.tracker.ingest([firing('cpu_usage', 'CLEAR', t0 + 1_000)]);
    await until(cardsDrained(repo));
    expect(embeds(discord.messages).map((e) => e.title)).toEqual(['✅ Resolved: cpu_usage on web-1', '✅ Resolved: cpu_usage on web-1']);
    expect(discord.edits).toHaveLength(1);
  });

  it('asks for approval with the CLI command and the dashboard link when there is no bot', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const config = configFor(discord);
    const remediation = new Remediation({ ...store, serverId: 'web-1', config, logger: pino({ level: 'silent' }), executeApproved: false });
    const { repo } = start(store, discord, { remediation });
    const [r] = await store.tracker.ingest([firing('cpu_usage', 'WARNING', Date.now())]);
    const issue = (await store.issues.get(r!.issue_id!))!;
    const check = validateProposal({ type: 'kill_process', params: { pid: 4242, name: 'buggy-app' }, reason: 'runaway CPU' });
    if (!check.ok) throw new Error(check.reason);
    const [action] = await remediation.handleProposals(issue, [check.proposal]);
    expect(action?.status).toBe('pending_approval');
    await until(cardsDrained(repo));

    expect(discord.messages).toHaveLength(1);
    const [embed] = embeds(discord.messages);
    expect(embed?.title).toBe('⚠️ Action requires approval: kill_process');
    expect(embed?.description).toContain(`opsagent actions-approve ${action!.id} --by <name>`);
    expect(embed?.description).toContain(`${PUBLIC_URL}/issues/${issue.id}`);
  });

  it('spreads a storm of 1,000 new issues over few messages within the rate budget and announces every one', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const windowMs = 1_000;
    const { repo } = start(store, discord, { extra: { maxMessagesPerMinute: 3 }, windowMs });
    const t0 = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      await store.tracker.ingest(Array.from({ length: 100 }, (_, i) => firing(`storm_${batch * 100 + i}`, 'CRITICAL', t0 + batch * 100 + i)));
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(cardsDrained(repo));

    const times = discord.messages.map((m) => m.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + windowMs).length).toBeLessThanOrEqual(3);
    for (let i = 0; i < 1_000; i++) expect(timesShown(discord, `storm_${i}`)).toBe(1);
    expect(discord.messages.length).toBeLessThan(20);
    expect((await repo.cardCounts()).posted).toBe(1_000);
  });

  it('folds 30 issues raised together into one summary message and edits it as they clear', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord);
    const t0 = Date.now();
    await store.tracker.ingest(Array.from({ length: 30 }, (_, i) => firing(`burst_${i}`, 'CRITICAL', t0 + i)));
    await until(cardsDrained(repo));
    expect(discord.messages).toHaveLength(1);
    await store.tracker.ingest(Array.from({ length: 30 }, (_, i) => firing(`burst_${i}`, 'CLEAR', t0 + 1_000 + i)));
    await until(cardsDrained(repo));

    expect(discord.messages).toHaveLength(1);
    const [summary] = embeds(discord.messages);
    expect(summary?.title).toBe('⚡ 30 issues at once: 0 open, 30 resolved');
    for (let i = 0; i < 30; i++) {
      expect(timesShown(discord, `burst_${i}`)).toBe(1);
      expect(summary?.description).toContain(`✅ burst_${i} on web-1 · resolved`);
    }
    expect(discord.edits.length).toBeGreaterThanOrEqual(1);
    expect(discord.edits.length).toBeLessThanOrEqual(3); // 30 pending edits of one message coalesce
  });

  it('delivers everything once after Discord was down (503) for a while, and waits out a 429', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    discord.setDown(503);
    const { repo, sender } = start(store, discord);
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await store.tracker.ingest([firing(`down_${i}`, 'CRITICAL', t0 + i)]);
    await until(() => discord.requests.filter((r) => r.status === 503).length >= 3);
    expect(sender.health().state).toBe('degraded');
    discord.script({ status: 429, retryAfter: 0.3 });
    discord.setDown(undefined);
    await until(cardsDrained(repo));

    for (let i = 0; i < 5; i++) expect(timesShown(discord, `down_${i}`)).toBe(1);
    const limited = discord.requests.find((r) => r.status === 429)!;
    expect(limited).toBeDefined();
    const after = discord.requests.find((r) => r.at > limited.at && r.status === 200)!;
    expect(after.at - limited.at).toBeGreaterThanOrEqual(280);
    expect(sender.health().state).toBe('ok');
  });

  it('resumes a non-empty outbox after a restart and delivers each notification once', async () => {
    const discord = await startFakeDiscord();
    const first = await openTempStore();
    const config = configFor(discord);
    // First life: the hooks queue rows but the sender never runs (the process "dies" before sending).
    const setup = setupNotifications({ config, repo: new NotificationRepository(first.db), logger: pino({ level: 'silent' }) });
    wirePipeline({ tracker: first.tracker, notifications: setup.hooks }, { handOff: 'record-only' });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await first.tracker.ingest([firing(`restart_${i}`, 'CRITICAL', t0 + i)]);
    expect(setup.sender).toBeDefined();
    await first.db.close();

    const second = await openStore(config, { dbUrl: `file:${first.path}` });
    onTestFinished(() => second.db.close());
    const { repo } = start(second, discord);
    await until(cardsDrained(repo));
    await new Promise((r) => setTimeout(r, 300));
    expect(discord.messages).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(timesShown(discord, `restart_${i}`)).toBe(1);
  });

  it('stops with one clear error when the webhook was deleted (404) and keeps the rows queued', async () => {
    const discord = await startFakeDiscord();
    discord.deleteWebhook();
    const store = await openTempStore();
    const { logger, lines } = captureLogs();
    const { repo, sender } = start(store, discord, { logger });
    await store.tracker.ingest([firing('gone', 'CRITICAL', Date.now())]);
    await until(() => sender.health().state === 'failed');
    await store.tracker.ingest([firing('gone_too', 'CRITICAL', Date.now())]);
    await new Promise((r) => setTimeout(r, 400));

    expect(discord.requests).toHaveLength(1);
    expect(String(sender.health().error)).toContain('Unknown Webhook');
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
    expect((await repo.cardCounts()).pending).toBe(2);
  });

  it('keeps one live message for a flapping issue, announces the flapping once, and says when it settled', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord, { extra: { settleMinutes: 0.01 } }); // settles 600 ms after the last transition
    const t0 = Date.now();
    for (let i = 0; i < 12; i++) {
      await store.tracker.ingest([firing('flappy', i % 2 === 0 ? 'CRITICAL' : 'CLEAR', t0 + i * 1_000)]);
      await until(cardsDrained(repo));
      // every transition is shown on the card as it happens, flapping or not
      expect(embeds(discord.messages)[0]?.fields?.find((f) => f.name === 'Status')?.value).toBe(i % 2 === 0 ? 'open' : 'resolved');
    }
    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    expect(discord.messages).toHaveLength(2); // the card, and one "flapping started" message
    expect(titles[0]).toBe('〰️ Flapping (5 cycles), now resolved: flappy on web-1');
    expect(titles[1]).toBe('〰️ Flapping: flappy on web-1');
    await until(async () => embeds(discord.messages)[0]?.title === '✅ Settled, resolved: flappy on web-1', 5_000);
    expect(embeds(discord.messages)[0]?.description).toContain('Flapped 5 cycles; settled');
    expect(discord.messages).toHaveLength(2);
  });

  it('posts a fresh card and keeps its id when the live message was deleted (404 code 10008)', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord);
    const t0 = Date.now();
    await store.tracker.ingest([firing('deleted_card', 'CRITICAL', t0)]);
    await until(cardsDrained(repo));
    const first = discord.messages[0]!;
    discord.deleteMessage(first.id);
    await store.tracker.ingest([firing('deleted_card', 'CLEAR', t0 + 1_000)]);
    await until(cardsDrained(repo));
    expect(discord.requests.filter((r) => r.method === 'PATCH' && r.status === 404)).toHaveLength(1);
    expect(discord.messages).toHaveLength(2);
    const fresh = discord.messages[1]!;
    expect(embeds([fresh])[0]?.title).toBe('✅ Resolved: deleted_card on web-1');
    await store.tracker.ingest([firing('deleted_card', 'CRITICAL', t0 + 2_000)]);
    await until(cardsDrained(repo));
    expect(discord.messages).toHaveLength(2); // the reopen edits the fresh card
    expect(discord.edits.at(-1)?.messageId).toBe(fresh.id);
    expect(embeds([fresh])[0]?.title).toBe('🔁 Reopened: deleted_card on web-1');
  });

  it('posts a fresh card when Discord caps edits of an old message (429 code 30046), and posts keep going', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo, sender } = start(store, discord);
    const t0 = Date.now();
    await store.tracker.ingest([firing('old_card', 'CRITICAL', t0)]);
    await until(cardsDrained(repo));
    discord.script({ status: 30046, retryAfter: 30 });
    await store.tracker.ingest([firing('old_card', 'CLEAR', t0 + 1_000)]);
    await until(cardsDrained(repo), 5_000);
    expect(discord.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(discord.messages).toHaveLength(2);
    expect(embeds([discord.messages[1]!])[0]?.title).toBe('✅ Resolved: old_card on web-1');
    expect(sender.health().fresh_cards).toBe(1);
  });

  it('keeps the card with the bot when there is no webhook: Create Message, then Edit Message', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord, {
      extra: {
        webhookUrl: '',
        bot: { token: discord.botToken, channelId: discord.channelId, applicationPublicKey: 'ab'.repeat(32), apiBaseUrl: discord.apiBaseUrl },
      },
    });
    const t0 = Date.now();
    await store.tracker.ingest([firing('bot_card', 'CRITICAL', t0)]);
    await until(cardsDrained(repo));
    await store.tracker.ingest([firing('bot_card', 'CLEAR', t0 + 1_000)]);
    await until(cardsDrained(repo));
    expect(discord.messages).toHaveLength(1);
    const [card] = discord.messages;
    expect(card?.via).toBe('bot');
    expect(card?.path).toBe(`/api/v10/channels/${discord.channelId}/messages`);
    expect(card?.body).not.toHaveProperty('username');
    expect(discord.edits.map((e) => e.path)).toEqual([`/api/v10/channels/${discord.channelId}/messages/${card!.id}`]);
    expect(embeds(discord.messages)[0]?.title).toBe('✅ Resolved: bot_card on web-1');
  });

  it('learns the edit bucket from X-RateLimit-Bucket: a 429 on edits does not hold back a new card', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord);
    const t0 = Date.now();
    await store.tracker.ingest([firing('bucket_a', 'CRITICAL', t0)]);
    await until(cardsDrained(repo));
    discord.script({ status: 429, retryAfter: 1.5 });
    await store.tracker.ingest([firing('bucket_a', 'CLEAR', t0 + 1_000)]); // its edit meets the 429
    await until(() => discord.requests.some((r) => r.status === 429));
    await store.tracker.ingest([firing('bucket_b', 'CRITICAL', t0 + 2_000)]);
    await until(cardsDrained(repo));

    const limited = discord.requests.find((r) => r.status === 429)!;
    expect(limited.method).toBe('PATCH');
    const posted = discord.messages[1]!;
    expect(embeds([posted])[0]?.title).toBe('🔴 New critical issue: bucket_b on web-1');
    const edit = discord.requests.find((r) => r.method === 'PATCH' && r.status === 200 && r.at > limited.at)!;
    expect(edit.at - limited.at).toBeGreaterThanOrEqual(1_450); // the edit waited out retry_after
    expect(posted.at).toBeLessThan(edit.at); // while the post bucket went on
    expect(embeds(discord.messages)[0]?.title).toBe('✅ Resolved: bucket_a on web-1');
  });

  it('resumes a pending edit after a restart: the clear is shown on the card posted before', async () => {
    const discord = await startFakeDiscord();
    const first = await openTempStore();
    const config = configFor(discord);
    const t0 = Date.now();
    const life1 = start(first, discord);
    await first.tracker.ingest([firing('resume_edit', 'CRITICAL', t0)]);
    await until(cardsDrained(life1.repo));
    await life1.sender.stop();
    await first.tracker.ingest([firing('resume_edit', 'CLEAR', t0 + 1_000)]); // the edit is queued, nobody sends it
    await first.db.close();

    const second = await openStore(config, { dbUrl: `file:${first.path}` });
    onTestFinished(() => second.db.close());
    const { repo } = start(second, discord);
    await until(cardsDrained(repo));
    expect(discord.messages).toHaveLength(1);
    expect(discord.edits).toHaveLength(1);
    expect(embeds(discord.messages)[0]?.title).toBe('✅ Resolved: resume_edit on web-1');
  });

  it('keeps one live message per issue when two agents send from one database', async () => {
    const discord = await startFakeDiscord();
    const a = await openTempStore();
    const config = configFor(discord);
    // The second agent uses the libsql driver: better-sqlite3 waits for a lock synchronously, so two in one process would stall.
    const b = await openStore(config, { dbUrl: `file:${a.path}`, driver: 'libsql' });
    onTestFinished(() => b.db.close());
    const one = start(a, discord);
    start(b, discord);
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      await (i % 2 === 0 ? a : b).tracker.ingest([firing('shared', i % 2 === 0 ? 'CRITICAL' : 'CLEAR', t0 + i * 1_000)]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(cardsDrained(one.repo));
    await new Promise((r) => setTimeout(r, 300));
    expect(discord.messages).toHaveLength(1);
    expect(embeds(discord.messages)[0]?.title).toBe('✅ Resolved: shared on web-1');
    const cards = await a.db.all('SELECT COUNT(*) AS n FROM issue_cards');
    expect(Number(cards[0]?.n)).toBe(1);
  });

  it('queues one digest per local day and posts it as its own message', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const t0 = Date.now();
    await store.tracker.ingest([firing('digest_cpu', 'CRITICAL', t0 - 1_000)]);
    await store.tracker.ingest([firing('digest_cpu', 'CRITICAL', t0 - 500)]);
    const repo = new NotificationRepository(store.db);
    const render = { publicUrl: PUBLIC_URL };
    expect(await queueDigest(repo, render, t0, 'UTC')).toBe(true);
    expect(await queueDigest(repo, render, t0 + 1_000, 'UTC')).toBe(false); // the daemon restarted the same day
    start(store, discord);
    await until(cardsDrained(repo));

    const digest = discord.messages.find((m) => m.body.embeds?.[0]?.title === '📋 Daily digest: last 24 h')!;
    expect(digest).toBeDefined();
    expect(digest.body.embeds).toHaveLength(1);
    const fields = digest.body.embeds![0]!.fields as { name: string; value: string }[];
    expect(fields.find((f) => f.name === 'Opened')?.value).toBe('1');
    expect(fields.find((f) => f.name === 'Still open')?.value).toBe('1');
    expect(fields.find((f) => f.name === 'Noisiest alerts')?.value).toContain('2× digest_cpu on web-1');
    expect(embeds(discord.messages).filter((e) => e.title?.startsWith('📋'))).toHaveLength(1);
  });

  it('sends no digest with nothing to report, and none on the first start of a fresh install', async () => {
    const store = await openTempStore();
    const repo = new NotificationRepository(store.db);
    const render = { publicUrl: PUBLIC_URL };
    expect(await queueDigest(repo, render, Date.now(), 'UTC')).toBe(false);
    // A fresh install started after today's digest time, with an open issue to report: no catch-up digest.
    await store.tracker.ingest([firing('fresh_install', 'CRITICAL', Date.now())]);
    const now = new Date();
    const earlier = `${String(Math.max(0, now.getUTCHours() - 1)).padStart(2, '0')}:00`;
    const scheduler = new DigestScheduler({ repo, render, time: earlier, timeZone: 'UTC', logger: pino({ level: 'silent' }) });
    scheduler.start();
    await new Promise((r) => setTimeout(r, 300));
    await scheduler.stop();
    expect(await repo.hasDigest()).toBe(false);
    // Once a digest was sent before, a missed one is caught up.
    await queueDigest(repo, render, Date.now() - 86_400_000, 'UTC');
    const again = new DigestScheduler({ repo, render, time: earlier, timeZone: 'UTC', logger: pino({ level: 'silent' }) });
    again.start();
    await until(async () => (await repo.list()).filter((r) => r.kind === 'digest').length === 2, 3_000);
    await again.stop();
  });

  it('is wired into the daemon: an alert posted over HTTP reaches Discord', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    await store.db.close();
    const config = defaultConfig({
      opsagent: { serverId: 'test-server' },
      netdata: { url: '' },
      analysis: { enabled: false },
      server: { port: 0, publicUrl: PUBLIC_URL },
      discord: { webhookUrl: discord.webhookUrl, digest: { enabled: false } },
    });
    const agent = await startAgent(config, pino({ level: 'silent' }), { dbUrl: `file:${store.path}` });
    onTestFinished(() => agent.stop());
    const res = await fetch(`${agent.url}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'daemon_cpu', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, units: '%' }),
    });
    expect(res.status).toBeLessThan(300);
    await until(() => discord.messages.length > 0);
    expect(embeds(discord.messages)[0]?.title).toContain('New critical issue: daemon_cpu');
    const health = (await (await fetch(`${agent.url}/healthz`)).json()) as { sources: Record<string, { state: string }> };
    expect(health.sources.discord?.state).toBe('ok');
    await agent.stop();
    await agent.stop();
  });
});
