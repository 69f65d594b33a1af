import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Logger } from '../logger.js';
import { openStore, type Store } from '../pipeline/store-setup.js';
import { defaultConfigPath, opsagentHome, resolveDatabaseUrl } from '../paths.js';

export interface GlobalOptions {
  config?: string;
  db?: string;
}

export interface CliContext extends LoadedConfig {
  configPath: string;
  /** The database this command uses (--db, OPSAGENT_DB_URL, else database.url against the home), as the daemon would. */
  databaseUrl: string;
  /** OPSAGENT_HOME, else the install directory: what relative paths resolve against. */
  home: string;
  /** The command's logger (level warn on stderr), made on first use: pino is loaded only by the commands that log. */
  logger(): Promise<Logger>;
  /** Opens the store on first use; closed by the CLI after the command. */
  store(): Promise<Store>;
  close(): Promise<void>;
}

function dbUrlFromOption(db: string | undefined): string | undefined {
  if (!db) return undefined;
  if (/^[a-z]+:/.test(db)) return db;
  return `file:${db}`; // a plain path typed on the command line is relative to the working directory
}

export function createContext(program: Command, env: NodeJS.ProcessEnv = process.env): CliContext {
  const opts = program.opts<GlobalOptions>();
  const configPath = opts.config ?? defaultConfigPath(env);
  const loaded = loadConfig(configPath, env);
  const dbUrl = dbUrlFromOption(opts.db ?? env.OPSAGENT_DB_URL);
  const home = opsagentHome(env);
  let store: Promise<Store> | undefined;
  let logger: Promise<Logger> | undefined;
  return {
    ...loaded,
    configPath,
    databaseUrl: dbUrl ?? resolveDatabaseUrl(loaded.config.database.url, home),
    home,
    logger: () =>
      (logger ??= import('../logger.js').then(({ createLogger }) =>
        createLogger({ level: env.OPSAGENT_LOG_LEVEL ?? 'warn', pretty: false, destination: process.stderr, secrets: loaded.secrets }),
      )),
    store: () => (store ??= openStore(loaded.config, dbUrl ? { dbUrl } : {})),
    close: async () => {
      if (store) await (await store).db.close();
    },
  };
}

/** Wraps a command body: builds the context, runs, always closes the store. */
export function withContext<A extends unknown[]>(program: Command, fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    const ctx = createContext(program);
    try {
      await fn(ctx, ...args);
    } finally {
      await ctx.close();
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
