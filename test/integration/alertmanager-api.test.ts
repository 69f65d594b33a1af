import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { alertmanagerFingerprint } from '../../src/sources/alert-labels.js';
import { tempDir } from '../helpers/temp-store.js';

const TOKEN = 'v2-alerts-test-token-0123456789abcdef';

async function agent(options: { apiToken?: string; dbPath?: string } = {}): Promise<RunningAgent & { dbPath: string }> {
  const dbPath = options.dbPath ?? join(tempDir(), 'opsagent.db');
  const config = defaultConfig({
    netdata: { url: '' },
    opsagent: { serverId: 'agent-host' },
    server: { host: '127.0.0.1', port: 0, apiToken: options.apiToken ?? '' },
    discord: { enabled: false },
    analysis: { enabled: false },
  });
  const a = await startAgent(config, silentLogger(), { dbUrl: `file:${dbPath}` });
  onTestFinished(() => a.stop());
  return { ...a, dbPath };
}

const iso = (ms: number) => new Date(ms).toISOString();
const labels = { alertname: 'HighCPU', instance: 'web-1:9100', job: 'node', severity: 'critical' };

interface Posted {
  status: number;
  contentType: string | null;
  text: string;
}

async function post(a: RunningAgent, body: unknown, headers: Record<string, string> = {}): Promise<Posted> {
  const res = await fetch(`${a.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

async function onlyIssue(a: RunningAgent) {
  const list = await a.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] });
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe('POST /api/v2/alerts (Alertmanager API v2)', () => {
  it('answers 200 with an empty body and no content type, and keeps labels and annotations on one issue per alert per server', async () => {
    const a = await agent();
    const startsAt = iso(Date.now() - 60_000);
    const annotations = { summary: 'CPU > 95%', runbook_url: 'https://runbooks.example/cpu' };
    const r = await post(a, [{ labels, annotations, startsAt, endsAt: iso(Date.now() + 240_000), generatorURL: 'http://prom:9090/graph?g0.expr=x' }]);
    expect(r).toEqual({ status: 200, contentType: null, text: '' });
    const issue = await onlyIssue(a);
    expect(issue).toMatchObject({
      server_id: 'web-1', title: 'HighCPU', severity: 'critical', status: 'open', alert_count: 1, source: 'alertmanager',
      source_alert_id: alertmanagerFingerprint(labels), description: 'CPU > 95%',
    });
    expect(issue.metadata).toMatchObject({ labels, annotations, fingerprint_inputs: { name: 'HighCPU', context: 'node', chart: 'web-1:9100' } });
  });

  it('counts an activation once: re-sends and a sender restart with a new startsAt do not count, resolved re-sends never reopen, a new activation does', async () => {
    const a = await agent();
    const t0 = Date.now() - 120_000;
    const firing = (startsAt: number) => [{ labels, startsAt: iso(startsAt), endsAt: iso(Date.now() + 240_000) }];
    expect((await post(a, firing(t0))).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await post(a, firing(t0))).status).toBe(200);
    expect((await onlyIssue(a)).alert_count).toBe(1);
    // A re-send whose annotations changed (a summary with the current value): counted nothing, shown on the issue.
    await post(a, [{ labels, annotations: { summary: 'CPU at 97%' }, startsAt: iso(t0), endsAt: iso(Date.now() + 240_000) }]);
    expect(await onlyIssue(a)).toMatchObject({ alert_count: 1, metadata: { annotations: { summary: 'CPU at 97%' } } });

    // Prometheus restarted: the same alert, a new startsAt, while the activation never ended.
    await post(a, firing(t0 + 60_000));
    expect(await onlyIssue(a)).toMatchObject({ alert_count: 1, status: 'open' });

    const resolvedAt = Date.now() - 1_000;
    const resolved = [{ labels, startsAt: iso(t0 + 60_000), endsAt: iso(resolvedAt) }];
    await post(a, resolved);
    expect(await onlyIssue(a)).toMatchObject({ status: 'resolved', resolved_at: resolvedAt, alert_count: 1 });
    for (let i = 0; i < 3; i++) await post(a, resolved); // Prometheus re-sends a resolved alert for 15 minutes
    await post(a, firing(t0 + 60_000)); // a late re-send of the resolved activation
    expect(await onlyIssue(a)).toMatchObject({ status: 'resolved', alert_count: 1 });

    await post(a, firing(Date.now())); // fired again: a new activation
    expect(await onlyIssue(a)).toMatchObject({ status: 'open', alert_count: 2 });
    const comments = await a.store.issues.comments((await onlyIssue(a)).id);
    expect(comments.filter((c) => c.comment_type === 'alert_fired')).toHaveLength(2);
  });

  it('expires an alert not re-sent before its endsAt, also when the agent was down meanwhile', async () => {
    const a = await agent();
    await post(a, [{ labels, startsAt: iso(Date.now() - 10_000), endsAt: iso(Date.now() + 1_200) }]);
    expect((await onlyIssue(a)).status).toBe('open');
    const deadline = Date.now() + 10_000;
    while ((await onlyIssue(a)).status !== 'resolved' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const issue = await onlyIssue(a);
    expect(issue.status).toBe('resolved');
    const resolution = (await a.store.issues.comments(issue.id)).find((c) => c.comment_type === 'status_change');
    expect(resolution?.metadata).toMatchObject({ status: 'resolved', cause: 'alert_expired' });

    // Another alert, whose endsAt passes while the agent is stopped: resolved as the agent starts again.
    const other = { ...labels, alertname: 'DiskFull' };
    await post(a, [{ labels: other, startsAt: iso(Date.now() - 10_000), endsAt: iso(Date.now() + 1_000) }]);
    await a.stop();
    await new Promise((r) => setTimeout(r, 1_300));
    const b = await agent({ dbPath: a.dbPath });
    const disk = (await b.store.issues.list({ statuses: ['open', 'resolved'] })).find((i) => i.title === 'DiskFull');
    expect(disk?.status).toBe('resolved');
  });

  it('keeps an issue open while another label set of it still fires', async () => {
    const a = await agent();
    const root = { alertname: 'DiskFull', instance: 'web-1:9100', job: 'node', device: '/' };
    const data = { ...root, device: '/data' };
    const startsAt = iso(Date.now() - 60_000);
    const endsAt = iso(Date.now() + 240_000);
    await post(a, [{ labels: root, startsAt, endsAt }, { labels: data, startsAt, endsAt }]);
    expect(await onlyIssue(a)).toMatchObject({ alert_count: 2, status: 'open' });
    await post(a, [{ labels: root, startsAt, endsAt: iso(Date.now() - 500) }]);
    expect((await onlyIssue(a)).status).toBe('open');
    await post(a, [{ labels: data, startsAt, endsAt: iso(Date.now() - 100) }]);
    expect((await onlyIssue(a)).status).toBe('resolved');
  });

  it('stores the valid alerts of a post and answers 400 with a JSON string naming the invalid ones, as Alertmanager does', async () => {
    const a = await agent();
    const now = Date.now();
    const r = await post(a, [
      { labels: { alertname: 'Good', instance: 'web-2' } },
      { labels: {} },
      { labels: { alertname: 'Backwards' }, startsAt: iso(now), endsAt: iso(now - 60_000) },
      { labels: { alertname: 'BadName', '0bad': 'x' } },
    ]);
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(r.text)).toBe('at least one label pair required; start time must be before end time; invalid label set: invalid name "0bad"');
    expect((await onlyIssue(a)).title).toBe('Good');
  });

  it.each([
    ['an object', '{}', 400, 400],
    ['broken JSON', '[{', 400, 400],
    ['an alert without labels', '[{"annotations":{}}]', 422, 602],
    ['a label that is not a string', '[{"labels":{"alertname":1}}]', 400, 400],
    ['a startsAt that is not RFC 3339', '[{"labels":{"alertname":"a"},"startsAt":"yesterday"}]', 400, 400],
  ])('refuses %s whole with %i {code, message} and stores nothing', async (_what, body, status, code) => {
    const a = await agent();
    const r = await post(a, body);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.text)).toMatchObject({ code, message: expect.any(String) });
    expect(await a.store.issues.list({ statuses: ['open', 'resolved'] })).toHaveLength(0);
  });

  it('needs the bearer token when server.apiToken is set (Prometheus authorization.credentials)', async () => {
    const a = await agent({ apiToken: TOKEN });
    const body = [{ labels }];
    expect((await post(a, body)).status).toBe(401);
    expect((await post(a, body, { authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).status).toBe(401);
    expect((await post(a, body, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await onlyIssue(a)).alert_count).toBe(1);
  });
});

describe('POST /api/v2/alerts with hostile input', () => {
  it('never answers 5xx nor stores an alert it refused, whatever the body', async () => {
    const { default: fc } = await import('fast-check');
    const a = await agent();
    const text = fc.oneof(fc.string(), fc.constantFrom('', '0001-01-01T00:00:00Z', '2026-13-45T99:99:99Z', 'x'.repeat(20_000), '__proto__', '\u0000'));
    const labelSet = fc.dictionary(fc.oneof(fc.constantFrom('alertname', 'instance', 'severity', '__proto__', '0bad', 'a-b'), fc.string()), text, { maxKeys: 6 });
    const alert = fc.record(
      { labels: fc.oneof(labelSet, fc.constant(null), fc.integer(), fc.array(fc.string())), annotations: fc.oneof(labelSet, fc.string()), startsAt: fc.oneof(text, fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString()))), endsAt: text, generatorURL: fc.oneof(text, fc.integer()) },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.array(alert, { maxLength: 5 }), fc.jsonValue(), fc.string().map((s) => `[${s}`));
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await post(a, typeof b === 'string' ? b : JSON.stringify(b));
        expect([200, 400, 422]).toContain(r.status);
        const json = (() => {
          try {
            JSON.parse(r.text);
            return true;
          } catch {
            return false;
          }
        })();
        expect(r.status === 200 ? r.text === '' : json).toBe(true); // 200 is empty; a refusal is JSON
      }),
      { numRuns: 300 },
    );
    for (const issue of await a.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'], limit: 1_000 })) {
      expect(issue.title.trim()).not.toBe('');
      expect(Object.keys(issue.metadata.labels ?? {}).every((k) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))).toBe(true);
    }
  });
});
