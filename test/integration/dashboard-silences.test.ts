import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { localToken } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const csrfOf = (htmlText: string) => /name="csrf" value="([^"]+)"/.exec(htmlText)?.[1] ?? '';

describe('dashboard: silences and ownership', () => {
  it('creates and expires a silence, acknowledges and snoozes an issue, shows them on the pages, and refuses bad input and a missing CSRF token', async () => {
    const config = defaultConfig({ netdata: { url: '' }, server: { host: '127.0.0.1', port: 0 }, opsagent: { serverId: 'dash-host' }, analysis: { enabled: false }, discord: { enabled: false } });
    const a = await startAgent(config, silentLogger(), { dbUrl: `file:${join(tempDir(), 'opsagent.db')}` });
    onTestFinished(() => a.stop());
    const login = await fetch(`${a.url}/login`, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ token: localToken(a) }) });
    const cookie = /^(opsagent_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
    const get = async (path: string) => (await fetch(`${a.url}${path}`, { headers: { cookie } })).text();
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${a.url}${path}`, { method: 'POST', redirect: 'manual', headers: { ...form, cookie }, body: new URLSearchParams(fields) });
    const [issueId] = (await a.store.tracker.ingest([{ server_id: 'dash-host', name: 'disk_full', context: 'disk', chart: 'disk', status: 'CRITICAL', source: 'opsagent', occurred_at: Date.now() }])).map((r) => r.issue_id!);

    const page = await get('/silences');
    expect(page).toContain('No silences in force.');
    const csrf = csrfOf(page);

    const bad = await post('/silences', { csrf, by: 'bob', matchers: 'hostname=web-1', duration: '2h' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('unknown field &quot;hostname&quot;');
    expect(await post('/silences', { csrf: 'forged', by: 'bob', matchers: 'server=dash-host', duration: '2h' }).then((r) => r.status)).toBe(403);
    expect(await a.store.silences.listSilences({ all: true })).toEqual([]);

    const made = await post('/silences', { csrf, by: 'bob', matchers: 'server=dash-host\nalertname=~"disk_.*"', duration: '2h', comment: 'deploy' });
    expect(made.status).toBe(303);
    const [silence] = await a.store.silences.listSilences();
    expect(silence).toMatchObject({ matcher_text: ['server="dash-host"', 'alertname=~"disk_.*"'], created_by: 'bob', comment: 'deploy' });
    expect(await get('/silences')).toContain(`data-silence-id="${silence!.id}" data-state="active"`);
    expect(await get('/')).toMatch(/<span class="tag silenced"[^>]*>silenced until /);

    expect((await post(`/issues/${issueId}/own`, { csrf, by: 'alice', do: 'ack' })).status).toBe(303);
    expect(await get(`/issues/${issueId}`)).toContain('acked by alice');
    expect((await post(`/issues/${issueId}/own`, { csrf, by: 'alice', do: 'snooze', comment: 'lunch' })).status).toBe(303);
    expect((await a.store.silences.listSilences()).map((s) => s.kind).sort()).toEqual(['silence', 'snooze']);

    expect((await post(`/silences/${silence!.id}/expire`, { csrf, by: 'carol' })).status).toBe(303);
    const again = await post(`/silences/${silence!.id}/expire`, { csrf, by: 'carol' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('has already ended (expired by carol)');
    expect((await a.store.silences.getSilence(silence!.id)).state).toBe('expired');
  });
});
