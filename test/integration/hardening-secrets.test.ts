import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { startFakeLlm } from '../helpers/fake-llm.js';
import { freePort } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';

const LLM_KEY = 'sk-hardening-llm-key-3f9a1c77';
const API_TOKEN = 'api-token-hardening-0123456789abcdef';
const NETDATA_PASSWORD = 'nd-pass-7781xq';
const DB_TOKEN = 'libsql-auth-token-5c2e9b';

/** A Netdata behind a proxy that refuses every request, and echoes back what it was sent (credentials included). */
async function startRefusingNetdata(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`unauthorized: ${req.headers.authorization ?? ''} (${Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString()})`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function secretsIn(text: string): string[] {
  const basic = Buffer.from(`opsuser:${NETDATA_PASSWORD}`).toString('base64');
  return [LLM_KEY, API_TOKEN, NETDATA_PASSWORD, basic, DB_TOKEN].filter((s) => text.includes(s));
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('secrets never leave in what the agent writes or shows', () => {
  it('masks an LLM key echoed by a 401 and Netdata credentials in logs, comments, /healthz, /metrics and error answers', async () => {
    const dir = tempDir('opsagent-secrets-');
    const llm = await startFakeLlm({ apiKey: LLM_KEY });
    llm.script({ kind: 'error', status: 401, type: 'invalid_authentication_error', message: `Invalid Authentication: the key ${LLM_KEY} is revoked` });
    const netdata = await startRefusingNetdata();
    const netdataUrl = netdata.url.replace('http://', `http://opsuser:${NETDATA_PASSWORD}@`);
    const dbPath = join(dir, 'opsagent.db');
    const configPath = join(dir, 'opsagent.yaml');
    writeFileSync(
      configPath,
      [
        `netdata: { url: "${netdataUrl}", pollInterval: 0.2, timeoutMs: 1000 }`,
        `opsagent: { serverId: "secrets-host" }`,
        `database: { url: "file:${dbPath}" }`,
        `server: { host: "127.0.0.1", port: 0, apiToken: "\${OPSAGENT_API_TOKEN}" }`,
        `discord: { enabled: false }`,
        `llm: { baseUrl: "${llm.baseUrl}", apiKey: "${LLM_KEY}", timeoutSeconds: 5 }`,
        `analysis: { logFiles: [], gatherTimeoutMs: 2000 }`,
        `actions: { logAnalysis: { useJournal: false } }`,
        '',
      ].join('\n'),
    );
    const daemon = spawnDaemon(configPath, { env: { OPSAGENT_HOME: dir, OPSAGENT_API_TOKEN: API_TOKEN } });
    const url = await daemon.started();
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers: auth });
      return { status: res.status, text: await res.text() };
    };

    const posted = await fetch(`${url}/api/v1/alerts`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cpu_hot', status: 'CRITICAL', chart: 'system.cpu', info: 'CPU at 99%' }),
    });
    expect(posted.status).toBe(202);
    const { issues } = JSON.parse((await get('/api/v1/issues?status=all')).text) as { issues: { id: string }[] };
    const issueId = issues[0]!.id;
    const detail = await until('the analysis comment', async () => {
      const d = await get(`/api/v1/issues/${issueId}`);
      return d.text.includes('"comment_type":"analysis"') ? d.text : undefined;
    });
    await until('a refused Netdata poll', async () => (netdata.seen.length > 0 && daemon.output().includes('answered HTTP 401') ? true : undefined));

    // the upstreams did get the credentials: the LLM its key, Netdata basic auth (a URL with user:pass@ cannot be fetched)
    expect(llm.requests.length).toBeGreaterThan(0);
    expect(netdata.seen[0]!.authorization).toBe(`Basic ${Buffer.from(`opsuser:${NETDATA_PASSWORD}`).toString('base64')}`);

    // ...and no exit repeats them: the issue timeline (what the dashboard shows), /healthz, /metrics, a 404, the log
    expect(detail).toMatch(/local analyser used because the LLM answered HTTP 401 \(invalid_authentication_error\)[^"]*\*\*\*/);
    const health = await get('/healthz');
    expect(health.text).toContain('http://***@127.0.0.1');
    const metrics = await get('/metrics');
    expect(metrics.text).toMatch(/opsagent_poll_errors_total\{source="netdata",url="http:\/\/\*\*\*@127\.0\.0\.1:\d+"\} [1-9]/);
    const notFound = await get(`/api/v1/issues/${LLM_KEY}`);
    expect(notFound.status).toBe(404);
    expect(notFound.text).toContain('***');
    expect({ detail: secretsIn(detail), health: secretsIn(health.text), metrics: secretsIn(metrics.text), notFound: secretsIn(notFound.text) }).toEqual({
      detail: [],
      health: [],
      metrics: [],
      notFound: [],
    });

    expect((await daemon.terminate()).code).toBe(0);
    expect(daemon.output()).toContain('Netdata at http://***@127.0.0.1');
    expect(secretsIn(daemon.output()), 'the log').toEqual([]);
    // what was written into the database (comments, job notes) is masked too, not just what the API shows
    const db = new BetterSqlite3(dbPath, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const stored = JSON.stringify([db.prepare('SELECT content, metadata FROM issue_comments').all(), db.prepare('SELECT * FROM analysis_jobs').all()]);
    expect(stored).toContain('***');
    expect(secretsIn(stored), 'the database').toEqual([]);
  });

  it('masks ?authToken= of a libSQL URL in config-check and in the error of `run`', async () => {
    const dir = tempDir('opsagent-secrets-db-');
    const port = await freePort(); // nothing listens: the database cannot be reached
    const configPath = join(dir, 'opsagent.yaml');
    writeFileSync(configPath, `netdata: { url: "" }\ndatabase: { url: "http://127.0.0.1:${port}?authToken=${DB_TOKEN}" }\nserver: { port: 0 }\ndiscord: { enabled: false }\n`);
    const env = { OPSAGENT_HOME: dir, OPSAGENT_DB_URL: '' };

    const check = await runCli(['config-check', configPath], { env });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`database http://127.0.0.1:${port}?authToken=***`);

    const run = await runCli(['run', '--config', configPath], { env, timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^opsagent: cannot (open|migrate) database http://127\\.0\\.0\\.1:${port}\\?authToken=\\*\\*\\*`));
    expect(secretsIn(run.stdout + run.stderr)).toEqual([]);
  });

  it('reports a YAML syntax error by line and column without the line, which holds an inline secret', async () => {
    const dir = tempDir('opsagent-secrets-yaml-');
    const configPath = join(dir, 'opsagent.yaml');
    writeFileSync(configPath, `llm:\n  apiKey: "${LLM_KEY}" extra: [\nserver:\n  apiToken: "${API_TOKEN}\n`);

    const r = await runCli(['config-check', configPath]);

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^opsagent: .*opsagent\.yaml is not valid YAML:\n {2}line 2, column \d+: /);
    expect(secretsIn(r.stdout + r.stderr)).toEqual([]);
  });
});
