import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import type { AlertEvent } from '../../src/model/alert.js';
import { openStore, startAgent, type Store } from '../../src/main.js';
import { queueDigest } from '../../src/notify/digest-scheduler.js';
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

const drained = (repo: NotificationRepository) => async () => (await repo.counts()).pending === 0;

function embeds(messages: RecordedMessage[]) {
  return messages.flatMap((m) => m.body.embeds ?? []) as { title?: string; description?: string; url?: string; footer?: { text: string } }[];
}

describe('Discord notifications', () => {
  it('announces a new critical issue, an escalation and the resolution once each, and 10,000 firings add nothing', async () => {
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
    await until(drained(repo));
    await store.tracker.ingest([firing('cpu_usage', 'CLEAR', t0 + 20_000)]);
    await until(drained(repo));
    await new Promise((r) => setTimeout(r, 300)); // nothing else trickles in

    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    expect(titles.filter((t) => t.includes('New critical issue: cpu_usage'))).toHaveLength(1);
    expect(titles.filter((t) => t.includes('Escalated to critical: disk_space'))).toHaveLength(1);
    expect(titles.filter((t) => t.includes('Resolved: cpu_usage'))).toHaveLength(1);
    expect(titles).toHaveLength(3);
    const first = embeds(discord.messages).find((e) => e.title?.includes('New critical'))!;
    expect(first.url).toBe(`${PUBLIC_URL}/issues/${created!.issue_id}`);
    expect(first.footer?.text).toBe(`opsagent issues-show ${created!.issue_id}`);
    for (const m of discord.messages) {
      expect(m.path).toMatch(/^\/api\/v10\/webhooks\/\d+\/[^/?]+\?wait=true$/);
      expect(m.body.allowed_mentions).toEqual({ parse: [] });
    }
    const stored = await store.issues.get(created!.issue_id!);
    expect(stored?.alert_count).toBe(10_001);
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
    await until(drained(repo));

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
    await until(drained(repo));

    const times = discord.messages.map((m) => m.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + windowMs).length).toBeLessThanOrEqual(3);
    let announced = 0;
    for (const e of embeds(discord.messages)) {
      const summary = /^and (\d+) more new issues…$/.exec(e.title ?? '');
      if (summary) announced += Number(summary[1]);
      else if (e.title?.startsWith('🔴 New critical issue: storm_')) announced++;
    }
    expect(announced).toBe(1_000);
    expect(discord.messages.length).toBeLessThan(20);
    expect((await repo.counts()).sent).toBe(1_000);
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
    await until(drained(repo));

    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    for (let i = 0; i < 5; i++) expect(titles.filter((t) => t.includes(`down_${i} on web-1`))).toHaveLength(1);
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
    await until(drained(repo));
    await new Promise((r) => setTimeout(r, 300));
    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    expect(titles).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(titles.filter((t) => t.includes(`restart_${i} on web-1`))).toHaveLength(1);
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
    expect((await repo.counts()).pending).toBe(2);
  });

  it('summarises a flapping issue once instead of announcing every reopen', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const { repo } = start(store, discord);
    const t0 = Date.now();
    for (let i = 0; i < 12; i++) {
      await store.tracker.ingest([firing('flappy', i % 2 === 0 ? 'CRITICAL' : 'CLEAR', t0 + i * 1_000)]);
    }
    await until(drained(repo));
    const titles = embeds(discord.messages).map((e) => e.title ?? '');
    // Until the 5th resolve/reopen the changes are announced; then one flapping summary, then silence for 7 more.
    expect(titles.map((t) => t.split(':')[0]).sort()).toEqual(
      ['🔴 New critical issue', '✅ Resolved', '🔁 Reopened', '✅ Resolved', '🔁 Reopened', '〰️ Flapping'].sort(),
    );
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
    await until(drained(repo));

    const digest = discord.messages.find((m) => m.body.embeds?.[0]?.title === '📋 Daily digest: last 24 h')!;
    expect(digest).toBeDefined();
    expect(digest.body.embeds).toHaveLength(1);
    const fields = digest.body.embeds![0]!.fields as { name: string; value: string }[];
    expect(fields.find((f) => f.name === 'Opened')?.value).toBe('1');
    expect(fields.find((f) => f.name === 'Still open')?.value).toBe('1');
    expect(fields.find((f) => f.name === 'Noisiest alerts')?.value).toContain('2× digest_cpu on web-1');
    expect(embeds(discord.messages).filter((e) => e.title?.startsWith('📋'))).toHaveLength(1);
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
