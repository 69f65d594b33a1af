import { fileURLToPath } from 'node:url';
import { AppError, errorMessage } from '../errors.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { SqliteDatabase } from './sqlite-database.js';

export interface OpenDatabaseOptions {
  authToken?: string;
  /** Force the libSQL client even for a file: URL (how the remote adapter is tested). */
  driver?: 'sqlite' | 'libsql';
  migrate?: boolean;
}

function filePath(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  return url.slice('file:'.length);
}

/** Opens the configured store (a `file:` path → better-sqlite3; libsql:// / https:// → @libsql/client) and migrates it. */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  let db: Database;
  try {
    const local = url.startsWith('file:');
    if (!local && !/^(libsql|https?|wss?):\/\//.test(url)) {
      throw new AppError('CONFIG_INVALID', `database.url must be file:PATH, libsql://… or https://…, got "${url}"`);
    }
    db =
      local && options.driver !== 'libsql'
        ? new SqliteDatabase(filePath(url))
        : await (await import('./libsql-database.js')).LibsqlDatabase.open(url, options.authToken || undefined); // loaded only for libSQL
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('STORE_FAILED', `cannot open database ${url}: ${errorMessage(err)}`, { cause: err });
  }
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw new AppError('STORE_FAILED', `cannot migrate database ${db.location}: ${errorMessage(err)}`, { cause: err });
    }
  }
  return db;
}
