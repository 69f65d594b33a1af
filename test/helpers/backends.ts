import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { requirePeerForAll, skipWithout } from './peers.js';
import { SQLD_MISSING, sqldBinary, startSqld } from './sqld.js';

/** Where a test's store lives: the embedded SQLite file, or a real sqld reached over libsql://127.0.0.1:PORT?tls=0. */
export type BackendName = 'file' | 'sqld';

export interface Backend {
  name: BackendName;
  label: string;
  available: boolean;
  missing: string;
}

export const BACKENDS: readonly Backend[] = [
  { name: 'file', label: 'the embedded SQLite file', available: true, missing: '' },
  { name: 'sqld', label: 'a real sqld (libsql://…?tls=0, JWT)', available: sqldBinary() !== undefined, missing: SQLD_MISSING },
];

/**
 * The backends a `describe.each` runs on: all of them, except sqld where it is missing outside CI (under CI=true its
 * tests run and fail, saying what is missing). Call `requireBackend(backend)` first in the describe body.
 */
export function testedBackends(): Backend[] {
  return BACKENDS.filter((b) => !skipWithout(b.available));
}

export function requireBackend(backend: Backend): void {
  if (backend.name !== 'file') requirePeerForAll(backend.available, backend.missing);
}

/**
 * A fresh empty database on the backend for a daemon or CLI under test: `file:` in a temp dir, or a fresh real sqld
 * (stopped when the test finishes) with its token, to pass as database.url / database.authToken.
 */
export async function freshDatabase(backend: Backend, dir: string): Promise<{ url: string; authToken: string }> {
  if (backend.name === 'file') return { url: `file:${join(dir, 'opsagent.db')}`, authToken: '' };
  const sqld = await startSqld();
  onTestFinished(() => sqld.stop());
  return { url: sqld.url, authToken: sqld.token };
}
