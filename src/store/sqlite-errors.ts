/** What SQLite's result codes (better-sqlite3 and libSQL alike) mean for the caller: the one place that reads them. */

/** SQLITE_IOERR_WRITE → SQLITE_IOERR; undefined for errors that are not SQLite's. */
export function sqliteBaseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? /^(SQLITE_[A-Z]+)/.exec(code)?.[1] : undefined;
}

/** What went wrong, and what the operator does about it. */
const STORE_FAILURES: Record<string, { what: string; todo: string }> = {
  SQLITE_FULL: { what: 'the database or its disk is full', todo: 'retry when it is fixed (free disk space)' },
  SQLITE_IOERR: { what: 'the database could not write to disk (I/O error)', todo: 'retry when it is fixed (check the disk: dmesg)' },
  SQLITE_BUSY: { what: 'the database stayed locked by another writer', todo: 'retry when it is fixed' },
  SQLITE_LOCKED: { what: 'the database stayed locked by another writer', todo: 'retry when it is fixed' },
  SQLITE_READONLY: {
    what: 'the database is read-only',
    todo: "make the database file and its directory writable by the agent's user (and the filesystem read-write), then restart the agent",
  },
  SQLITE_CANTOPEN: { what: 'the database file cannot be opened', todo: 'retry when it is fixed (check the path and its permissions)' },
  SQLITE_NOMEM: { what: 'the database ran out of memory', todo: 'retry when it is fixed' },
  SQLITE_CORRUPT: {
    what: 'the database file is damaged',
    todo: 'stop the agent, then restore the file from a backup, or rebuild it with `sqlite3 <file> .recover | sqlite3 <new file>`',
  },
  SQLITE_NOTADB: {
    what: 'the database file is damaged (not an SQLite database)',
    todo: 'stop the agent, then restore the file from a backup, or point database.url at the right file',
  },
};


/** Another writer holds the lock: waiting may help. */
export function isBusy(error: unknown): boolean {
  const base = sqliteBaseCode(error);
  return base === 'SQLITE_BUSY' || base === 'SQLITE_LOCKED';
}

/** The database refuses every write now (full, I/O error, locked, read-only, corrupt): a retry would fail the same way. */
export function refusesEveryWrite(error: unknown): boolean {
  const base = sqliteBaseCode(error);
  return base !== undefined && base in STORE_FAILURES;
}

/** The store cannot write at all, whatever the lock (read-only, damaged, full, I/O error): what /healthz reports. */
export function cannotWrite(error: unknown): boolean {
  return refusesEveryWrite(error) && !isBusy(error);
}

/** The file is damaged: that never heals while the agent runs, even when a later write touches intact pages. */
export function isDamaged(error: unknown): boolean {
  const base = sqliteBaseCode(error);
  return base === 'SQLITE_CORRUPT' || base === 'SQLITE_NOTADB';
}

/** An operator-readable sentence for a resource failure of the store, or undefined for any other error. */
export function storeFailure(error: unknown): string | undefined {
  const base = sqliteBaseCode(error);
  const known = base ? STORE_FAILURES[base] : undefined;
  const code = (error as { code?: string }).code;
  return known ? `${known.what} (${code}): nothing was stored; ${known.todo}` : undefined;
}

/** The same sentence for a failure outside a write (opening, checking, probing): what it is and what to do. */
export function storeProblem(error: unknown): string | undefined {
  const base = sqliteBaseCode(error);
  const known = base ? STORE_FAILURES[base] : undefined;
  const code = (error as { code?: string }).code;
  return known ? `${known.what} (${code}); ${known.todo.replace(/^retry when it is fixed \((.*)\)$/, '$1')}` : undefined;
}
