import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { AlertEvent } from '../../src/model/alert.js';
import { setupNotifications } from '../../src/pipeline/notifications.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { NotificationRepository } from '../../src/store/notification-repository.js';
import { startFakeDiscord } from '../helpers/fake-discord.js';
import { openTempStore } from '../helpers/temp-store.js';

function firing(name: string, status: 'CRITICAL' | 'CLEAR' = 'CRITICAL'): AlertEvent {
  return { server_id: 'web-1', name, context: 'system.cpu', chart: 'system.cpu', status, value: 97, units: '%', source: 'opsagent', occurred_at: Date.now() };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the live card of a silenced issue', () => {
  it('is edited (never a new message) when a silence that starts later begins, and a new matching issue posts nothing', async () => {
    const discord = await startFakeDiscord();
    const store = await openTempStore();
    const config = defaultConfig({ opsagent: { serverId: 'test-server' }, discord: { webhookUrl: discord.webhookUrl, digest: { enabled: false } } });
    const setup = setupNotifications({ config, repo: new NotificationRepository(store.db), logger: pino({ level: 'silent' }), senderOptions: { lingerMs: 20, pollMs: 100 } });
    wirePipeline({ tracker: store.tracker, notifications: setup.hooks, silences: store.silences }, { handOff: 'record-only' });
    setup.sender!.start();
    onTestFinished(() => setup.sender!.stop());

    await store.tracker.ingest([firing('cpu_usage')]);
    await until('the card', () => discord.messages.length === 1);
    const startsAt = Date.now() + 800;
    const silence = await store.silences.createSilence({ matchers: ['server=web-1'], startsAt, duration: '1h', comment: 'deploy' }, 'bob');
    expect(silence.state).toBe('pending');
    await store.silences.tick(); // remembers when it last looked
    await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now() + 50)));
    await store.silences.tick();
    const card = () => JSON.stringify(discord.messages[0]!.body.embeds);
    await until('the card to say it is silenced', () => card().includes('🔕 Silenced until <t:') && card().includes('by bob (deploy)'));

    const [r] = await store.tracker.ingest([firing('load_average')]);
    const issue = (await store.issues.get(r!.issue_id!))!;
    expect((await store.silences.marksOf([issue])).get(issue.id)?.silenced).toMatchObject({ id: silence.id, by: 'bob' });
    await new Promise((r2) => setTimeout(r2, 500)); // the sender polls every 100 ms
    expect(discord.messages).toHaveLength(1);
  });
});
