import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import type { Issue } from '../../src/model/issue.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';
import { PROMETHEUS_MISSING, prometheusBinary, startPrometheus, type AlertRule } from '../helpers/prometheus.js';
import { tempDir } from '../helpers/temp-store.js';

const available = prometheusBinary() !== undefined;
if (!available) console.warn(PROMETHEUS_MISSING);

const TOKEN = 'prometheus-test-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function byTitle(agent: RunningAgent): Promise<Map<string, Issue>> {
  const all = await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] });
  return new Map(all.map((i) => [i.title, i]));
}

async function until(agent: RunningAgent, what: string, timeoutMs: number, pred: (issues: Map<string, Issue>) => boolean): Promise<Map<string, Issue>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const issues = await byTitle(agent);
    if (pred(issues)) return issues;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; issues: ${JSON.stringify([...issues.values()])}`);
    await sleep(200);
  }
}

describe.skipIf(skipWithout(available))('a real Prometheus posting to POST /api/v2/alerts', () => {
  requirePeerForAll(available, PROMETHEUS_MISSING);

  it('keeps the count exact over a minute of re-sends and a Prometheus restart, resolves on clear and on expiry, and never reopens on resolved re-sends', { timeout: 150_000 }, async () => {
    const config = defaultConfig({
      netdata: { url: '' },
      opsagent: { serverId: 'agent-host' },
      server: { host: '127.0.0.1', port: 0, apiToken: TOKEN },
      discord: { enabled: false },
      analysis: { enabled: false },
    });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(tempDir(), 'opsagent.db')}` });
    onTestFinished(() => agent.stop());

    const cpu = (firing: boolean): AlertRule => ({
      alert: 'HighCPU', firing,
      labels: { severity: 'critical', instance: 'web-1:9100', job: 'node' },
      annotations: { summary: 'CPU above 95%', runbook_url: 'https://runbooks.example/high-cpu' },
    });
    const disk: AlertRule = { alert: 'DiskFilling', firing: true, labels: { severity: 'warning', instance: 'db-1:9100', job: 'node' } };
    const prometheus = await startPrometheus({ target: new URL(agent.url).host, token: TOKEN, rules: [cpu(true), disk] });

    let issues = await until(agent, 'both alerts to open issues', 20_000, (m) => m.get('HighCPU')?.status === 'open' && m.get('DiskFilling')?.status === 'open');
    expect(issues.get('HighCPU')).toMatchObject({ server_id: 'web-1', severity: 'critical', alert_count: 1 });
    expect(issues.get('HighCPU')!.metadata.annotations).toEqual({ summary: 'CPU above 95%', runbook_url: 'https://runbooks.example/high-cpu' });
    expect(issues.get('DiskFilling')).toMatchObject({ server_id: 'db-1', severity: 'warning', alert_count: 1 });

    // A minute of re-sends (one a second), with a Prometheus restart in the middle: its alerts come back with a new
    // startsAt while the activation never ended.
    const started = Date.now();
    await sleep(30_000);
    const sentBeforeRestart = await prometheus.metric('prometheus_notifications_sent_total');
    await prometheus.restart();
    await sleep(Math.max(0, 62_000 - (Date.now() - started)));
    // Alerts sent: each re-send of each alert counts (a 5 s resend delay on a 1 s evaluation: one every ~6 s).
    const sent = sentBeforeRestart + (await prometheus.metric('prometheus_notifications_sent_total'));
    expect(sent).toBeGreaterThanOrEqual(12);
    // Every post answered 200 (Prometheus counts anything else as an error; its "dropped" counter also counts the
    // alerts of its first evaluations, before discovery found the receiver).
    expect(await prometheus.metric('prometheus_notifications_errors_total')).toBe(0);
    issues = await byTitle(agent);
    expect(issues.get('HighCPU')).toMatchObject({ status: 'open', alert_count: 1 });
    expect(issues.get('DiskFilling')).toMatchObject({ status: 'open', alert_count: 1 });

    // The rule stops firing: Prometheus sends it resolved, then keeps re-sending the resolved alert.
    await prometheus.setRules([cpu(false), disk]);
    issues = await until(agent, 'HighCPU to resolve', 20_000, (m) => m.get('HighCPU')?.status === 'resolved');
    const resolution = (await agent.store.issues.comments(issues.get('HighCPU')!.id)).filter((c) => c.comment_type === 'status_change');
    expect(resolution.at(-1)?.metadata).toMatchObject({ status: 'resolved', cause: 'alert_cleared' });
    const sentAtResolve = await prometheus.metric('prometheus_notifications_sent_total');
    await sleep(14_000); // two resend periods (~6 s each): the resolved HighCPU and the firing DiskFilling re-sent
    expect(await prometheus.metric('prometheus_notifications_sent_total')).toBeGreaterThanOrEqual(sentAtResolve + 3);
    issues = await byTitle(agent);
    expect(issues.get('HighCPU')).toMatchObject({ status: 'resolved', alert_count: 1 });

    // Firing again is a new activation: the issue reopens and counts it.
    await prometheus.setRules([cpu(true), disk]);
    issues = await until(agent, 'HighCPU to reopen', 20_000, (m) => m.get('HighCPU')?.status === 'open');
    expect(issues.get('HighCPU')!.alert_count).toBe(2);

    // Prometheus goes away: nobody re-sends, so both alerts expire at their last endsAt (at most 20 s later).
    await prometheus.stop();
    issues = await until(agent, 'both alerts to expire', 40_000, (m) => m.get('HighCPU')?.status === 'resolved' && m.get('DiskFilling')?.status === 'resolved');
    const expiry = (await agent.store.issues.comments(issues.get('DiskFilling')!.id)).filter((c) => c.comment_type === 'status_change');
    expect(expiry.at(-1)?.metadata).toMatchObject({ status: 'resolved', cause: 'alert_expired' });
    expect(issues.get('HighCPU')!.alert_count).toBe(2);
    expect(issues.get('DiskFilling')!.alert_count).toBe(1);
  });
});
