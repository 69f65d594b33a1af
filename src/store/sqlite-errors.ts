/** What SQLite's result codes (better-sqlite3 and libSQL alike) mean for the caller: the one place that reads them. */

/** SQLITE_IOERR_WRITE → SQLITE_IOERR; undefined for errors that are not SQLite's. */
export function sqliteBaseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? /^(SQLITE_[A-Z]+)/.exec(code)?.[1] : undefined;
}

const STORE_FAILURES: Record<string, string> = {
  SQLITE_FULL: 'the database or its disk is full',
  SQLITE_IOERR: 'the database could not write to disk (I/O error)',
  SQLITE_BUSY: 'the database stayed locked by another writer',
  SQLITE_LOCKED: 'the database stayed locked by another writer',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_NOMEM: 'the database ran out of memory',
};

/** Another writer holds the lock: waiting may help. */
export function isBusy(error: unknown): boolean {
  const base = sqliteBaseCode(error);
  return base === 'SQLITE_BUSY' || base === 'SQLITE_LOCKED';
}

/** The database refuses every write now (full, I/O error, locked, read-only, corrupt): a retry would fail the same way. */
export function refusesEveryWrite(error: unknown): boolean {
  const base = sqliteBaseCode(error);
  return base !== undefined && (base in STORE_FAILURES || base === 'SQLITE_CORRUPT');
}

/** An operator-readable sentence for a resource failure of the store, or undefined for any other error. */
export function storeFailure(error: unknown): string | undefined {
  const base = sqliteBaseCode(error);
  const what = base ? STORE_FAILURES[base] : undefined;
  const code = (error as { code?: string }).code;
  return what ? `${what} (${code}): nothing was stored; retry when it is fixed` : undefined;
}
