import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/load.js';
import type { AlertEvent } from '../src/model/alert.js';
import { openStore } from '../src/main.js';

export interface StoreIngestResult {
  driver: 'sqlite' | 'libsql';
  mode: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

function makeEvents(total: number, fingerprints: number): AlertEvent[] {
  const now = Date.now();
  return Array.from({ length: total }, (_, i) => ({
    server_id: `srv-${i % 4}`, name: `alert_${i % fingerprints}`, context: 'bench.ctx', chart: `bench.chart_${i % fingerprints}`,
    status: 'WARNING', value: i % 100, units: '%', source: 'opsagent', event_key: `bench-${i}`, occurred_at: now + i,
  }));
}

/** Store-level ingest: the tracker's full path (idempotency key, lookup, count, bounded comments) on a real file. */
export async function runStoreIngestBench(options: { total?: number; fingerprints?: number; driver?: 'sqlite' | 'libsql' } = {}): Promise<StoreIngestResult[]> {
  const total = options.total ?? 50_000;
  const events = makeEvents(total, options.fingerprints ?? 200);
  const driver = options.driver ?? 'sqlite';
  const results: StoreIngestResult[] = [];
  for (const [mode, batch, concurrent] of [['one event per call', 1, false], ['batches of 100', 100, false], ['one per call, 64 concurrent callers (group commit)', 1, true]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'opsagent-bench-'));
    const store = await openStore(defaultConfig(), { dbUrl: `file:${join(dir, 'bench.db')}`, driver });
    const started = performance.now();
    if (concurrent) {
      let next = 0;
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (next < events.length) await store.tracker.ingest([events[next++]!]);
      }));
    } else {
      for (let i = 0; i < events.length; i += batch) await store.tracker.ingest(events.slice(i, i + batch));
    }
    const seconds = (performance.now() - started) / 1000;
    const row = await store.db.get('SELECT SUM(alert_count) AS n FROM issues');
    if (Number(row?.n) !== total) throw new Error(`bench: expected ${total} counted firings, found ${String(row?.n)}`);
    await store.db.close();
    rmSync(dir, { recursive: true, force: true });
    results.push({ driver, mode, events: total, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(total / seconds) });
  }
  return results;
}
