import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { validateProposal, type ValidProposal } from '../../src/model/action-catalog.js';
import { localToken } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';

const TOKEN = 'a-long-enough-test-token-0123456789';

async function agent(apiToken = '', server: Record<string, unknown> = {}) {
  const dir = tempDir();
  const config = defaultConfig({ netdata: { url: '' }, server: { port: 0, apiToken, ...server }, opsagent: { serverId: 'access' }, analysis: { enabled: false } });
  const a = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'a.db')}` });
  onTestFinished(() => a.stop());
  return a;
}

const alert = JSON.stringify({ name: 'cpu_usage', status: 'WARNING', value: 90 });

describe('API access rules', () => {
  it('decides on the decoded route, so percent-encoding does not skip the token', async () => {
    const a = await agent(TOKEN);
    for (const url of ['/api/%761/issues', '/%61pi/v1/issues', '/api/v1/%69ssues']) {
      expect((await a.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
    // Routes added by the composition root's plugins and Fastify's implicit HEAD routes are guarded the same way.
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/actions/x/approve', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(401);
    expect((await a.app.inject({ method: 'HEAD', url: '/api/v1/issues' })).statusCode).toBe(401);
    expect((await a.app.inject({ method: 'GET', url: '/api/v1/issues', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    const post = await a.app.inject({ method: 'POST', url: '/%61pi/v1/alerts', headers: { 'content-type': 'application/json' }, payload: alert });
    expect(post.statusCode).toBe(401);
    expect((await a.store.issues.list()).length).toBe(0);
    const ok = await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, payload: alert });
    expect(ok.statusCode).toBe(202);
  });

  it('takes ?token= on webhooks only', async () => {
    const a = await agent(TOKEN);
    expect((await a.app.inject({ method: 'GET', url: `/api/v1/issues?token=${TOKEN}` })).statusCode).toBe(401);
    const hook = await a.app.inject({
      method: 'POST', url: `/api/v1/webhooks/alertmanager?token=${TOKEN}`, headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'HighCPU', instance: 'web-1:9100' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'ab906f89a7cb9bdc' }] }),
    });
    expect(hook.statusCode).toBe(202);
  });

  it('without a token answers only to this machine: foreign Host or Origin, or a cross-site form, is refused', async () => {
    const a = await agent();
    const json = { 'content-type': 'application/json' };
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { ...json, host: 'evil.example' }, payload: alert })).statusCode).toBe(403);
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { ...json, host: '127.0.0.1:8080', origin: 'http://evil.example' }, payload: alert })).statusCode).toBe(403);
    const form = await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x&status=WARNING' });
    expect(form.statusCode).toBe(415);
    expect((await a.store.issues.list()).length).toBe(0);
    // another port on this machine is another origin (a page on localhost:8080 is not this daemon's on 127.0.0.1:8080)
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { ...json, host: '127.0.0.1:8080', origin: 'http://localhost:8080' }, payload: alert })).statusCode).toBe(403);
    expect((await a.store.issues.list()).length).toBe(0);
    const local = await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { ...json, host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, payload: alert });
    expect(local.statusCode).toBe(202);
    const fromNetdata = await a.app.inject({
      method: 'POST', url: '/api/v1/webhooks/netdata', headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=disk_usage&chart=disk.space&status=WARNING&value=91&unique_id=1&alarm_id=2&when=${Math.floor(Date.now() / 1000)}`,
    });
    expect(fromNetdata.statusCode).toBe(202);
  });
});

function proposal(type: string, params: unknown): ValidProposal {
  const check = validateProposal({ type, params, reason: 'test' });
  if (!check.ok) throw new Error(check.reason);
  return check.proposal;
}

/** A daemon with a pending kill_process of its own `sleep` child: approving it would really kill the child. */
async function withPendingKill(apiToken = '') {
  const dir = tempDir();
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const config = defaultConfig({
    netdata: { url: '' },
    server: { port: 0, apiToken },
    opsagent: { serverId: 'access', permissionLevel: 'limited', autoRemediate: false },
    analysis: { enabled: false },
    actions: { killProcess: { allowedPids: [child.pid], graceMs: 1_000 }, scanIntervalSeconds: 60 },
  });
  const a = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'a.db')}` });
  onTestFinished(() => a.stop());
  const [r] = await a.store.tracker.ingest([{ server_id: 'access', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, source: 'opsagent', occurred_at: Date.now() }]);
  const issue = (await a.store.issues.get(r!.issue_id!))!;
  const [kill, cleanup] = await a.remediation.handleProposals(issue, [proposal('kill_process', { pid: child.pid, name: 'sleep' }), proposal('log_analysis', { minutes: 5 })], null);
  expect(kill!.status).toBe('pending_approval');
  const token = apiToken || localToken(a);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const issueCount = async () => (await a.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] })).length;
  return { a, token, kill: kill!, other: cleanup!, issue, alive, issueCount, origin: a.url };
}

const netdataForm = (id: string) => `name=disk_usage&chart=disk.space&status=WARNING&value=91&unique_id=${id}&alarm_id=2&when=${Math.floor(Date.now() / 1000)}`;

describe.each([
  { mode: 'without server.apiToken (the local token steers)', apiToken: '' },
  { mode: 'with server.apiToken', apiToken: TOKEN },
])('what a browser can send cross-origin without asking is refused, $mode', ({ apiToken }) => {
  it('refuses approvals that are simple requests, from another origin, with a prefix or without the credential; the action stays pending', async () => {
    const t = await withPendingKill(apiToken);
    const port = new URL(t.a.url).port;
    const bearer = { authorization: `Bearer ${t.token}` };
    const json = { 'content-type': 'application/json' };
    const approve = `${t.a.url}/api/v1/actions/${t.kill.id}/approve`;
    const cases: { what: string; url?: string; headers: Record<string, string>; body?: string; status: number }[] = [
      // what a page's fetch(…, { mode: 'no-cors' }) or <form> sends: no preflight, so it arrives unless refused here
      { what: 'no body, no content type', headers: { ...bearer }, status: 415 },
      { what: 'text/plain JSON', headers: { ...bearer, 'content-type': 'text/plain;charset=UTF-8' }, body: '{"by":"evil"}', status: 415 },
      { what: 'text/plain with application/json as a parameter', headers: { ...bearer, 'content-type': 'text/plain; x=application/json' }, body: '{}', status: 415 },
      { what: 'a form', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'by=evil', status: 415 },
      { what: 'multipart', headers: { ...bearer, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415 },
      // Origin or Sec-Fetch-Site of anything but this daemon's own origin (scheme, host and port)
      { what: 'Origin: another port on 127.0.0.1', headers: { ...bearer, ...json, origin: `http://127.0.0.1:${Number(port) === 18003 ? 18004 : 18003}` }, body: '{}', status: 403 },
      { what: 'Origin: localhost, this port (another host)', headers: { ...bearer, ...json, origin: `http://localhost:${port}` }, body: '{}', status: 403 },
      { what: 'Origin: https, this host and port', headers: { ...bearer, ...json, origin: `https://127.0.0.1:${port}` }, body: '{}', status: 403 },
      { what: 'Origin: null (a sandboxed frame)', headers: { ...bearer, ...json, origin: 'null' }, body: '{}', status: 403 },
      { what: 'Sec-Fetch-Site: same-site', headers: { ...bearer, ...json, 'sec-fetch-site': 'same-site' }, body: '{}', status: 403 },
      { what: 'Sec-Fetch-Site: cross-site', headers: { ...bearer, ...json, 'sec-fetch-site': 'cross-site' }, body: '{}', status: 403 },
      { what: 'Sec-Fetch-Site: none', headers: { ...bearer, ...json, 'sec-fetch-site': 'none' }, body: '{}', status: 403 },
      // the credential, and the full id
      { what: 'no credential', headers: { ...json }, body: '{}', status: 401 },
      { what: 'a wrong credential', headers: { ...json, authorization: `Bearer ${t.token}x` }, body: '{}', status: 401 },
      { what: 'the credential as ?token=', url: `${approve}?token=${t.token}`, headers: { ...json }, body: '{}', status: 401 },
      { what: 'an id prefix', url: `${t.a.url}/api/v1/actions/${t.kill.id.slice(0, -3)}/approve`, headers: { ...bearer, ...json }, body: '{}', status: 404 },
      { what: 'an id prefix without act-', url: `${t.a.url}/api/v1/actions/${t.kill.id.slice(4, -3)}/approve`, headers: { ...bearer, ...json }, body: '{}', status: 404 },
    ];
    for (const c of cases) {
      const res = await fetch(c.url ?? approve, { method: 'POST', headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });
      expect({ what: c.what, status: res.status }).toEqual({ what: c.what, status: c.status });
      expect(await res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect((await t.a.store.actions.get(t.kill.id))!.status).toBe('pending_approval');
    expect(t.alive()).toBe(true);

    // the dashboard's own origin with the credential, and a program with it, both steer
    const rejected = await fetch(`${t.a.url}/api/v1/actions/${t.other.id}/reject`, {
      method: 'POST',
      headers: { ...bearer, ...json, origin: t.origin, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ by: 'alice' }),
    });
    expect(rejected.status).toBe(200);
    const approved = await fetch(approve, { method: 'POST', headers: { ...bearer, ...json }, body: '{}' });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ id: t.kill.id, status: 'succeeded' });
    await expect.poll(() => t.alive()).toBe(false);
  });

  it('refuses notes and status changes from another origin, as simple requests, by prefix or without the credential', async () => {
    const t = await withPendingKill(apiToken);
    const bearer = { authorization: `Bearer ${t.token}` };
    const json = { 'content-type': 'application/json' };
    const url = (what: string, id = t.issue.id) => `${t.a.url}/api/v1/issues/${id}/${what}`;
    const note = JSON.stringify({ content: 'forged', author: 'evil' });
    const status = JSON.stringify({ status: 'closed', author: 'evil' });
    for (const [u, body] of [[url('comments'), note], [url('status'), status]] as const) {
      expect((await fetch(u, { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body })).status).toBe(415);
      expect((await fetch(u, { method: 'POST', headers: { ...bearer, ...json, origin: 'http://localhost:18003' }, body })).status).toBe(403);
      expect((await fetch(u, { method: 'POST', headers: { ...json }, body })).status).toBe(401);
    }
    expect((await fetch(url('comments', t.issue.id.slice(0, -2)), { method: 'POST', headers: { ...bearer, ...json }, body: note })).status).toBe(404);
    expect((await fetch(url('status', t.issue.id.slice(0, -2)), { method: 'POST', headers: { ...bearer, ...json }, body: status })).status).toBe(404);
    const detail = await t.a.store.issues.get(t.issue.id);
    expect(detail!.status).not.toBe('closed');
    expect((await t.a.store.issues.comments(t.issue.id)).map((c) => c.content)).not.toContain('forged');
    expect((await fetch(url('comments'), { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify({ content: 'a real note' }) })).status).toBe(201);
  });

  it('refuses ingest that a browser page sent (another origin, a browser form, text/plain); a local sender with no browser headers gets in', async () => {
    const t = await withPendingKill(apiToken);
    // with server.apiToken, ingest needs it too: ?token= on the webhook, the header on /alerts
    const q = apiToken ? `?token=${apiToken}` : '';
    const auth: Record<string, string> = apiToken ? { authorization: `Bearer ${apiToken}` } : {};
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const netdata = `${t.a.url}/api/v1/webhooks/netdata${q}`;
    const alerts = `${t.a.url}/api/v1/alerts`;
    const before = await t.issueCount();
    const cases: { what: string; url: string; headers: Record<string, string>; body: string; status: number }[] = [
      { what: 'netdata form, Origin of another port', url: netdata, headers: { ...form, origin: 'http://localhost:18003' }, body: netdataForm('10'), status: 403 },
      { what: 'netdata form, Sec-Fetch-Site cross-site', url: netdata, headers: { ...form, 'sec-fetch-site': 'cross-site' }, body: netdataForm('11'), status: 403 },
      { what: 'netdata form, same origin (no page of ours posts forms here)', url: netdata, headers: { ...form, origin: t.origin, 'sec-fetch-site': 'same-origin' }, body: netdataForm('12'), status: 415 },
      { what: 'netdata form, a browser without Origin', url: netdata, headers: { ...form, 'sec-fetch-dest': 'iframe' }, body: netdataForm('13'), status: 415 },
      { what: 'netdata text/plain', url: netdata, headers: { 'content-type': 'text/plain' }, body: netdataForm('14'), status: 415 },
      { what: 'alerts, a form', url: alerts, headers: form, body: 'name=x&status=WARNING', status: 415 },
      { what: 'alerts, text/plain JSON', url: alerts, headers: { 'content-type': 'text/plain' }, body: alert, status: 415 },
      { what: 'alerts, no content type', url: alerts, headers: {}, body: alert, status: 415 },
      { what: 'alerts JSON, Origin of another port', url: alerts, headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:18003' }, body: alert, status: 403 },
    ];
    for (const c of cases) {
      const res = await fetch(c.url, { method: 'POST', headers: { ...auth, ...c.headers }, body: c.body });
      expect({ what: c.what, status: res.status }).toEqual({ what: c.what, status: c.status });
    }
    expect(await t.issueCount()).toBe(before);
    // alarm-notify.sh (curl) and scripts: no Origin, no Sec-Fetch-Site; no credential needed without server.apiToken
    expect((await fetch(netdata, { method: 'POST', headers: form, body: netdataForm('20') })).status).toBe(202);
    expect((await fetch(alerts, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: alert })).status).toBe(202);
    expect(await t.issueCount()).toBe(before + 2);
  });
});

describe('steering needs a credential even on loopback (no server.apiToken)', () => {
  it('refuses approve, reject, notes and status changes without the local token, and takes them with it; reads and ingest need none', async () => {
    const t = await withPendingKill();
    const json = { 'content-type': 'application/json' };
    const post = (path: string, body: unknown, headers: Record<string, string> = json) => fetch(`${t.a.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const refused = [
      await post(`/api/v1/actions/${t.kill.id}/approve`, { by: 'mallory' }),
      await post(`/api/v1/actions/${t.kill.id}/reject`, { by: 'mallory' }),
      await post(`/api/v1/issues/${t.issue.id}/comments`, { content: 'x' }),
      await post(`/api/v1/issues/${t.issue.id}/status`, { status: 'closed' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(((await refused[0]!.json()) as { message: string }).message).toContain('opsagent token');
    expect((await t.a.store.actions.get(t.kill.id))!.status).toBe('pending_approval');
    expect(t.alive()).toBe(true);

    expect((await fetch(`${t.a.url}/api/v1/issues`)).status).toBe(200);
    expect((await fetch(`${t.a.url}/api/v1/actions?status=pending`)).status).toBe(200);
    expect((await post('/api/v1/alerts', { name: 'ram_usage', status: 'WARNING' })).status).toBe(202);

    const withToken = { ...json, authorization: `Bearer ${t.token}` };
    expect((await post(`/api/v1/issues/${t.issue.id}/comments`, { content: 'on it' }, withToken)).status).toBe(201);
    expect((await post(`/api/v1/issues/${t.issue.id}/status`, { status: 'investigating' }, withToken)).status).toBe(200);
    expect((await post(`/api/v1/actions/${t.other.id}/reject`, { by: 'alice' }, withToken)).status).toBe(200);
    const approved = await post(`/api/v1/actions/${t.kill.id}/approve`, { by: 'alice' }, withToken);
    expect(await approved.json()).toMatchObject({ status: 'succeeded', decided_by: 'alice' });
  });
});

describe('the Host header must name this daemon', () => {
  it.each([
    { mode: 'without server.apiToken', apiToken: '' },
    { mode: 'with server.apiToken', apiToken: TOKEN },
  ])('answers /healthz, /metrics and the dashboard only to its own names, $mode', async ({ apiToken }) => {
    const a = await agent(apiToken, { publicUrl: 'https://agent.example.com/opsagent', allowedHosts: ['ops.internal', 'Tunnel.Example.NET:443'] });
    const port = new URL(a.url).port;
    const status = async (url: string, host: string) => (await a.app.inject({ url, headers: { host } })).statusCode;
    for (const url of ['/healthz', '/metrics', '/login', '/assets/dashboard.css']) {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST', 'agent.example.com', 'ops.internal:8080', 'tunnel.example.net']) {
        expect({ url, host, status: await status(url, host) }).toEqual({ url, host, status: 200 });
      }
      for (const host of ['evil.example', `evil.example:${port}`, 'agent.example.com.evil.example', '127.0.0.1.nip.io', 'localhost.', 'a b', '127.0.0.1:8080:1']) {
        expect({ url, host, status: await status(url, host) }).toEqual({ url, host, status: 403 });
      }
    }
    const refused = await a.app.inject({ url: '/metrics', headers: { host: 'evil.example' } });
    expect(refused.json()).toMatchObject({ error: 'FORBIDDEN', message: expect.stringContaining('server.allowedHosts') });
    expect(refused.body).not.toContain('opsagent_');
    // real sockets: a rebinding page's request carries its own name, a local scraper the address it dialled
    expect((await fetch(`${a.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${a.url.replace('127.0.0.1', 'localhost')}/healthz`)).status).toBe(200);
  });

  it('bound to every interface (with a token), also answers to this machine\'s hostname', async () => {
    const a = await agent(TOKEN, { host: '0.0.0.0' });
    expect((await a.app.inject({ url: '/healthz', headers: { host: `${hostname()}:8080` } })).statusCode).toBe(200);
    expect((await a.app.inject({ url: '/healthz', headers: { host: 'rebound.example' } })).statusCode).toBe(403);
  });
});
