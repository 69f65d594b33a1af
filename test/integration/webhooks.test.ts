import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { alertmanagerFingerprint } from '../../src/sources/alertmanager-webhook.js';
import { tempDir } from '../helpers/temp-store.js';

const TOKEN = 'webhook-test-token-0123456789abcdef';

async function agent(apiToken = ''): Promise<RunningAgent> {
  const dir = tempDir();
  const config = defaultConfig({
    netdata: { url: '' },
    opsagent: { serverId: 'agent-host' },
    server: { host: '127.0.0.1', port: 0, apiToken },
  });
  const a = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
  onTestFinished(() => a.stop());
  return a;
}

function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

/** The variables alarm-notify.sh 1.37 sends (context empty, value rounded, old_value "nan" on a first raise). */
function netdataFields(over: Record<string, string> = {}): Record<string, string> {
  return {
    to: 'opsagent', roles: 'sysadmin', host: 'web-1', unique_id: '1795783570', alarm_id: '1795783571', event_id: '2',
    when: '1795783571', name: 'opsagent_test_cpu_usage', chart: 'opsagent_test.cpu', family: 'opsagent', context: '',
    status: 'WARNING', old_status: 'UNINITIALIZED', value: '86', old_value: 'nan', value_string: '85.8%', units: '%',
    info: 'ops-agent test alarm', severity: 'Warning', ...over,
  };
}

async function counts(a: RunningAgent): Promise<{ issues: number; keys: number; comments: number }> {
  const one = async (sql: string) => Number((await a.store.db.get(sql))?.n ?? 0);
  return {
    issues: await one('SELECT COUNT(*) AS n FROM issues'),
    keys: await one('SELECT COUNT(*) AS n FROM ingest_keys'),
    comments: await one('SELECT COUNT(*) AS n FROM issue_comments'),
  };
}

describe('POST /api/v1/webhooks/netdata', () => {
  it('turns custom_sender variables into an issue, once per unique_id, and resolves it on CLEAR', async () => {
    const a = await agent();
    const post = (fields: Record<string, string>) => fetch(`${a.url}/api/v1/webhooks/netdata`, { method: 'POST', body: form(fields) });

    const first = await post(netdataFields());
    expect(first.status).toBe(202);
    const body = (await first.json()) as { accepted: number; results: { outcome: string; issue_id: string }[] };
    expect(body.results[0]?.outcome).toBe('created');
    const id = body.results[0]!.issue_id;

    const again = await post(netdataFields());
    expect(((await again.json()) as { results: { outcome: string }[] }).results[0]?.outcome).toBe('duplicate');

    const issue = await a.store.issues.get(id);
    // empty context falls back to the chart: the same fingerprint as the poller's
    expect(issue).toMatchObject({ server_id: 'web-1', source: 'netdata', alert_fingerprint: '5dbd228694367e77', alert_count: 1, severity: 'warning' });

    const critical = await fetch(`${a.url}/api/v1/webhooks/netdata`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...netdataFields({ unique_id: '1795783571', status: 'CRITICAL', when: '1795783572' }), value: 95 }),
    });
    expect(critical.status).toBe(202);
    expect((await a.store.issues.get(id))?.severity).toBe('critical');

    await post(netdataFields({ unique_id: '1795783574', status: 'CLEAR', old_status: 'CRITICAL', when: '1795783575' }));
    expect(await a.store.issues.get(id)).toMatchObject({ status: 'resolved', resolved_at: 1795783575000 });
  });

  it('accepts alarm-notify.sh test payloads and non-alert statuses with 202 and stores nothing', async () => {
    const a = await agent();
    for (const fields of [
      netdataFields({ name: 'test_alarm', chart: 'test.chart', unique_id: '1', alarm_id: '1', status: 'CRITICAL' }),
      netdataFields({ status: 'REMOVED' }),
      netdataFields({ status: 'UNDEFINED' }),
    ]) {
      const res = await fetch(`${a.url}/api/v1/webhooks/netdata`, { method: 'POST', body: form(fields) });
      expect(res.status).toBe(202);
      expect(((await res.json()) as { accepted: number }).accepted).toBe(0);
    }
    expect(await counts(a)).toEqual({ issues: 0, keys: 0, comments: 0 });
  });

  it('takes ?server_id= over the payload host', async () => {
    const a = await agent();
    const res = await fetch(`${a.url}/api/v1/webhooks/netdata?server_id=db-7`, { method: 'POST', body: form(netdataFields()) });
    const id = ((await res.json()) as { results: { issue_id: string }[] }).results[0]!.issue_id;
    expect((await a.store.issues.get(id))?.server_id).toBe('db-7');
  });
});

describe('POST /api/v1/webhooks/alertmanager', () => {
  it('maps every alert of a v4 payload, firing and resolved, and counts a repeated notification once', async () => {
    const a = await agent();
    const labels = { alertname: 'HighCPU', instance: 'web-1:9100', job: 'node', severity: 'critical' };
    const warnLabels = { alertname: 'DiskFilling', instance: '[::1]:9100', severity: 'warning', server_id: 'db-1', chart: 'disk./' };
    const payload = (status: 'firing' | 'resolved') => ({
      version: '4', groupKey: '{}:{alertname="HighCPU"}', truncatedAlerts: 0, status, receiver: 'opsagent',
      groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am:9093',
      alerts: [
        { status, labels, annotations: { summary: 'CPU > 95% for 10m' }, startsAt: '2026-01-01T00:00:00.123Z',
          endsAt: status === 'resolved' ? '2026-01-01T00:10:00Z' : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: alertmanagerFingerprint(labels) },
        { status: 'firing', labels: warnLabels, annotations: {}, startsAt: '2026-01-01T00:01:00Z', endsAt: '0001-01-01T00:00:00Z' },
      ],
    });
    const post = (body: unknown) =>
      fetch(`${a.url}/api/v1/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await post(payload('firing'))).status).toBe(202);
    expect((await post(payload('firing'))).status).toBe(202); // repeat_interval re-send
    const open = await a.store.issues.list();
    const cpu = open.find((i) => i.title === 'HighCPU')!;
    const disk = open.find((i) => i.title === 'DiskFilling')!;
    expect(cpu).toMatchObject({ server_id: 'web-1', severity: 'critical', source: 'alertmanager', alert_count: 1, description: 'CPU > 95% for 10m' });
    expect(cpu.metadata.fingerprint_inputs).toEqual({ name: 'HighCPU', context: 'node', chart: 'web-1:9100' });
    expect(disk).toMatchObject({ server_id: 'db-1', severity: 'warning', alert_count: 1 });
    expect(disk.metadata.fingerprint_inputs).toEqual({ name: 'DiskFilling', context: 'DiskFilling', chart: 'disk./' });

    expect((await post(payload('resolved'))).status).toBe(202);
    expect(await a.store.issues.get(cpu.id)).toMatchObject({ status: 'resolved', resolved_at: Date.parse('2026-01-01T00:10:00Z') });
    expect((await a.store.issues.get(disk.id))?.status).not.toBe('resolved');
  });
});

describe('bad webhook input', () => {
  it('answers 4xx with {error, message}, stores nothing, and the daemon stays healthy', async () => {
    const a = await agent(TOKEN);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const cases: { path: string; init: RequestInit; status: number }[] = [
      { path: 'netdata', init: { method: 'POST', headers: json, body: '{"name": "x", ' }, status: 400 },
      { path: 'alertmanager', init: { method: 'POST', headers: json, body: '[not json' }, status: 400 },
      { path: 'netdata', init: { method: 'POST', headers: json, body: JSON.stringify({ name: ['a'], chart: 'c', status: 'WARNING' }) }, status: 400 },
      { path: 'netdata', init: { method: 'POST', headers: json, body: JSON.stringify({ name: 'n', chart: 'c', status: 'WARNING', unique_id: 'abc' }) }, status: 400 },
      { path: 'netdata', init: { method: 'POST', headers: json, body: JSON.stringify({ chart: 'c', status: 'WARNING' }) }, status: 400 },
      { path: 'netdata', init: { method: 'POST', headers: json, body: '"just a string"' }, status: 400 },
      { path: 'alertmanager', init: { method: 'POST', headers: json, body: JSON.stringify({ alerts: 'x' }) }, status: 400 },
      { path: 'alertmanager', init: { method: 'POST', headers: json, body: JSON.stringify({ alerts: [{ status: 'firing', labels: { alertname: 7 }, startsAt: 'now' }] }) }, status: 400 },
      { path: 'alertmanager', init: { method: 'POST', headers: json, body: JSON.stringify({ alerts: [{ status: 'firing', labels: { alertname: 'A' }, startsAt: 'yesterday' }] }) }, status: 400 },
      // one good alert and one bad: all or nothing
      {
        path: 'alertmanager',
        init: { method: 'POST', headers: json, body: JSON.stringify({ alerts: [
          { status: 'firing', labels: { alertname: 'Good' }, startsAt: '2026-01-01T00:00:00Z' },
          { status: 'burning', labels: { alertname: 'Bad' }, startsAt: '2026-01-01T00:00:00Z' },
        ] }) },
        status: 400,
      },
      { path: 'alertmanager', init: { method: 'POST', headers: json, body: JSON.stringify({ alerts: [], pad: 'x'.repeat(2 * 1024 * 1024) }) }, status: 413 },
      { path: 'netdata', init: { method: 'POST', headers: auth, body: form({ ...netdataFields(), info: 'x'.repeat(2 * 1024 * 1024) }) }, status: 413 },
      { path: 'netdata', init: { method: 'POST', body: form(netdataFields()) }, status: 401 },
      { path: 'netdata?token=wrong-token', init: { method: 'POST', body: form(netdataFields()) }, status: 401 },
      { path: 'alertmanager', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, status: 401 },
      { path: 'netdata', init: { method: 'POST', headers: { ...auth, 'content-type': 'application/xml' }, body: '<x/>' }, status: 415 },
    ];
    for (const c of cases) {
      const res = await fetch(`${a.url}/api/v1/webhooks/${c.path}`, c.init);
      const body = (await res.json()) as { error?: unknown; message?: unknown };
      expect({ path: c.path, status: res.status }).toEqual({ path: c.path, status: c.status });
      expect(typeof body.error).toBe('string');
      expect(typeof body.message).toBe('string');
    }
    expect(await counts(a)).toEqual({ issues: 0, keys: 0, comments: 0 });

    // the token also works as ?token= (simple senders), and the daemon still ingests and answers health
    const ok = await fetch(`${a.url}/api/v1/webhooks/netdata?token=${TOKEN}`, { method: 'POST', body: form(netdataFields()) });
    expect(ok.status).toBe(202);
    expect((await counts(a)).issues).toBe(1);
    const health = await fetch(`${a.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
