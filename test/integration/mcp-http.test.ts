import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { alertEvent, textOf } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp-store.js';

const API_TOKEN = 'mcp-http-test-token-0123456789abcdefghij';

async function daemon(extra: string): Promise<{ url: string; dir: string; issueId: string; terminate: () => Promise<{ code: number | null; ms: number }> }> {
  const dir = tempDir();
  const config = join(dir, 'opsagent.yaml');
  writeFileSync(
    config,
    `netdata: { url: "" }\ndiscord: { enabled: false }\nanalysis: { enabled: false }\ndatabase: { url: "file:${join(dir, 'opsagent.db')}" }\n` +
      `opsagent: { serverId: "mcp-http", permissionLevel: "full", autoRemediate: true }\nactions: { scanIntervalSeconds: 1 }\n${extra}`,
  );
  const d = spawnDaemon(config, { env: { OPSAGENT_HOME: dir } });
  const url = await d.started();
  const auth: Record<string, string> = extra.includes('apiToken') ? { authorization: `Bearer ${API_TOKEN}` } : {};
  const ingest = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(alertEvent({ server_id: 'mcp-http' })) });
  expect(ingest.status).toBe(202);
  const { results } = (await ingest.json()) as { results: { issue_id: string }[] };
  return { url, dir, issueId: results[0]!.issue_id, terminate: d.terminate };
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
};
const BOTH = 'application/json, text/event-stream';

function post(url: string, headers: Record<string, string>, body: unknown = initialize): Promise<Response> {
  return fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: BOTH, ...headers }, body: JSON.stringify(body) });
}

/** A POST with any Host header (a DNS-rebinding page's request names the attacker's host), through node:http. */
function rawStatus(url: string, headers: Record<string, string>): Promise<number | undefined> {
  const body = JSON.stringify(initialize);
  return new Promise((resolve, reject) => {
    const req = request(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: BOTH, 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function connect(url: string, token: string, name: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name, version: '1.0.0' });
  onTestFinished(() => client.close());
  await client.connect(transport);
  return { client, transport };
}

describe('MCP over Streamable HTTP at /mcp on a running daemon', () => {
  it('needs the local token even on loopback, and refuses other origins, host names and bad requests', async () => {
    const { url, dir } = await daemon('server: { host: "127.0.0.1", port: 0 }\n');
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const bearer = { authorization: `Bearer ${token}` };

    const none = await post(url, {});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'UNAUTHORIZED', message: expect.stringContaining('opsagent token') });
    expect((await post(url, { authorization: 'Bearer not-the-token-not-the-token-123' })).status).toBe(401);
    expect((await fetch(`${url}/mcp`, { method: 'GET' })).status).toBe(401);
    expect((await fetch(`${url}/mcp`, { method: 'DELETE' })).status).toBe(401);
    // A web page (DNS rebinding or another local port) never gets through, token or not.
    expect((await post(url, { ...bearer, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(url, { ...bearer, origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect(await rawStatus(url, { ...bearer, host: 'evil.example' })).toBe(403); // fetch cannot set Host

    expect((await fetch(`${url}/mcp`, { headers: { ...bearer, accept: 'text/event-stream' } })).status).toBe(405);
    const unknown = await post(url, { ...bearer, 'mcp-session-id': 'no-such-session' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: -32001 } });
    expect((await post(url, bearer, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(400);
    expect((await post(url, { ...bearer, accept: 'application/json' })).status).toBe(406);

    const ok = await post(url, bearer);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await ok.json()).toMatchObject({ result: { serverInfo: { name: 'opsagent' } } });
  });

  it('the SDK client works the issue with the token; a proposal waits for a human even in full mode; no approve tool', async () => {
    const { url, dir, issueId } = await daemon('server: { host: "127.0.0.1", port: 0 }\n');
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const { client, transport } = await connect(url, token, 'vscode');

    expect(textOf(await client.callTool({ name: 'list_issues', arguments: {} }))).toContain(`${issueId} [open] warning cpu_usage on mcp-http`);
    expect(textOf(await client.callTool({ name: 'add_note', arguments: { issue_id: issueId, text: 'checked the graphs; $(reboot)' } }))).toContain('as mcp:vscode');

    const proposed = await client.callTool({ name: 'propose_action', arguments: { issue_id: issueId, action: 'clear_cache', params: {}, reason: 'page cache is huge' } });
    expect(textOf(proposed)).toMatch(/^pending approval/);
    const actionId = /(act-\d+-[a-z0-9]+)/.exec(textOf(proposed))![1]!;
    const approve = await client.callTool({ name: 'approve_action', arguments: { id: actionId } });
    expect(approve.isError).toBe(true);
    expect(textOf(approve)).toMatch(/Tool approve_action not found/);

    // The daemon's remediation scan runs every second: a pending proposal stays pending, it is never executed.
    await new Promise((r) => setTimeout(r, 2_500));
    const api = await fetch(`${url}/api/v1/actions/${actionId}`);
    expect(await api.json()).toMatchObject({ status: 'pending_approval', executed_at: null });
    const issue = (await (await fetch(`${url}/api/v1/issues/${issueId}`)).json()) as { comments: { author_name: string | null; content: string }[] };
    expect(issue.comments.filter((c) => c.author_name === 'mcp:vscode').map((c) => c.content)).toEqual([
      'checked the graphs; $(reboot)',
      `💡 mcp:vscode proposed clear_cache: page cache is huge`,
    ]);

    // Ending the session: its id is then unknown (404), as the spec says, and a new initialize starts over.
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    const after = await post(url, { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId }, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(after.status).toBe(404);
  });

  it('with server.apiToken that token is the credential, and no local token is written', async () => {
    const { url, dir, issueId, terminate } = await daemon(`server: { host: "127.0.0.1", port: 0, apiToken: "${API_TOKEN}" }\n`);
    expect(existsSync(join(dir, 'api-token'))).toBe(false);
    expect((await post(url, {})).status).toBe(401);
    const { client } = await connect(url, API_TOKEN, 'claude-code');
    const shown = textOf(await client.callTool({ name: 'show_issue', arguments: { id: issueId } }));
    expect(shown).toContain('why grouped: fingerprint');
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('opsagent://digest');
    // An open session holds no request open: SIGTERM stops the daemon as usual.
    expect((await terminate()).code).toBe(0);
  });
});
