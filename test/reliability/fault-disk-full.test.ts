import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import type { SqliteDatabase } from '../../src/store/sqlite-database.js';
import { steeringHeaders } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { checkAccounting, dbFacts, requestPlanner, rng, SEED, send, type PlannedRequest } from './support.js';

/**
 * SQLITE_FULL without root: `PRAGMA max_page_count` caps the agent's own database connection at its current size
 * plus a few pages, which SQLite enforces exactly like a full disk (same error, same rollback).
 */
describe('the disk full (SQLITE_FULL)', () => {
  it('answers 503 STORE_FAILED with nothing stored, keeps the database intact, and recovers when space returns', async () => {
    const started = Date.now();
    const dir = tempDir('opsagent-full-');
    const dbPath = join(dir, 'opsagent.db');
    const config = defaultConfig({
      netdata: { url: '' },
      opsagent: { serverId: 'full-agent' },
      server: { host: '127.0.0.1', port: 0 },
      analysis: { enabled: false },
      discord: { enabled: false },
    });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${dbPath}`, home: dir });
    onTestFinished(() => agent.stop());
    expect(agent.store.db.kind).toBe('sqlite');
    const sqlite = agent.store.db as unknown as SqliteDatabase;

    const random = rng(SEED + 3);
    const next = requestPlanner('full', random, { names: 400, clearRate: 0 }); // many names: new issues need new pages
    const planned = new Map<string, boolean>();
    const acked = new Set<string>();
    const refusedRequests: PlannedRequest[] = [];
    const statuses: Record<string, number> = {};
    const messages = new Set<string>();
    const fire = async (req: PlannedRequest, fresh = true) => {
      if (fresh) for (const [source, key, firing] of req.keys) planned.set(`${source}|${key}`, firing);
      const r = await send(agent.url, req);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.ok) for (const [source, key] of req.keys) acked.add(`${source}|${key}`);
      return r;
    };

    for (let i = 0; i < 50; i++) expect((await fire(next())).ok).toBe(true);
    const pages = (sqlite.pragma('page_count') as { page_count: number }[])[0]!.page_count;
    expect(pages).toBeGreaterThan(0);
    sqlite.pragma(`max_page_count = ${pages + 8}`);

    // the disk fills up during a storm: writes fail, each with a clear 503, and nothing half-written remains
    let full = 0;
    for (let i = 0; i < 400 && full < 40; i++) {
      const batch = await Promise.all(Array.from({ length: 4 }, () => next()).map(async (req) => ({ req, r: await fire(req) })));
      for (const { req, r } of batch) {
        if (r.ok) continue;
        expect(r.status, 'a full disk must answer 503 STORE_FAILED, never 500').toBe(503);
        full++;
        refusedRequests.push(req);
      }
    }
    expect(full).toBeGreaterThan(0);
    const probe = await fetch(`${agent.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ name: `full_probe_${i}`, status: 'CRITICAL', info: 'x'.repeat(3_000) }))) });
    expect(probe.status).toBe(503);
    const body = (await probe.json()) as { error: string; message: string };
    expect(body).toEqual({ error: 'STORE_FAILED', message: expect.stringMatching(/full \(SQLITE_FULL\): nothing was stored/) });
    messages.add(body.message);
    // /healthz tells the truth while writes fail: 503, with the same sentence (it stays honest until a write succeeds)
    const whileFull = await fetch(`${agent.url}/healthz`);
    expect(whileFull.status).toBe(503);
    expect(((await whileFull.json()) as { store: { error?: string } }).store.error).toMatch(/full \(SQLITE_FULL\)/);
    const comment = await fetch(`${agent.url}/api/v1/issues/${(await agent.store.issues.list())[0]!.id}/comments`, { method: 'POST', headers: steeringHeaders(agent), body: JSON.stringify({ content: 'y'.repeat(9_000) }) });
    expect([201, 503]).toContain(comment.status);

    // still serving reads, database intact, every acknowledged event stored
    expect((await fetch(`${agent.url}/api/v1/issues?limit=5`)).status).toBe(200);
    expect(sqlite.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const during = checkAccounting(dbFacts(dbPath), acked, planned);
    expect(during.lost).toEqual([]);
    expect(during.miscounted).toEqual([]);

    // space returns: the same requests, retried, are stored; new ones too
    sqlite.pragma('max_page_count = 1073741823');
    for (const req of refusedRequests) expect((await fire(req, false)).ok).toBe(true);
    for (let i = 0; i < 20; i++) expect((await fire(next())).ok).toBe(true);
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200); // writes succeed again: healthy again
    await agent.stop();

    const facts = dbFacts(dbPath);
    const after = checkAccounting(facts, acked, planned);
    expect(facts.integrity).toBe('ok');
    expect(after.lost).toEqual([]);
    expect(after.unknown).toEqual([]);
    expect(after.miscounted).toEqual([]);
    expect(acked.size).toBe(planned.size);
    expect(facts.activeDuplicates).toBe(0);

    recordPart({
      part: 'fault-disk-full',
      title: 'the database disk full (SQLITE_FULL via PRAGMA max_page_count) during a storm, then space returns',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        seed: SEED + 3,
        requestsRefusedWith503: full + 1,
        answered500: statuses['500'] ?? 0,
        message: [...messages][0] ?? '',
        eventsAcknowledged: acked.size,
        acknowledgedEventsLost: after.lost.length,
        refusedRequestsStoredOnRetry: refusedRequests.length,
        integrityCheck: facts.integrity,
      },
    });
  });
});
