import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { tempDir } from '../helpers/temp-store.js';
import { onTestFinished } from 'vitest';
import { join } from 'node:path';

const TOKEN = 'a-long-enough-test-token-0123456789';

async function agent(apiToken = '') {
  const dir = tempDir();
  const config = defaultConfig({ netdata: { url: '' }, server: { port: 0, apiToken }, opsagent: { serverId: 'access' }, analysis: { enabled: false } });
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
    const local = await a.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { ...json, host: '127.0.0.1:8080', origin: 'http://localhost:8080' }, payload: alert });
    expect(local.statusCode).toBe(202);
    const fromNetdata = await a.app.inject({
      method: 'POST', url: '/api/v1/webhooks/netdata', headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=disk_usage&chart=disk.space&status=WARNING&value=91&unique_id=1&alarm_id=2&when=${Math.floor(Date.now() / 1000)}`,
    });
    expect(fromNetdata.statusCode).toBe(202);
  });
});
