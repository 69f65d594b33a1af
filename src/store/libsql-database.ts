import { createClient, type Client, type InArgs, type InStatement, type ResultSet, type Transaction } from '@libsql/client';
import { AppError } from '../errors.js';
import { redactUrl } from '../secrets.js';
import {
  Mutex,
  StaleWriteError,
  WriteOutcomes,
  type Database,
  type Query,
  type Row,
  type RunResult,
  type SqlArgs,
  type SqlExecutor,
  type WriteFailure,
} from './database.js';
import { isLockStolen, remoteProblem } from './libsql-errors.js';
import { isBusy } from './sqlite-errors.js';

function toRows(rs: { columns: string[]; rows: ArrayLike<unknown>[] }): Row[] {
  return Array.from(rs.rows, (r) => {
    const row: Row = {};
    rs.columns.forEach((c, i) => {
      const v = (r as Record<number, unknown>)[i];
      row[c] = typeof v === 'bigint' ? Number(v) : v;
    });
    return row;
  });
}

function runResult(r: ResultSet): RunResult {
  return { changes: r.rowsAffected, lastInsertRowid: Number(r.lastInsertRowid ?? 0) };
}

const statement = (sql: string, args?: SqlArgs): InStatement => ({ sql, args: (args ?? []) as InArgs });

/**
 * Follows a queued write that must change a known number of rows: inserts into write_guards (migration 0010) when it
 * changed another number, which its CHECK refuses, so the batch fails and rolls back. `changes()` is the row count of
 * the statement before it on the same connection.
 */
const guard = (expected: number): InStatement => ({ sql: 'INSERT INTO write_guards (stale) SELECT 1 WHERE changes() <> ?', args: [expected] });

function isGuardFailure(error: unknown): boolean {
  return error instanceof Error && /stale_write/.test(error.message);
}

/**
 * One write transaction on a libSQL server, built for round trips. Queued writes are held and sent with the next
 * statement that needs an answer, or with the commit; a transaction that needed no answer before its commit is one
 * `batch` in write mode (BEGIN IMMEDIATE … COMMIT in one HTTP request, rolled back whole when a step fails).
 * Otherwise an interactive transaction is opened on the first answer needed, and carries the queued writes with it.
 */
class PipelinedTransaction implements SqlExecutor {
  readonly #client: Client;
  #pending: { stmt: InStatement; expectChanges: number | undefined }[] = [];
  #tx: Transaction | undefined;

  constructor(client: Client) {
    this.#client = client;
  }

  #take(): InStatement[] {
    const out: InStatement[] = [];
    for (const p of this.#pending) {
      out.push(p.stmt);
      if (p.expectChanges !== undefined) out.push(guard(p.expectChanges));
    }
    this.#pending = [];
    return out;
  }

  async #send(sql: string, args?: SqlArgs): Promise<ResultSet> {
    const stmts = [...this.#take(), statement(sql, args)];
    this.#tx ??= await this.#client.transaction('write'); // its BEGIN travels with the first batch
    const results = await this.#tx.batch(stmts).catch(translateGuard);
    return results[results.length - 1]!;
  }

  all = async (sql: string, args?: SqlArgs): Promise<Row[]> => toRows(await this.#send(sql, args));
  get = async (sql: string, args?: SqlArgs): Promise<Row | undefined> => toRows(await this.#send(sql, args))[0];
  run = async (sql: string, args?: SqlArgs): Promise<RunResult> => runResult(await this.#send(sql, args));
  queue = (sql: string, args?: SqlArgs, options?: { expectChanges?: number }): void => {
    this.#pending.push({ stmt: statement(sql, args), expectChanges: options?.expectChanges });
  };

  /** Nothing was sent yet: the whole transaction is the one batch commit() sends. */
  get singleBatch(): boolean {
    return this.#tx === undefined;
  }

  #batch: InStatement[] | undefined;

  async commit(): Promise<void> {
    if (!this.#tx) {
      this.#batch ??= this.#take(); // kept: a batch refused whole (SQLITE_BUSY) is sent again as it was
      if (this.#batch.length > 0) await this.#client.batch(this.#batch, 'write').catch(translateGuard);
      return;
    }
    if (this.#pending.length > 0) await this.#tx.batch(this.#take()).catch(translateGuard);
    await this.#tx.commit();
  }

  async rollback(): Promise<void> {
    this.#pending = [];
    if (this.#tx && !this.#tx.closed) await this.#tx.rollback().catch(() => undefined);
  }

  close(): void {
    this.#tx?.close();
  }
}

function translateGuard(err: unknown): never {
  if (isGuardFailure(err)) throw new StaleWriteError(String((err as Error).message));
  throw err;
}

/** How often a transaction whose write lock sqld took back (TRANSACTION_TIMEOUT: rolled back) is run again. */
const LOCK_STOLEN_ATTEMPTS = 3;
const BUSY_BATCH_ATTEMPTS = 3;

/**
 * Turso / libSQL server (libsql:// or https:// + auth token), or a file: URL. Concurrent write transactions on one
 * client fail (SQLITE_BUSY, TRANSACTION_ACTIVE), so this adapter serializes them itself. A failure of the server or of
 * the way it is reached becomes an AppError STORE_FAILED (HTTP 503) with a sentence that says what to fix.
 */
export class LibsqlDatabase implements Database {
  readonly kind = 'libsql' as const;
  readonly remote: boolean;
  readonly location: string;
  readonly #client: Client;
  readonly #writes = new Mutex();
  readonly #outcomes = new WriteOutcomes();
  #roundTrips = 0;
  #closed = false;
  /** Single-batch transactions sent and not yet answered. */
  readonly #sending = new Set<Promise<void>>();

  constructor(url: string, authToken?: string) {
    this.remote = !url.startsWith('file:');
    this.location = redactUrl(url); // no user:pass@, no ?authToken=
    const counting: typeof fetch = (input, init) => {
      this.#roundTrips++;
      return fetch(input, init);
    };
    this.#client = createClient({ url, ...(authToken ? { authToken } : {}), ...(this.remote ? { fetch: counting } : {}) });
  }

  static async open(url: string, authToken?: string): Promise<LibsqlDatabase> {
    const db = new LibsqlDatabase(url, authToken);
    if (url.startsWith('file:')) {
      await db.#client.execute('PRAGMA journal_mode = WAL');
      await db.#client.execute('PRAGMA busy_timeout = 10000');
      await db.#client.execute('PRAGMA synchronous = NORMAL');
    }
    return db;
  }

  /** HTTP requests sent to the server so far (each one network round trip): what the tests and the bench count. */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** Rethrows a failure of the server or of reaching it as a sentence; SQL errors pass unchanged. */
  #explain(err: unknown, writing: boolean): never {
    if (err instanceof AppError || err instanceof StaleWriteError) throw err;
    const problem = remoteProblem(err, this.location);
    if (problem) throw new AppError('STORE_FAILED', writing ? `${problem}; nothing was stored, retry when it is fixed` : problem, { cause: err });
    throw err;
  }

  async all(sql: string, args?: SqlArgs): Promise<Row[]> {
    return toRows(await this.#client.execute(statement(sql, args)).catch((e: unknown) => this.#explain(e, false)));
  }
  async get(sql: string, args?: SqlArgs): Promise<Row | undefined> {
    return (await this.all(sql, args))[0];
  }
  run(sql: string, args?: SqlArgs): Promise<RunResult> {
    return this.#outcomes.track(
      this.#writes.run(async () => runResult(await this.#client.execute(statement(sql, args)).catch((e: unknown) => this.#explain(e, true)))),
    );
  }
  queue(): void {
    throw new Error('queue() runs only inside a transaction');
  }

  async readMany(queries: readonly Query[]): Promise<Row[][]> {
    if (queries.length === 0) return [];
    if (queries.length === 1) return [await this.all(queries[0]!.sql, queries[0]!.args)];
    const results = await this.#client.batch(queries.map((q) => statement(q.sql, q.args)), 'read').catch((e: unknown) => this.#explain(e, false));
    return results.map(toRows);
  }

  get writeFailure(): WriteFailure | undefined {
    return this.#outcomes.failure;
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#outcomes.track(
      new Promise<T>((resolve, reject) => {
        const fail = (err: unknown) => {
          try {
            this.#explain(err, true);
          } catch (explained) {
            reject(explained);
          }
        };
        void this.#writes.run(async () => {
          for (let attempt = 1; ; attempt++) {
            const tx = new PipelinedTransaction(this.#client);
            try {
              const result = await fn(tx);
              if (tx.singleBatch) {
                // One batch holds the whole transaction: the server applies it atomically whenever it arrives, so
                // the next transaction may be planned while it travels (callers guard what they assumed).
                const sent = this.#sendBatch(tx).then(() => resolve(result), fail);
                this.#sending.add(sent);
                void sent.finally(() => this.#sending.delete(sent));
                return;
              }
              await tx.commit();
              resolve(result);
              return;
            } catch (err) {
              await tx.rollback();
              // The lock was taken back and the transaction rolled back by the server: run it again.
              if (isLockStolen(err) && attempt < LOCK_STOLEN_ATTEMPTS) continue;
              fail(err);
              return;
            } finally {
              tx.close();
            }
          }
        });
      }),
    );
  }

  /**
   * Commits a single-batch transaction. A batch that met the write lock held too long by another writer (SQLITE_BUSY
   * after sqld's busy timeout) was rolled back whole: it is sent again, a bounded number of times.
   */
  async #sendBatch(tx: PipelinedTransaction): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await tx.commit();
      } catch (err) {
        if (!isBusy(err) || attempt >= BUSY_BATCH_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  async externalWriteMarker(): Promise<number | undefined> {
    return undefined; // a remote libSQL server may answer each request from a different connection
  }

  async execScript(tx: SqlExecutor, sql: string): Promise<void> {
    // libSQL transactions run one statement per execute: split the script on statement boundaries, send them at once.
    for (const s of splitSqlScript(sql)) tx.queue(s);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.run(async () => undefined);
    await Promise.all(this.#sending);
    this.#client.close();
  }
}

/** Splits a migration script on `;` at line ends, skipping `--` comment lines (our migrations keep to that form). */
export function splitSqlScript(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
