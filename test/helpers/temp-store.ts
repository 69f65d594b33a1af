import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { openStore, type Store } from '../../src/main.js';
import type { BackendName } from './backends.js';
import { startSqld, type SqldServer } from './sqld.js';

export function tempDir(prefix = 'opsagent-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TempStore extends Store {
  dir: string;
  /** The SQLite file (the embedded backend; for sqld, a path nobody uses). */
  path: string;
  /** What another store or process opens to share this database (file:PATH, or sqld's libsql:// URL). */
  url: string;
  /** The config the store was opened with (for sqld, with database.authToken set to the server's token). */
  config: Config;
  /** The real server behind a sqld store. */
  sqld?: SqldServer;
}

/**
 * A migrated store in a fresh temp dir, closed when the test finishes: on a real SQLite file, or (backend 'sqld') on a
 * fresh real sqld with JWT auth, stopped when the test finishes.
 */
export async function openTempStore(options: { config?: Config; driver?: 'sqlite' | 'libsql'; backend?: BackendName } = {}): Promise<TempStore> {
  const dir = tempDir();
  const path = join(dir, 'opsagent.db');
  let config = options.config ?? defaultConfig({ opsagent: { serverId: 'test-server' } });
  let url = `file:${path}`;
  let sqld: SqldServer | undefined;
  if (options.backend === 'sqld') {
    sqld = await startSqld();
    onTestFinished(() => sqld!.stop());
    url = sqld.url;
    config = { ...config, database: { url, authToken: sqld.token } };
  }
  const store = await openStore(config, { dbUrl: url, ...(options.driver ? { driver: options.driver } : {}) });
  onTestFinished(() => store.db.close());
  return { ...store, dir, path, url, config, ...(sqld ? { sqld } : {}) };
}
