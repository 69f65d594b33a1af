import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { localToken } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';

async function agentOn(db: string, apiToken = ''): Promise<RunningAgent> {
  const config = defaultConfig({ netdata: { url: '' }, server: { host: '127.0.0.1', port: 0, apiToken }, opsagent: { serverId: 'auth-host' }, analysis: { enabled: false }, discord: { enabled: false } });
  const a = await startAgent(config, silentLogger(), { dbUrl: `file:${db}` });
  onTestFinished(() => a.stop());
  return a;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function logIn(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ token }) });
  expect(res.status).toBe(303);
  const cookie = /^(opsagent_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

const page = (url: string, cookie?: string) => fetch(`${url}/`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
const csrfOf = (htmlText: string) => /name="csrf" value="([^"]+)"/.exec(htmlText)?.[1] ?? '';

describe('dashboard login and sessions', () => {
  it('asks for the local token without server.apiToken, and logging out revokes the session on the server', async () => {
    const a = await agentOn(join(tempDir(), 'opsagent.db'));
    expect((await page(a.url)).headers.get('location')).toBe('/login');
    expect(await (await fetch(`${a.url}/login`)).text()).toContain('opsagent token');
    const cookie = await logIn(a.url, localToken(a));
    const home = await page(a.url, cookie);
    expect(home.status).toBe(200);
    const csrf = csrfOf(await home.text());
    expect(csrf).not.toBe('');

    const out = await fetch(`${a.url}/logout`, { method: 'POST', redirect: 'manual', headers: { ...form, cookie }, body: new URLSearchParams({ csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    // a copy of the cookie (another tab, a stolen one) opens nothing any more
    const after = await page(a.url, cookie);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login');
    const [issueId] = (await a.store.tracker.ingest([{ server_id: 'auth-host', name: 'cpu_usage', context: 'c', chart: 'c', status: 'WARNING', source: 'opsagent', occurred_at: Date.now() }])).map((r) => r.issue_id!);
    const note = await fetch(`${a.url}/issues/${issueId}/notes`, { method: 'POST', redirect: 'manual', headers: { ...form, cookie }, body: new URLSearchParams({ csrf, author: 'x', content: 'after logout' }) });
    expect(note.status).toBe(401);
    expect((await a.store.issues.comments(issueId!)).map((c) => c.content)).not.toContain('after logout');
  });

  it('ends every session when the token changes (a restart with another server.apiToken)', async () => {
    const db = join(tempDir(), 'opsagent.db');
    const before = await agentOn(db, 'first-token-0123456789abcdefghijklmnop');
    const cookie = await logIn(before.url, 'first-token-0123456789abcdefghijklmnop');
    expect((await page(before.url, cookie)).status).toBe(200);
    await before.stop();
    const after = await agentOn(db, 'second-token-0123456789abcdefghijklmno');
    expect((await page(after.url, cookie)).headers.get('location')).toBe('/login');
    expect((await fetch(`${after.url}/login`, { method: 'POST', headers: form, body: new URLSearchParams({ token: 'first-token-0123456789abcdefghijklmnop' }) })).status).toBe(401);
  });

  it('rate-limits failed logins per client address and for the whole agent, with a clear 429', async () => {
    const a = await agentOn(join(tempDir(), 'opsagent.db'));
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${a.url}/login`, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ token: `guess-${i}` }) })),
    );
    const statuses = guesses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(15).fill(429)]);
    const limited = guesses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toMatch(/Too many failed logins from your address: try again in \d+ s\./);
    // while locked out, even the right token is not compared (so a lucky guess learns nothing)
    const right = await fetch(`${a.url}/login`, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ token: localToken(a) }) });
    expect(right.status).toBe(429);

    // other addresses: each may fail a little, but the agent as a whole stops answering guesses at 30 a minute
    const from = async (remoteAddress: string, token: string) =>
      a.app.inject({ method: 'POST', url: '/login', remoteAddress, headers: { ...form, host: '127.0.0.1' }, payload: new URLSearchParams({ token }).toString() });
    const spread = await Promise.all(Array.from({ length: 25 }, async (_, i) => (await from(`10.0.0.${i}`, 'wrong')).statusCode));
    expect(spread).toEqual(Array<number>(25).fill(401));
    const fresh = await from('10.9.9.9', localToken(a));
    expect(fresh.statusCode).toBe(429);
    expect(fresh.body).toMatch(/Too many failed logins on this agent: try again in \d+ s\./);
  });
});
