import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { defaultConfigPath } from '../paths.js';
import { createLogger } from '../logger.js';
import { startAgent } from '../main.js';
import { errorMessage } from '../errors.js';
import { redactUrl } from '../secrets.js';

export function registerAdminCommands(program: Command): void {
  program
    .command('config-check')
    .description('validate a config file and list every problem by path')
    .argument('[file]', 'config file (default: the --config file)')
    .action((file: string | undefined) => {
      const path = file ?? program.opts<{ config?: string }>().config ?? defaultConfigPath();
      const { config, warnings, secrets } = loadConfig(path);
      for (const w of warnings) console.log(secrets.mask(`warning: ${w}`));
      console.log(
        secrets.mask(
          `${path} is valid: permissionLevel ${config.opsagent.permissionLevel}, autoRemediate ${config.opsagent.autoRemediate}, ` +
            `server ${config.server.host}:${config.server.port}, database ${redactUrl(config.database.url)}`,
        ),
      );
    });

  program
    .command('run')
    .description('run the agent daemon: HTTP API and webhooks, Netdata poller, analysis, actions, notifications')
    .action(async () => {
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
    });
}
