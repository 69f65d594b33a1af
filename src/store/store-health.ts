import { AppError, errorMessage } from '../errors.js';
import type { Database } from './database.js';
import { isBusy, isDamaged, storeProblem } from './sqlite-errors.js';

export interface StoreHealth {
  ok: boolean;
  /** The database, without credentials (file path, or the libsql:// URL without its token). */
  location: string;
  /** 'sqlite' (the embedded file) or 'libsql' (Turso / sqld, or a file through the libSQL client). */
  kind?: 'sqlite' | 'libsql';
  /** How long the last probe took: one write transaction, rolled back (two round trips to a remote database). */
  latency_ms?: number;
  /** What is wrong and what to do, when not ok. */
  error?: string;
}

/** Thrown inside the probe's transaction so that it rolls back: the probe never leaves a trace. */
class ProbeRollback extends Error {}

/** How long a failed real write keeps /healthz at 503 when no write succeeded since (a full disk that was freed). */
const RECENT_FAILURE_MS = 30_000;
/** A probe normally takes well under a millisecond; one that waits on a lock longer answers with the last result. */
const WAIT_FOR_PROBE_MS = 1_000;

/**
 * Whether the store can write, for /healthz. A `SELECT 1` answers on a read-only or damaged file, so the probe does
 * what an ingest does: a write transaction (BEGIN IMMEDIATE) with one INSERT into schema_migrations, rolled back.
 * That catches a read-only file or filesystem and an unreachable or refusing libSQL server. A rolled-back write never
 * reaches the disk, so a full disk, an I/O error or damaged pages show through the real writes instead
 * (Database.writeFailure): the last one that failed is reported until a write succeeds (for a damaged file: always).
 *
 * Cached for ttlMs so /healthz stays cheap. A probe that waits on another process's write lock (up to the busy
 * timeout) is not awaited past WAIT_FOR_PROBE_MS: /healthz answers the last result meanwhile.
 */
export class StoreProbe {
  readonly #db: Database;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #last: { health: StoreHealth; atMs: number } | undefined;
  #running: Promise<StoreHealth> | undefined;

  constructor(db: Database, options: { ttlMs?: number; now?: () => number } = {}) {
    this.#db = db;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  async check(): Promise<StoreHealth> {
    const last = this.#last;
    if (last && this.#now() - last.atMs < this.#ttlMs) return this.#withWriteFailure(last.health);
    const running = (this.#running ??= this.#probe().finally(() => (this.#running = undefined)));
    if (!last) return this.#withWriteFailure(await running);
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<StoreHealth>((resolve) => (timer = setTimeout(() => resolve(last.health), WAIT_FOR_PROBE_MS)));
    try {
      return this.#withWriteFailure(await Promise.race([running, stale]));
    } finally {
      clearTimeout(timer);
    }
  }

  #withWriteFailure(health: StoreHealth): StoreHealth {
    if (!health.ok) return health;
    const failure = this.#db.writeFailure;
    if (!failure || (!isDamaged(failure.error) && this.#now() - failure.atMs > RECENT_FAILURE_MS)) return health;
    return { ok: false, location: this.#db.location, error: `a write failed: ${describe(failure.error)}` };
  }

  async #probe(): Promise<StoreHealth> {
    const location = this.#db.location;
    const started = performance.now();
    let health: StoreHealth = { ok: true, location, kind: this.#db.kind };
    try {
      await this.#db.transaction(async (tx) => {
        await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (-1, 'health probe', 0)`);
        throw new ProbeRollback();
      });
    } catch (err) {
      // Another process holding the write lock past the busy timeout is not a broken store: keep the last answer.
      if (isBusy(err)) health = this.#last?.health ?? health;
      else if (!(err instanceof ProbeRollback)) health = { ok: false, location, error: describe(err) };
    }
    health = { ...health, latency_ms: Math.round((performance.now() - started) * 10) / 10 };
    this.#last = { health, atMs: this.#now() };
    return health;
  }
}

function describe(err: unknown): string {
  return storeProblem(err) ?? errorMessage(err);
}

/**
 * Refuses a damaged local database at start with one sentence (PRAGMA quick_check: every page and index, without the
 * slower cross-checks of integrity_check; it reads the whole file once, about a second per GiB). The daemon does
 * not start on a damaged file: every write could fail or spread the damage, and the fix (a backup, `.recover`)
 * needs the agent stopped anyway. A remote libSQL server checks its own files.
 */
export async function checkIntegrity(db: Database, file: string = db.location): Promise<void> {
  if (db.kind === 'libsql' && !db.location.startsWith('file:')) return;
  let problem: string | undefined;
  try {
    const rows = await db.all('PRAGMA quick_check(1)');
    const first = rows[0] ? String(Object.values(rows[0])[0]) : 'ok';
    if (first !== 'ok') problem = first.split('\n')[0]!.slice(0, 200);
  } catch (err) {
    if (!isDamaged(err)) throw new AppError('STORE_FAILED', `cannot check the database ${file}: ${describe(err)}`, { cause: err });
    problem = errorMessage(err);
  }
  if (problem !== undefined) {
    throw new AppError(
      'STORE_FAILED',
      `the database file ${file} is damaged (PRAGMA quick_check: ${problem}): stop the agent, then restore it from a backup, ` +
        `or rebuild it with \`sqlite3 ${file} .recover | sqlite3 recovered.db\` and point database.url at recovered.db`,
    );
  }
}
