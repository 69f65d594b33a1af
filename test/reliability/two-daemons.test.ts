import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { checkAccounting, dbFacts, requestPlanner, rng, SEED, send, startDaemon, workers, writeDaemonConfig } from './support.js';

const REQUESTS = 1_500;
const CONCURRENCY = 8;

describe('two daemons on one database file', () => {
  it('interleaved storms on both, with some requests delivered to both, give one issue per alert and exact counts', async () => {
    const started = Date.now();
    const random = rng(SEED + 1);
    const dir = tempDir('opsagent-two-');
    const dbPath = join(dir, 'opsagent.db');
    const [a, b] = await Promise.all([
      startDaemon(writeDaemonConfig(dir, dbPath, await freePort()), dir),
      startDaemon(writeDaemonConfig(dir, dbPath, await freePort()), dir),
    ]);
    expect(a.url).not.toBe(b.url);
    const next = requestPlanner('two', random, { names: 6 }); // few alerts: both daemons fight over the same issues

    const planned = new Map<string, boolean>();
    const acked = new Set<string>();
    let sent = 0;
    let toBoth = 0;
    let eventsToBoth = 0;
    let duplicatesAcrossDaemons = 0;
    const refused: string[] = [];
    let remaining = REQUESTS;

    await workers(CONCURRENCY, async (w) => {
      while (remaining-- > 0) {
        const req = next();
        for (const [source, key, firing] of req.keys) planned.set(`${source}|${key}`, firing);
        const both = random() < 0.1;
        const targets = both ? [a.url, b.url] : [(w + sent) % 2 === 0 ? a.url : b.url];
        if (both) {
          toBoth++;
          eventsToBoth += req.keys.length;
        }
        sent += targets.length;
        const results = await Promise.all(targets.map((url) => send(url, req)));
        for (const r of results) {
          if (!r.ok) refused.push(String(r.status));
          duplicatesAcrossDaemons += r.duplicates;
        }
        if (results.some((r) => r.ok)) for (const [source, key] of req.keys) acked.add(`${source}|${key}`);
      }
    });
    expect(refused).toEqual([]);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe('0');
    expect(await b.exited).toBe('0');

    const facts = dbFacts(dbPath);
    const accounting = checkAccounting(facts, acked, planned);
    expect(facts.integrity).toBe('ok');
    expect(accounting.lost).toEqual([]);
    expect(accounting.unknown).toEqual([]);
    expect(accounting.miscounted).toEqual([]);
    expect(facts.activeDuplicates).toBe(0);
    expect(facts.issueDuplicates).toBe(0);
    const firings = [...planned.values()].filter(Boolean).length;
    expect(facts.alertCountSum).toBe(firings);
    // each event delivered to both daemons was applied by exactly one of them; the other answered "duplicate"
    expect(duplicatesAcrossDaemons).toBe(eventsToBoth);

    recordPart({
      part: 'two-daemons',
      title: 'two daemons writing one database file',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        seed: SEED + 1,
        daemons: 2,
        concurrentClients: CONCURRENCY,
        requests: sent,
        requestsDeliveredToBoth: toBoth,
        eventsAcknowledged: acked.size,
        duplicateDeliveriesAppliedOnce: duplicatesAcrossDaemons,
        firingEvents: firings,
        issues: facts.issues,
        alertCountSum: facts.alertCountSum,
        acknowledgedEventsLost: accounting.lost.length,
        duplicateIssues: facts.issueDuplicates,
        integrityCheck: facts.integrity,
      },
    });
  });
});
