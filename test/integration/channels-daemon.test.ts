import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { startFakePagerDuty } from '../helpers/fake-pagerduty.js';
import { startFakeSlack } from '../helpers/fake-slack.js';
import { startFakeWebhookReceiver } from '../helpers/fake-webhook-receiver.js';
import { tempDir } from '../helpers/temp-store.js';

/** The channels of the issue's example, written as an operator writes them: secrets from ${VAR}. */
function configText(slackApi: string, pdApi: string, db: string): string {
  return `
netdata: { url: "" }
analysis: { enabled: false }
opsagent: { serverId: web-1 }
database: { url: "file:${db}" }
server: { port: 0 }
channels:
  - name: team-slack
    type: slack
    token: "\${SLACK_BOT_TOKEN}"
    channel: "C0123456789"
    signingSecret: "\${SLACK_SIGNING_SECRET}"
    approverIds: ["U0123ABCD"]
    apiBaseUrl: "${slackApi}"
    route: { minSeverity: warning, servers: ["web-*"], events: [new, escalated, resolved, approvals, digest] }
  - name: pager
    type: pagerduty
    routingKey: "\${PAGERDUTY_ROUTING_KEY}"
    apiBaseUrl: "${pdApi}"
    route: { minSeverity: critical }
  - name: hooks
    type: webhook
    url: "https://example.internal/opsagent"
    secret: "\${OPSAGENT_WEBHOOK_SECRET}"
`;
}

describe('channels in the daemon process', () => {
  it('config-check validates every channel and turns one with an empty secret off with one warning line', async () => {
    const dir = tempDir();
    const path = join(dir, 'opsagent.yaml');
    writeFileSync(path, configText('http://127.0.0.1:9/api', 'http://127.0.0.1:9', join(dir, 'db.sqlite')));
    const ok = await runCli(['config-check', path], { env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', PAGERDUTY_ROUTING_KEY: 'k'.repeat(32), OPSAGENT_WEBHOOK_SECRET: '' }, timeoutMs: 20_000 });
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n').filter((l) => l.includes('channels.'))).toEqual(['warning: channels.hooks: url and secret empty; the webhook channel is off']);
    expect(ok.stdout).not.toContain('xoxb-1');

    writeFileSync(path, `channels:\n  - { name: team-slack, type: slack, route: { minSeverity: urgent, match: ['alertname=~"("'] } }\n  - { name: p, type: pagerduty, routingKey: x, apiBaseUrl: "not a url" }\n`);
    const bad = await runCli(['config-check', path], { timeoutMs: 20_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('channels.0.route.minSeverity');
    expect(bad.stderr).toContain('channels.0.route.match.0');
    expect(bad.stderr).toContain('channels.1.apiBaseUrl');
  });

  it('`opsagent run` delivers a critical issue to Slack and PagerDuty and reports every channel in /healthz', { timeout: 60_000 }, async () => {
    const slack = await startFakeSlack();
    const pd = await startFakePagerDuty();
    const dir = tempDir();
    const path = join(dir, 'opsagent.yaml');
    writeFileSync(path, configText(slack.apiBaseUrl, pd.url, join(dir, 'db.sqlite')));
    const daemon = spawnDaemon(path, { env: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: 'sign', PAGERDUTY_ROUTING_KEY: pd.routingKey, OPSAGENT_WEBHOOK_SECRET: '' } });
    const url = await daemon.started();
    expect(daemon.output()).toContain('channels.hooks: url and secret empty; the webhook channel is off');
    const res = await fetch(`${url}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'disk_full', context: 'disk.space', chart: 'disk_space._', status: 'CRITICAL', value: 99, units: '%' }),
    });
    expect(res.status).toBeLessThan(300);
    const deadline = Date.now() + 20_000;
    while ((slack.messages.length < 1 || pd.incidents.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.text).toContain('disk_full');
    expect(pd.incidents).toHaveLength(1);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { channels: Record<string, { state: string; type: string }> };
    expect(health.channels).toMatchObject({ 'team-slack': { state: 'ok', type: 'slack' }, pager: { state: 'ok', type: 'pagerduty' }, hooks: { state: 'off', type: 'webhook' } });
    expect(JSON.stringify(health)).not.toContain(slack.token);
    const { code } = await daemon.terminate();
    expect(code).toBe(0);
  });

  it('delivers at least once across a crash: a row in flight when the daemon is killed goes out after the restart', { timeout: 60_000 }, async () => {
    const hooks = await startFakeWebhookReceiver();
    hooks.hangNext();
    const dir = tempDir();
    const path = join(dir, 'opsagent.yaml');
    writeFileSync(
      path,
      `netdata: { url: "" }\nanalysis: { enabled: false }\nopsagent: { serverId: web-1 }\ndatabase: { url: "file:${join(dir, 'db.sqlite')}" }\nserver: { port: 0 }\n` +
        `channels:\n  - { name: hooks, type: webhook, url: "${hooks.url}", secret: "\${HOOK_SECRET}", timeoutMs: 1000 }\n`,
    );
    const env = { HOOK_SECRET: hooks.secret };
    const first = spawnDaemon(path, { env });
    const url = await first.started();
    await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'oom', context: 'mem', chart: 'mem', status: 'CRITICAL' }) });
    const inFlight = Date.now() + 10_000;
    while (hooks.attempts.length === 0 && Date.now() < inFlight) await new Promise((r) => setTimeout(r, 20));
    expect(hooks.attempts).toHaveLength(1);
    first.child.kill('SIGKILL'); // dies with the request unanswered: the row is claimed, not sent
    await first.exited;
    const second = spawnDaemon(path, { env });
    await second.started();
    const deadline = Date.now() + 30_000; // the dead sender's lease (2 × timeoutMs + 10 s) expires first
    while (hooks.accepted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(hooks.accepted).toHaveLength(1);
    expect(hooks.accepted[0]!.body).toMatchObject({ kind: 'new', issue: { title: expect.stringContaining('oom') as unknown } });
    await new Promise((r) => setTimeout(r, 500));
    expect(hooks.accepted).toHaveLength(1);
    expect((await second.terminate()).code).toBe(0);
  });
});
