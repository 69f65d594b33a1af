import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { setupNotifications } from '../../src/pipeline/notifications.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { NotificationRepository } from '../../src/store/notification-repository.js';
import { startFakeDiscord } from '../helpers/fake-discord.js';
import { openTempStore } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { sleep, until } from './support.js';

const ISSUES = 40;

describe('Discord returning 429, 5xx and timeouts for a while', () => {
  it('delivers every notification exactly once when Discord recovers', async () => {
    const started = Date.now();
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const config = defaultConfig({
      opsagent: { serverId: 'discord-fault' },
      discord: { webhookUrl: discord.webhookUrl, timeoutMs: 400, maxMessagesPerMinute: 25 },
    });
    const repo = new NotificationRepository(store.db);
    const setup = setupNotifications({
      config,
      repo,
      logger: pino({ level: 'silent' }),
      // the same sender as the daemon's, with backoff scaled down so "a while" fits in a test
      senderOptions: { lingerMs: 30, pollMs: 200, baseBackoffMs: 100, maxBackoffMs: 800, leaseMs: 3_000 },
    });
    wirePipeline({ tracker: store.tracker, notifications: setup.hooks }, { handOff: 'record-only' });
    const sender = setup.sender!;
    sender.start();
    onTestFinished(() => sender.stop());

    // Discord is down (503) while a storm opens critical issues
    discord.setDown(503);
    const t0 = Date.now();
    for (let i = 0; i < ISSUES; i++) {
      await store.tracker.ingest([{ server_id: 'web-1', name: `outage_${i}`, context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, units: '%', source: 'opsagent', occurred_at: t0 + i }]);
      // repeats of an open issue never produce a message
      await store.tracker.ingest([{ server_id: 'web-1', name: `outage_${i}`, context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, units: '%', source: 'opsagent', occurred_at: t0 + i + 1 }]);
      if (i % 10 === 0) await sleep(100);
    }
    await until('a few refused attempts', () => discord.requests.filter((r) => r.status === 503).length >= 3 || undefined, 10_000);
    expect(sender.health().state).toBe('degraded');
    expect(discord.messages).toEqual([]);

    // then rate limits, server errors and requests that hang past the client timeout, in turn
    discord.script(
      { status: 429, retryAfter: 0.4 },
      { status: 502 },
      { status: 'hang', ms: 1_500 },
      { status: 429, retryAfter: 0.3, global: true },
      { status: 500 },
      { status: 'hang', ms: 1_000 },
      { status: 503 },
    );
    discord.setDown(undefined);
    await until('the outbox to drain', async () => ((await repo.counts()).pending === 0 && (await repo.cardCounts()).pending === 0) || undefined, 60_000, 50);
    await sleep(500); // nothing more may arrive

    // Each issue's live card: its own message, or a line of a storm summary (what the channel shows now).
    let announced = 0;
    const individually = new Map<string, number>();
    for (const e of discord.messages.flatMap((m) => (m.body.embeds ?? []) as { title?: string; description?: string }[])) {
      for (const line of [e.title ?? '', ...(e.description ?? '').split('\n')]) {
        const name = /\b(outage_\d+) on web-1\b/.exec(line);
        if (name) {
          announced++;
          individually.set(name[1]!, (individually.get(name[1]!) ?? 0) + 1);
        }
      }
    }
    expect([...individually.values()].every((n) => n === 1)).toBe(true);
    expect(individually.size).toBe(ISSUES);
    expect(announced).toBe(ISSUES);
    expect((await repo.cardCounts()).posted).toBe(ISSUES);
    expect(sender.health().state).toBe('ok');
    const byStatus: Record<string, number> = {};
    for (const r of discord.requests) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    expect(byStatus['429']).toBeGreaterThanOrEqual(2);

    recordPart({
      part: 'fault-discord',
      title: 'Discord answering 503, 429, 5xx and hanging past the timeout, then recovering',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        notificationsQueued: ISSUES,
        refusedOrFailedAttempts: discord.requests.filter((r) => r.status >= 400).length,
        scriptedHangsPastClientTimeout: 2,
        answersByStatus: byStatus,
        messagesSent: discord.messages.length,
        notificationsDelivered: announced,
        deliveredTwice: [...individually.values()].filter((n) => n > 1).length,
        faultWindowMs: Date.now() - t0,
      },
    });
  });
});
