import { cannotWrite, isDamaged } from './sqlite-errors.js';

/**
 * The one small database port every repository talks to. Two adapters implement it: better-sqlite3 for the
 * embedded local file (fast, the default) and @libsql/client for Turso / libSQL servers. The same SQL runs on both.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlArgs = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
export type Row = Record<string, unknown>;

export interface Query {
  sql: string;
  args?: SqlArgs;
}

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

export interface SqlExecutor {
  all(sql: string, args?: SqlArgs): Promise<Row[]>;
  get(sql: string, args?: SqlArgs): Promise<Row | undefined>;
  run(sql: string, args?: SqlArgs): Promise<RunResult>;
  /**
   * A write of a transaction whose result the caller does not need. It runs in order with the transaction's other
   * statements, but a remote database receives it with the next statement that needs an answer, or with the commit:
   * a transaction made of queued writes is one round trip. With `expectChanges`, a write that changes another number
   * of rows fails the transaction with a StaleWriteError (what the caller assumed about the rows no longer holds;
   * nothing is committed). Only inside a transaction.
   */
  queue(sql: string, args?: SqlArgs, options?: { expectChanges?: number }): void;
}

/** A queued write changed another number of rows than expected: the transaction was rolled back, nothing is committed. */
export class StaleWriteError extends Error {
  readonly code = 'STALE_WRITE';
  constructor(sql: string) {
    super(`a conditional write changed no row (${sql.replace(/\s+/g, ' ').slice(0, 80)}…): the row changed meanwhile; nothing was committed`);
  }
}

export function isStaleWrite(error: unknown): boolean {
  return error instanceof StaleWriteError;
}

export interface Database extends SqlExecutor {
  readonly kind: 'sqlite' | 'libsql';
  /**
   * Every exchange with the database is a network round trip (a libSQL server): callers batch their reads and queue
   * their writes. False for a local file, where a statement costs microseconds.
   */
  readonly remote: boolean;
  /** A human-readable location for messages (file path or URL without credentials). */
  readonly location: string;
  /** Several reads in one exchange (one round trip to a remote database), each statement's rows in order. */
  readMany(queries: readonly Query[]): Promise<Row[][]>;
  /**
   * Runs fn in one write transaction (BEGIN IMMEDIATE). Write transactions of this process are serialized;
   * other processes wait on the busy timeout. fn must do all its SQL through tx.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * A number that changes whenever another connection (another process) has committed since this connection last
   * asked; undefined when the adapter cannot tell (a remote server may answer from different connections).
   */
  externalWriteMarker(tx: SqlExecutor): Promise<number | undefined>;
  /** Runs a multi-statement script inside the current connection (used by migrations inside a transaction). */
  execScript(tx: SqlExecutor, sql: string): Promise<void>;
  /**
   * The last write of this connection that failed because the store cannot write (full, I/O error, read-only,
   * damaged; not a lock held by another writer), or undefined once a later write succeeded. A damaged file stays
   * reported: a write that happens to touch intact pages does not repair it.
   */
  readonly writeFailure: WriteFailure | undefined;
  close(): Promise<void>;
}

export interface WriteFailure {
  error: unknown;
  atMs: number;
}

/** Records writeFailure for an adapter: every write it runs goes through track(). */
export class WriteOutcomes {
  #failure: WriteFailure | undefined;

  get failure(): WriteFailure | undefined {
    return this.#failure;
  }

  async track<T>(write: Promise<T>): Promise<T> {
    try {
      const result = await write;
      if (this.#failure && !isDamaged(this.#failure.error)) this.#failure = undefined;
      return result;
    } catch (err) {
      if (cannotWrite(err) && !(this.#failure && isDamaged(this.#failure.error))) this.#failure = { error: err, atMs: Date.now() };
      throw err;
    }
  }
}

/** Serializes async critical sections; FIFO, so the order callers arrive in is the order they run in. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
