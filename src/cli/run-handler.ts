import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import { startAgent } from '../main.js';
import { defaultConfigPath } from '../paths.js';

export async function run(program: Command): Promise<void> {
  const opts = program.opts<{ config?: string; db?: string }>();
  const path = opts.config ?? defaultConfigPath();
  const { config, warnings, secrets } = loadConfig(path);
  const logger = createLogger({ secrets }); // every log line masks this config's secrets
  for (const w of warnings) logger.warn(w);
  const dbOption = opts.db ?? process.env.OPSAGENT_DB_URL;
  const agent = await startAgent(config, logger, dbOption ? { dbUrl: /^[a-z]+:/.test(dbOption) ? dbOption : `file:${dbOption}` } : {});
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) return;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
