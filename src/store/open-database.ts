import { fileURLToPath } from 'node:url';
import { AppError, errorMessage } from '../errors.js';
import { SecretMasker, redactUrl, urlSecrets } from '../secrets.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { storeProblem } from './sqlite-errors.js';
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

/**
 * Opens the configured store (a `file:` path → better-sqlite3; libsql:// / https:// → @libsql/client) and migrates it.
 * Messages name the database without its credentials (user:pass@, ?authToken=), and a driver's error text is masked
 * too: libSQL repeats the URL it was given.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const shown = redactUrl(url);
  const secrets = new SecretMasker([options.authToken, ...urlSecrets(url)]);
  const why = (err: unknown) => secrets.mask(storeProblem(err) ?? errorMessage(err));
  let db: Database;
  try {
    const local = url.startsWith('file:');
    if (!local && !/^(libsql|https?|wss?):\/\//.test(url)) {
      throw new AppError('CONFIG_INVALID', `database.url must be file:PATH, libsql://… or https://…, got "${shown}"`);
    }
    db =
      local && options.driver !== 'libsql'
        ? new SqliteDatabase(filePath(url))
        : await (await import('./libsql-database.js')).LibsqlDatabase.open(url, options.authToken || undefined); // loaded only for libSQL
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('STORE_FAILED', `cannot open database ${shown}: ${why(err)}`, { cause: err });
  }
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      // A remote database is first reached here: a wrong token or URL is a failure to open, not to migrate.
      const verb = err instanceof AppError ? 'open' : 'migrate';
      throw new AppError('STORE_FAILED', `cannot ${verb} database ${db.location}: ${why(err)}`, { cause: err });
    }
  }
  return db;
}
