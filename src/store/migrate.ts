import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import type { Database } from './database.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = join(PACKAGE_ROOT, 'migrations')): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Applies every migration not yet recorded, each in its own write transaction, re-checking inside it so two
 * processes starting at once apply each migration once. Never touches tables it did not create (e.g. legacy `alerts`).
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<number[]> {
  // An up-to-date database costs one read (one round trip to a remote one): every CLI command opens the store.
  const recorded = await db.all('SELECT version FROM schema_migrations').catch(async (err: unknown) => {
    if (!/no such table/i.test(err instanceof Error ? err.message : String(err))) throw err;
    await db.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    return [];
  });
  const done = new Set(recorded.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await db.transaction(async (tx) => {
      if (await tx.get('SELECT 1 AS done FROM schema_migrations WHERE version = ?', [m.version])) return;
      await db.execScript(tx, m.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    });
  }
  return applied;
}
