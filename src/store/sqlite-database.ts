import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { isBusy } from './sqlite-errors.js';
import { redactUrl } from '../secrets.js';
import { Mutex, StaleWriteError, WriteOutcomes, type Database, type Query, type Row, type RunResult, type SqlArgs, type SqlExecutor, type WriteFailure } from './database.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/**
 * Switching to WAL needs a moment of exclusive access and does not wait on the busy handler: when another process
 * opens the same new file at the same time, retry briefly instead of failing.
 */
function retryWhileBusy(fn: () => unknown, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** The embedded default: a local SQLite file through better-sqlite3 (WAL, synchronous=NORMAL, busy timeout). */
export class SqliteDatabase implements Database {
  readonly kind = 'sqlite' as const;
  readonly remote = false;
  readonly location: string;
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, Statement>();
  readonly #writes = new Mutex();
  readonly #outcomes = new WriteOutcomes();
  #closed = false;

  constructor(path: string, options: { busyTimeoutMs?: number } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.location = redactUrl(path);
    this.#db = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? 10_000 });
    retryWhileBusy(() => this.#db.pragma('journal_mode = WAL'));
    this.#db.pragma('synchronous = NORMAL');
    // SQLite's own default (2 MiB) instead of better-sqlite3's 16 MiB: ingest touches a few hot pages, reads of a big
    // database are served by the OS page cache, and the daemon's memory stays small.
    this.#db.pragma('cache_size = -2000');
    this.#db.pragma('foreign_keys = ON');
    this.#db.defaultSafeIntegers(false);
  }

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #bind(args: SqlArgs | undefined): unknown[] {
    if (args === undefined) return [];
    return Array.isArray(args) ? (args as unknown[]) : [args];
  }

  readonly #executor: SqlExecutor = {
    all: async (sql, args) => this.#prepare(sql).all(...this.#bind(args)) as Row[],
    get: async (sql, args) => this.#prepare(sql).get(...this.#bind(args)) as Row | undefined,
    run: async (sql, args) => {
      const r = this.#prepare(sql).run(...this.#bind(args));
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
    },
    // A local statement costs microseconds: a queued write runs at once.
    queue: (sql, args, options) => {
      if (!this.#db.inTransaction) throw new Error('queue() runs only inside a transaction');
      const r = this.#prepare(sql).run(...this.#bind(args));
      if (options?.expectChanges !== undefined && r.changes !== options.expectChanges) throw new StaleWriteError(sql);
    },
  };

  all(sql: string, args?: SqlArgs): Promise<Row[]> {
    return this.#executor.all(sql, args);
  }
  get(sql: string, args?: SqlArgs): Promise<Row | undefined> {
    return this.#executor.get(sql, args);
  }
  run(sql: string, args?: SqlArgs): Promise<RunResult> {
    return this.#outcomes.track(this.#writes.run(() => this.#executor.run(sql, args)));
  }
  async readMany(queries: readonly Query[]): Promise<Row[][]> {
    return queries.map((q) => this.#prepare(q.sql).all(...this.#bind(q.args)) as Row[]);
  }
  queue(): void {
    throw new Error('queue() runs only inside a transaction');
  }

  get writeFailure(): WriteFailure | undefined {
    return this.#outcomes.failure;
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#outcomes.track(this.#writes.run(async () => {
      this.#prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(this.#executor);
        this.#prepare('COMMIT').run();
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#prepare('ROLLBACK').run();
        throw err;
      }
    }));
  }

  async externalWriteMarker(tx: SqlExecutor): Promise<number | undefined> {
    const row = await tx.get('PRAGMA data_version');
    return row ? Number(row.data_version) : undefined;
  }

  async execScript(_tx: SqlExecutor, sql: string): Promise<void> {
    this.#db.exec(sql);
  }

  /** For maintenance commands that need SQLite itself (integrity checks, the crash test). */
  pragma(source: string): unknown {
    return this.#db.pragma(source);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.run(async () => undefined);
    this.#db.close();
  }
}
