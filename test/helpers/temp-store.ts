import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { openStore, type Store } from '../../src/main.js';

export function tempDir(prefix = 'opsagent-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A migrated store on a real SQLite file in a fresh temp dir, closed when the test finishes. */
export async function openTempStore(options: { config?: Config; driver?: 'sqlite' | 'libsql' } = {}): Promise<Store & { dir: string; path: string }> {
  const dir = tempDir();
  const path = join(dir, 'opsagent.db');
  const config = options.config ?? defaultConfig({ opsagent: { serverId: 'test-server' } });
  const store = await openStore(config, { dbUrl: `file:${path}`, ...(options.driver ? { driver: options.driver } : {}) });
  onTestFinished(() => store.db.close());
  return { ...store, dir, path };
}
