import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { checkAccounting, dbFacts, requestPlanner, rng, SEED, send, sigkill, sleep, startDaemon, workers, writeDaemonConfig, type DaemonProcess, type PlannedRequest } from './support.js';

const KILLS = 10;
const CONCURRENCY = 8;

describe('kill -9 during a storm', () => {
  it(`loses no acknowledged event, counts each once and keeps one issue per alert across ${KILLS} SIGKILLs`, async () => {
    const started = Date.now();
    const random = rng(SEED);
    const dir = tempDir('opsagent-kill9-');
    const dbPath = join(dir, 'opsagent.db');
    const config = writeDaemonConfig(dir, dbPath, await freePort());
    const next = requestPlanner('k9', random);

    const planned = new Map<string, boolean>(); // "source|key" -> firing
    const acked = new Set<string>();
    let requestsSent = 0;
    let requestsAcked = 0;
    let failedDuringKill = 0;
    let retried = 0;
    let committedButUnacknowledged = 0;
    /** Requests not acknowledged yet: the client keeps them and sends them again, as an at-least-once sender does. */
    const unacked: PlannedRequest[] = [];
    const unexpected: number[] = [];

    let daemon: DaemonProcess = await startDaemon(config, dir);
    let running = true;
    let stormOver = false;

    const storm = workers(CONCURRENCY, async () => {
      while (!stormOver) {
        if (!running) {
          await sleep(20);
          continue;
        }
        const retry = unacked.shift();
        const req = retry ?? next();
        if (retry) retried++;
        else for (const [source, key, firing] of req.keys) planned.set(`${source}|${key}`, firing);
        requestsSent++;
        const result = await send(daemon.url, req, 5_000);
        if (result.ok) {
          requestsAcked++;
          if (retry) committedButUnacknowledged += result.duplicates;
          for (const [source, key] of req.keys) acked.add(`${source}|${key}`);
        } else {
          // Only connection failures are expected here (the daemon was killed); a 4xx/5xx would be a bug.
          if (result.status !== 'network') unexpected.push(result.status);
          failedDuringKill++;
          unacked.push(req);
        }
      }
    });

    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(300 + Math.floor(random() * 900));
      running = false;
      await sigkill(daemon);
      daemon = await startDaemon(config, dir); // same database, same port
      running = true;
    }
    await sleep(500);
    // Drain: every request the client still holds is sent until acknowledged.
    stormOver = true;
    await storm;
    for (let round = 0; unacked.length > 0 && round < 20; round++) {
      const req = unacked.shift()!;
      const result = await send(daemon.url, req);
      retried++;
      if (result.ok) {
        committedButUnacknowledged += result.duplicates;
        for (const [source, key] of req.keys) acked.add(`${source}|${key}`);
      } else unacked.push(req);
    }
    expect(unacked).toEqual([]);
    expect(unexpected).toEqual([]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe('0');

    const facts = dbFacts(dbPath);
    const accounting = checkAccounting(facts, acked, planned);
    expect(facts.integrity).toBe('ok');
    expect(accounting.lost).toEqual([]);
    expect(accounting.unknown).toEqual([]);
    expect(accounting.miscounted).toEqual([]);
    expect(facts.activeDuplicates).toBe(0);
    expect(facts.issueDuplicates).toBe(0); // every firing within the reopen window reopens the one issue
    expect(acked.size).toBe(planned.size); // everything the client sent was eventually acknowledged
    const firings = [...planned.values()].filter(Boolean).length;
    expect(facts.alertCountSum).toBe(firings);

    recordPart({
      part: 'kill-nine',
      title: `kill -9 of the daemon ${KILLS} times during a storm`,
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        seed: SEED,
        kills: KILLS,
        concurrentClients: CONCURRENCY,
        requestsSent,
        requestsAcknowledged: requestsAcked,
        requestsFailedByKill: failedDuringKill,
        requestsRetried: retried,
        eventsCommittedButUnacknowledgedBeforeKill: committedButUnacknowledged,
        eventsAcknowledged: acked.size,
        firingEvents: firings,
        issues: facts.issues,
        alertCountSum: facts.alertCountSum,
        acknowledgedEventsLost: accounting.lost.length,
        eventsCountedTwice: accounting.miscounted.length,
        duplicateActiveIssues: facts.activeDuplicates,
        integrityCheck: facts.integrity,
      },
    });
  });
});
