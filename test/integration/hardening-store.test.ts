import { chmodSync, closeSync, openSync, statSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import type { SqliteDatabase } from '../../src/store/sqlite-database.js';
import { runCli } from '../helpers/cli.js';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/temp-store.js';

const PAGE = 4096;

function agentConfig() {
  return defaultConfig({
    netdata: { url: '' },
    server: { host: '127.0.0.1', port: 0 },
    analysis: { enabled: false },
    discord: { enabled: false },
  });
}

const TOKEN = 'hardening-store-test-token-0123456789abcdef';

async function postAlerts(url: string, names: string[], token?: string): Promise<{ status: number; body: { error?: string; message?: string } }> {
  const res = await fetch(`${url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(names.map((name) => ({ name, status: 'CRITICAL', info: 'i'.repeat(2_000) }))),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
}

async function health(url: string): Promise<{ status: number; body: { ok: boolean; store: { ok: boolean; error?: string } } }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; store: { ok: boolean; error?: string } } };
}

/** A real database of the daemon's, with enough issues to span many pages; closed (checkpointed) on return. */
async function filledDatabase(dir: string): Promise<string> {
  const dbPath = join(dir, 'opsagent.db');
  const agent = await startAgent(agentConfig(), silentLogger(), { dbUrl: `file:${dbPath}`, home: dir });
  for (let i = 0; i < 4; i++) expect((await postAlerts(agent.url, Array.from({ length: 50 }, (_, j) => `filler_${i}_${j}`))).status).toBe(202);
  await agent.stop();
  return dbPath;
}

/** Overwrites the pages between a third and two thirds of the file with a pattern that is no valid b-tree page; the header page stays intact. */
function damageMiddlePages(dbPath: string): void {
  const pages = Math.floor(statSync(dbPath).size / PAGE);
  expect(pages).toBeGreaterThan(20);
  const fd = openSync(dbPath, 'r+');
  try {
    for (let p = Math.floor(pages / 3); p < Math.floor((2 * pages) / 3); p++) writeSync(fd, Buffer.alloc(PAGE, 0xa5), 0, PAGE, p * PAGE);
  } finally {
    closeSync(fd);
  }
}

describe('the store reports what it can do, not that it answers SELECT 1', () => {
  it('refuses to start on a damaged database file with one sentence saying what to do', async () => {
    const dir = tempDir('opsagent-damaged-');
    const dbPath = await filledDatabase(dir);
    damageMiddlePages(dbPath);
    const configPath = join(dir, 'opsagent.yaml');
    writeFileSync(configPath, `netdata: { url: "" }\ndatabase: { url: "file:${dbPath}" }\nserver: { port: 0 }\ndiscord: { enabled: false }\n`);

    const r = await runCli(['run', '--config', configPath], { env: { OPSAGENT_HOME: dir, OPSAGENT_DB_URL: '' }, timeoutMs: 20_000 });

    expect({ code: r.code, output: r.stdout + r.stderr }).toMatchObject({ code: 1 });
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^opsagent: the database file ${dbPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(PRAGMA quick_check: .+\\): stop the agent, then restore it from a backup, or rebuild it with .sqlite3 .* \\.recover`));
    expect(r.stdout).not.toContain('opsagent started');
  });

  it('answers 503 STORE_FAILED and /healthz 503 when pages are damaged while it runs', async () => {
    const dir = tempDir('opsagent-damaged-live-');
    const dbPath = await filledDatabase(dir);
    const agent: RunningAgent = await startAgent(agentConfig(), silentLogger(), { dbUrl: `file:${dbPath}`, home: dir });
    onTestFinished(() => agent.stop().catch(() => undefined));
    expect((await health(agent.url)).status).toBe(200);

    // The damage lands on disk under the running agent: everything is in the main file, and its page cache is dropped.
    const sqlite = agent.store.db as unknown as SqliteDatabase;
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    damageMiddlePages(dbPath);
    sqlite.pragma('shrink_memory');

    const r = await postAlerts(agent.url, Array.from({ length: 50 }, (_, j) => `after_damage_${j}`));
    expect(r.status).toBe(503);
    expect(r.body).toEqual({
      error: 'STORE_FAILED',
      message: expect.stringMatching(/^the database file is damaged \(SQLITE_CORRUPT\): nothing was stored; stop the agent, then restore the file from a backup/),
    });
    const h = await health(agent.url);
    expect(h.status).toBe(503);
    expect(h.body.ok).toBe(false);
    expect(h.body.store.error).toMatch(/the database file is damaged \(SQLITE_CORRUPT\)/);
  });

  it('starts on a database file it may not write, with /healthz 503 "read-only" and ingest 503 STORE_FAILED', async () => {
    // Tests run as root, which writes through chmod 0444: the daemon runs as nobody instead, the way a service user
    // meets a file that root created (a `sudo sqlite3` session). As another user, chmod alone is enough.
    const asRoot = process.getuid?.() === 0;
    const dir = tempDir('opsagent-readonly-');
    const dbPath = await filledDatabase(dir);
    chmodSync(dir, 0o777); // the daemon's user may create the WAL index and its token file beside the database
    chmodSync(dbPath, 0o444);
    const configPath = join(dir, 'opsagent.yaml');
    // server.apiToken: the credential is the config's, not a local token file that root created in filledDatabase()
    writeFileSync(configPath, `netdata: { url: "" }\ndatabase: { url: "file:${dbPath}" }\nserver: { port: 0, apiToken: "${TOKEN}" }\ndiscord: { enabled: false }\nanalysis: { enabled: false }\n`);
    chmodSync(configPath, 0o644);

    const daemon = spawnDaemon(configPath, { env: { OPSAGENT_HOME: dir }, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    const url = await daemon.started();
    expect(daemon.output()).toMatch(/the database cannot be written/);

    const h = await health(url);
    expect(h.status).toBe(503);
    expect(h.body.store).toMatchObject({ ok: false, error: expect.stringMatching(/^the database is read-only \(SQLITE_READONLY\); make the database file and its directory writable/) });
    const r = await postAlerts(url, ['while_read_only'], TOKEN);
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ error: 'STORE_FAILED', message: expect.stringMatching(/^the database is read-only \(SQLITE_READONLY\): nothing was stored/) });
    expect((await fetch(`${url}/api/v1/issues?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200); // reads keep working

    expect((await daemon.terminate()).code).toBe(0);
  });
});
