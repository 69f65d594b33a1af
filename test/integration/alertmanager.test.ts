import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import type { Issue } from '../../src/model/issue.js';
import { alertmanagerFingerprint } from '../../src/sources/alertmanager-webhook.js';
import { ALERTMANAGER_MISSING, alertmanagerBinary, startAlertmanager } from '../helpers/alertmanager.js';
import { tempDir } from '../helpers/temp-store.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

const available = alertmanagerBinary() !== undefined;
if (!available) console.warn(ALERTMANAGER_MISSING);

const TOKEN = 'am-test-token-0123456789abcdefghijkl';

describe.skipIf(skipWithout(available))('real Alertmanager -> POST /api/v1/webhooks/alertmanager', () => {
  requirePeerForAll(available, ALERTMANAGER_MISSING);
  it('delivers firing and resolved alerts that open and resolve issues with the documented label mapping', async () => {
    const dir = tempDir();
    const config = defaultConfig({ netdata: { url: '' }, opsagent: { serverId: 'agent-host' }, server: { host: '127.0.0.1', port: 0, apiToken: TOKEN } });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
    onTestFinished(() => agent.stop());
    const am = await startAlertmanager({ webhookUrl: `${agent.url}/api/v1/webhooks/alertmanager?token=${TOKEN}` });

    const cpuLabels = { alertname: 'HighCPU', instance: 'web-1:9100', job: 'node', severity: 'critical' };
    const memLabels = { alertname: 'LowMemory', severity: 'warning', server_id: 'db-1', context: 'mem.available', chart: 'mem.available' };
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await am.postAlerts([
      { labels: cpuLabels, annotations: { summary: 'CPU > 95% for 10m' }, startsAt },
      { labels: memLabels, startsAt },
    ]);

    const find = async (pred: (all: Issue[]) => boolean): Promise<Issue[]> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const all = await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved'] });
        if (pred(all)) return all;
        if (Date.now() > deadline) throw new Error(`Alertmanager did not deliver as expected; have ${JSON.stringify(all)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const opened = await find((all) => all.length === 2);
    const cpu = opened.find((i) => i.title === 'HighCPU')!;
    const mem = opened.find((i) => i.title === 'LowMemory')!;
    // open, or already investigating when the analysis stage picked it up
    expect(['open', 'investigating']).toContain(cpu.status);
    expect(['open', 'investigating']).toContain(mem.status);
    expect(cpu).toMatchObject({
      severity: 'critical', server_id: 'web-1', source: 'alertmanager',
      source_alert_id: alertmanagerFingerprint(cpuLabels), description: 'CPU > 95% for 10m',
    });
    expect(cpu.metadata.fingerprint_inputs).toEqual({ name: 'HighCPU', context: 'node', chart: 'web-1:9100' });
    expect(mem).toMatchObject({ severity: 'warning', server_id: 'db-1' });
    expect(mem.metadata.fingerprint_inputs).toEqual({ name: 'LowMemory', context: 'mem.available', chart: 'mem.available' });

    await am.postAlerts([{ labels: cpuLabels, startsAt, endsAt: new Date(Date.now() - 1_000).toISOString() }]);
    const after = await find((all) => all.some((i) => i.title === 'HighCPU' && i.status === 'resolved'));
    expect(after.find((i) => i.title === 'HighCPU')).toMatchObject({ id: cpu.id, alert_count: 1 });
    expect(after.find((i) => i.title === 'LowMemory')?.status).not.toBe('resolved');
  });
});
