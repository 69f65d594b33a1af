import { createClient } from '@libsql/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { openStore } from '../../src/main.js';
import type { AlertEvent } from '../../src/model/alert.js';
import type { LibsqlDatabase } from '../../src/store/libsql-database.js';
import { openDatabase } from '../../src/store/open-database.js';
import { runCli } from '../helpers/cli.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';
import { SQLD_MISSING, sqldBinary, startCountingProxy, startSqld } from '../helpers/sqld.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

const available = sqldBinary() !== undefined;

let clock = Date.now() - 3_600_000;
const firing = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 85, units: '%',
  source: 'opsagent', occurred_at: (clock += 1000), ...over,
});

const roundTrips = (db: unknown) => (db as LibsqlDatabase).roundTrips;

async function totalFirings(url: string, token: string): Promise<number> {
  const client = createClient({ url, authToken: token });
  try {
    return Number((await client.execute('SELECT COALESCE(SUM(alert_count), 0) AS n FROM issues')).rows[0]!.n);
  } finally {
    client.close();
  }
}

describe.skipIf(skipWithout(available))('the Turso path against a real sqld', () => {
  requirePeerForAll(available, SQLD_MISSING);

  it('commits a group of firings of known issues in one round trip, and a group with new issues in two', async () => {
    const store = await openTempStore({ backend: 'sqld' });
    await store.tracker.ingest([firing({ server_id: 'a' }), firing({ server_id: 'b' })]); // both issues now cached
    let before = roundTrips(store.db);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.tracker.ingest([firing({ server_id: i % 2 ? 'a' : 'b', event_key: `k${i}` })])));
    expect(results.flat().every((r) => r.outcome === 'fired')).toBe(true);
    // 40 callers gathered into group commits; each group is one batch (no statement waits for an answer)
    const used = roundTrips(store.db) - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(4);
    before = roundTrips(store.db);
    await store.tracker.ingest(Array.from({ length: 30 }, (_, i) => firing({ server_id: `new-${i}` })));
    expect(roundTrips(store.db) - before).toBe(2); // one read for the 30 unknown alerts, one batch for everything
    expect(await totalFirings(store.url, store.sqld!.token)).toBe(2 + 40 + 30);
  });

  it('keeps counts exact with two agents (different server ids, and the same one) writing at once', async () => {
    const a = await openTempStore({ backend: 'sqld' });
    const b = await openStore({ ...a.config, opsagent: { ...a.config.opsagent, serverId: 'agent-b' } }, { dbUrl: a.url });
    onTestFinished(() => b.db.close());
    const sends = [];
    for (let i = 0; i < 60; i++) {
      sends.push(a.tracker.ingest([firing({ server_id: 'shared' }), firing({ server_id: 'only-a' })]));
      sends.push(b.tracker.ingest([firing({ server_id: 'shared' }), firing({ server_id: 'only-b' })]));
    }
    await Promise.all(sends);
    const issues = await a.issues.list({ limit: 10 });
    expect(issues.map((i) => [i.server_id, i.alert_count]).sort()).toEqual([['only-a', 60], ['only-b', 60], ['shared', 120]]);
    // one active issue per alert and server: the database's unique index decided between the two agents
    const comments = await a.issues.comments(issues.find((i) => i.server_id === 'shared')!.id);
    const counted = comments.filter((c) => c.comment_type === 'alert_fired').map((c) => Number(c.metadata?.count));
    expect(counted.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1)); // numbered once each, no gaps
  });

  it('answers a clear STORE_FAILED while sqld is gone, loses nothing acknowledged, and recovers when it is back', async () => {
    const store = await openTempStore({ backend: 'sqld' });
    const sqld = store.sqld!;
    let acknowledged = 0;
    for (let i = 0; i < 5; i++) acknowledged += (await store.tracker.ingest([firing()])).length;
    await sqld.kill();
    const refused = await store.tracker.ingest([firing()]).then(() => undefined, (err: unknown) => err);
    expect(refused).toMatchObject({ code: 'STORE_FAILED' });
    expect(String((refused as Error).message)).toMatch(/cannot reach the database at libsql:\/\/127\.0\.0\.1:\d+\?tls=0 .*check database\.url \/ TURSO_DATABASE_URL and that the server is up; nothing was stored/);
    expect(String((refused as Error).message)).not.toContain(sqld.token);
    await sqld.restart();
    for (let i = 0; i < 5; i++) acknowledged += (await store.tracker.ingest([firing()])).length;
    const [issue] = await store.issues.list();
    expect(issue!.alert_count).toBe(acknowledged);
    expect(await totalFirings(store.url, sqld.token)).toBe(10);
  });

  it("runs a transaction again when sqld takes its write lock back after 5 s (TRANSACTION_TIMEOUT)", async () => {
    const store = await openTempStore({ backend: 'sqld' });
    await store.tracker.ingest([firing()]);
    const other = createClient({ url: store.url, authToken: store.sqld!.token });
    onTestFinished(() => other.close());
    let attempts = 0;
    let competing: Promise<unknown> | undefined;
    const ours = store.tracker.ingest([firing()], {
      inTransaction: async (tx) => {
        attempts++;
        await tx.run("INSERT INTO source_cursors (source_id, cursor, updated_at) VALUES ('slow', 'x', 0) ON CONFLICT (source_id) DO UPDATE SET cursor = 'x'");
        if (attempts === 1) {
          // another writer waits for the lock meanwhile; sqld hands it over after 5 s and our commit fails
          competing = other.execute("INSERT INTO source_cursors (source_id, cursor, updated_at) VALUES ('other', 'y', 0)");
          await new Promise((r) => setTimeout(r, 6_500));
        }
      },
    });
    const [result] = await ours;
    await competing;
    expect(attempts).toBeGreaterThanOrEqual(2); // the first attempt lost the lock, a later one committed
    expect(result).toMatchObject({ outcome: 'fired', alert_count: 2 });
    expect((await store.db.all('SELECT source_id FROM source_cursors ORDER BY source_id')).map((r) => r.source_id)).toEqual(['other', 'slow']);
  }, 30_000);

  it('says how to fix a wrong token, an unreachable URL and libsql:// without TLS on a plain server', async () => {
    const sqld = await startSqld();
    onTestFinished(() => sqld.stop());
    await expect(openDatabase(sqld.url, { authToken: `${sqld.token}x` })).rejects.toThrow(
      /^cannot open database libsql:\/\/127\.0\.0\.1:\d+\?tls=0: Turso answered 401: check TURSO_AUTH_TOKEN \/ database\.authToken$/,
    );
    await expect(openDatabase(sqld.url)).rejects.toThrow(/Turso answered 401: check TURSO_AUTH_TOKEN \/ database\.authToken/);
    await expect(openDatabase(`libsql://127.0.0.1:${sqld.port}`, { authToken: sqld.token })).rejects.toThrow(
      /libsql:\/\/127\.0\.0\.1:\d+ does not speak TLS \(ERR_SSL_WRONG_VERSION_NUMBER\): for a server without TLS add \?tls=0 to the URL/,
    );
    await sqld.kill();
    await expect(openDatabase(sqld.url, { authToken: sqld.token })).rejects.toThrow(/cannot reach the database at libsql:\/\/127\.0\.0\.1:\d+\?tls=0 \(ECONNREFUSED\)/);
  });

  it('starts the daemon with TURSO_DATABASE_URL / TURSO_AUTH_TOKEN and a config file that names neither', async () => {
    const sqld = await startSqld();
    onTestFinished(() => sqld.stop());
    const dir = tempDir();
    const env = { TURSO_DATABASE_URL: sqld.url, TURSO_AUTH_TOKEN: sqld.token, OPSAGENT_HOME: dir };
    const ingest = await runCli(['alerts-ingest', '-'], { env, input: JSON.stringify([firing({ server_id: 'env' })]) });
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    const list = await runCli(['issues-list', '--json'], { env });
    expect(JSON.parse(list.stdout).map((i: { server_id: string }) => i.server_id)).toEqual(['env']);
    const wrong = await runCli(['issues-list'], { env: { ...env, TURSO_AUTH_TOKEN: 'not-a-token' } });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Turso answered 401: check TURSO_AUTH_TOKEN \/ database\.authToken/);
    expect(wrong.stderr).not.toContain('not-a-token');
  });

  it('lists and shows issues from the CLI in at most 3 round trips each, with every server and its counts', async () => {
    const store = await openTempStore({ backend: 'sqld' });
    const [one] = await store.tracker.ingest([firing({ server_id: 'web-1' }), firing({ server_id: 'web-2' }), firing({ server_id: 'web-2', name: 'disk' })]);
    const proxy = await startCountingProxy(store.sqld!.port);
    onTestFinished(() => proxy.close());
    const env = { TURSO_AUTH_TOKEN: store.sqld!.token, OPSAGENT_HOME: tempDir() };
    let before = proxy.requests;
    const list = await runCli(['issues-list', '--db', proxy.url], { env });
    expect(list.code).toBe(0);
    expect(proxy.requests - before).toBeLessThanOrEqual(3);
    expect(list.stdout).toMatch(/servers \(--server <id> to filter\): web-1 1 active \/ 0 resolved · web-2 2 active \/ 0 resolved/);
    before = proxy.requests;
    const filtered = await runCli(['issues-list', '--db', proxy.url, '--server', 'web-2', '--json'], { env });
    expect(JSON.parse(filtered.stdout).map((i: { server_id: string }) => i.server_id)).toEqual(['web-2', 'web-2']);
    before = proxy.requests;
    const show = await runCli(['issues-show', one!.issue_id!.slice(0, -3), '--db', proxy.url], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Alert first detected: cpu_usage = 85%');
    expect(proxy.requests - before).toBeLessThanOrEqual(3);
  });
});

describe('the TURSO_AUTH_TOKEN environment variable', () => {
  it('reaches the database whatever the config file says (no sqld needed: the token goes with the URL)', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/c.yaml`, 'database:\n  url: libsql://fleet.example.turso.io\n');
    const loaded = loadConfig(`${dir}/c.yaml`, { TURSO_AUTH_TOKEN: 'from-env' });
    expect(loaded.config.database).toEqual({ url: 'libsql://fleet.example.turso.io', authToken: 'from-env' });
    expect(defaultConfig().database.authToken).toBe('');
  });
});
