import { createClient, type Client, type InArgs, type Transaction } from '@libsql/client';
import { redactUrl } from '../secrets.js';
import { Mutex, WriteOutcomes, type Database, type Row, type RunResult, type SqlArgs, type SqlExecutor, type WriteFailure } from './database.js';

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

function executor(target: Client | Transaction): SqlExecutor {
  const exec = (sql: string, args?: SqlArgs) => target.execute({ sql, args: (args ?? []) as InArgs });
  return {
    all: async (sql, args) => toRows(await exec(sql, args)),
    get: async (sql, args) => toRows(await exec(sql, args))[0],
    run: async (sql, args) => {
      const r = await exec(sql, args);
      return { changes: r.rowsAffected, lastInsertRowid: Number(r.lastInsertRowid ?? 0) };
    },
  };
}

/**
 * Turso / libSQL server (libsql:// or https:// + auth token), or a file: URL. Concurrent write transactions on one
 * client fail (SQLITE_BUSY, TRANSACTION_ACTIVE), so this adapter serializes them itself.
 */
export class LibsqlDatabase implements Database {
  readonly kind = 'libsql' as const;
  readonly location: string;
  readonly #client: Client;
  readonly #plain: SqlExecutor;
  readonly #writes = new Mutex();
  readonly #outcomes = new WriteOutcomes();
  #closed = false;

  constructor(url: string, authToken?: string) {
    this.#client = createClient(authToken ? { url, authToken } : { url });
    this.#plain = executor(this.#client);
    this.location = redactUrl(url); // no user:pass@, no ?authToken=
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

  all(sql: string, args?: SqlArgs): Promise<Row[]> {
    return this.#plain.all(sql, args);
  }
  get(sql: string, args?: SqlArgs): Promise<Row | undefined> {
    return this.#plain.get(sql, args);
  }
  run(sql: string, args?: SqlArgs): Promise<RunResult> {
    return this.#outcomes.track(this.#writes.run(() => this.#plain.run(sql, args)));
  }

  get writeFailure(): WriteFailure | undefined {
    return this.#outcomes.failure;
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#outcomes.track(this.#writes.run(async () => {
      const tx = await this.#client.transaction('write');
      try {
        const result = await fn(executor(tx));
        await tx.commit();
        return result;
      } catch (err) {
        if (!tx.closed) await tx.rollback().catch(() => undefined);
        throw err;
      } finally {
        tx.close();
      }
    }));
  }

  async externalWriteMarker(): Promise<number | undefined> {
    return undefined; // a remote libSQL server may answer each request from a different connection
  }

  async execScript(tx: SqlExecutor, sql: string): Promise<void> {
    // libSQL transactions run one statement per execute: split the script on statement boundaries.
    for (const statement of splitSqlScript(sql)) await tx.run(statement);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.run(async () => undefined);
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
