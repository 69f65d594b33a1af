import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { mcpDeps } from '../../src/mcp/compose.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import { recordingRemediation } from '../../src/pipeline/store-setup.js';
import { AccessPolicy } from '../../src/server/api-access.js';
import { buildApp } from '../../src/server/app.js';
import { mcpRoutes } from '../../src/server/routes/mcp.js';
import { openTempStore } from '../helpers/temp-store.js';

const TOKEN = 'mcp-sessions-test-token-0123456789abcdef';

/** The /mcp route on a real Fastify app on 127.0.0.1:0, with the real tools over a temp store. */
async function serve(limits: { maxSessions: number; idleMs: number }): Promise<string> {
  const config = defaultConfig({ opsagent: { serverId: 'sessions' } });
  const store = await openTempStore({ config });
  const logger = silentLogger();
  const deps = mcpDeps({ config, store, remediation: recordingRemediation(config, store, logger), analyseNow: undefined });
  const app = await buildApp({ logger, access: new AccessPolicy({ apiToken: TOKEN }) });
  await app.register(mcpRoutes, { access: new AccessPolicy({ apiToken: TOKEN }), logger, newServer: async () => buildMcpServer(deps), ...limits });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  onTestFinished(() => app.close());
  return url;
}

async function connect(url: string, name: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
  const client = new Client({ name, version: '1' });
  onTestFinished(() => client.close());
  await client.connect(transport);
  return { client, transport };
}

describe('MCP sessions on /mcp', () => {
  it('caps the sessions alive at once: a further initialize gets 503 while the others are in use', async () => {
    const url = await serve({ maxSessions: 2, idleMs: 600_000 });
    await connect(url, 'one');
    await connect(url, 'two');
    const third = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'three', version: '1' } } }),
    });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('60');
    expect(await third.json()).toMatchObject({ error: { message: 'too many MCP sessions (2); try again later' } });
  });

  it('ends a session unused for idleMs: its id then gets 404 and the client starts a new one', async () => {
    const url = await serve({ maxSessions: 4, idleMs: 300 });
    const { client, transport } = await connect(url, 'sleepy');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const id = transport.sessionId!;
    await new Promise((r) => setTimeout(r, 1_500)); // the sweep runs every idleMs
    const stale = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': id, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
    const again = await connect(url, 'sleepy');
    expect(again.transport.sessionId).not.toBe(id);
  });
});
