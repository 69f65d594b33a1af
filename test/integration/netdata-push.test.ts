import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import type { Issue } from '../../src/model/issue.js';
import { ALARM_NOTIFY, NETDATA_MISSING, netdataBinary, startNetdata } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

/** Netdata's own alarm-notify.sh with the shipped contrib snippet pushes to our webhook. */

function notifyScriptPresent(): boolean {
  try {
    accessSync(ALARM_NOTIFY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
const available = netdataBinary() !== undefined && notifyScriptPresent();
if (!available) console.warn(NETDATA_MISSING);

const SNIPPET = join(import.meta.dirname, '..', '..', 'contrib', 'netdata', 'health_alarm_notify.conf');
const TOKEN = 'push-test-token-0123456789abcdefghij';

describe.skipIf(skipWithout(available))('Netdata push (real alarm-notify.sh -> POST /api/v1/webhooks/netdata)', () => {
  requirePeerForAll(available, NETDATA_MISSING);
  it('delivers WARNING, CRITICAL and CLEAR notifications that open, escalate and resolve one issue', async () => {
    const dir = tempDir();
    const config = defaultConfig({ netdata: { url: '' }, server: { host: '127.0.0.1', port: 0, apiToken: TOKEN } });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
    onTestFinished(() => agent.stop());

    const snippet = readFileSync(SNIPPET, 'utf8')
      .replace(/^OPSAGENT_WEBHOOK_URL=.*$/m, `OPSAGENT_WEBHOOK_URL="${agent.url}/api/v1/webhooks/netdata"`)
      .replace(/^OPSAGENT_TOKEN=.*$/m, `OPSAGENT_TOKEN="${TOKEN}"`);
    const notifyConf = join(dir, 'health_alarm_notify.conf');
    writeFileSync(notifyConf, snippet);

    const nd = await startNetdata({ env: { ALARM_SCRIPT: ALARM_NOTIFY, ALARM_TO: 'sysadmin', NOTIFY_CONF: notifyConf } });
    const cpu = async (pred: (i: Issue) => boolean): Promise<Issue> => {
      const deadline = Date.now() + 8_000;
      for (;;) {
        const all = await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved'] });
        const hit = all.find((i) => i.title === 'opsagent_test_cpu_usage' && pred(i));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching pushed issue; have ${JSON.stringify(all)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 85, 'WARNING');
    const opened = await cpu((i) => i.status === 'open' || i.status === 'investigating');
    // pushed: server = Netdata's hostname; context empty in 1.37 -> the chart; same fingerprint as the poller's
    expect(opened).toMatchObject({ server_id: 'opsagent-test', source: 'netdata', severity: 'warning', alert_fingerprint: '5dbd228694367e77' });

    await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 95, 'CRITICAL');
    const escalated = await cpu((i) => i.severity === 'critical');
    expect(escalated).toMatchObject({ id: opened.id, alert_count: 2 });

    await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 10, 'CLEAR');
    const resolved = await cpu((i) => i.status === 'resolved');
    expect(resolved.id).toBe(opened.id);
    const keys = await agent.store.db.all(`SELECT event_key FROM ingest_keys WHERE source = 'netdata'`);
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(String(k.event_key)).toMatch(/^opsagent-test:\d+:\d+$/);
  });
});
