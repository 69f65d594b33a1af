import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { localTokenPath, readLocalToken } from '../store/local-token.js';
import { withContext } from './context.js';

/**
 * `opsagent token`: the credential that steers the running agent over HTTP and logs in to its dashboard. Without
 * server.apiToken that is the local token the daemon wrote at its first start, which only the agent's user can read,
 * so whoever may run this may steer the agent, and nobody else.
 */
export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description("print the token that logs in to the dashboard and steers the agent over HTTP (Authorization: Bearer $(opsagent token))")
    .option('--path', 'print where the local token file is (beside the database) instead of the token')
    .action(
      withContext(program, async (ctx, opts: { path?: boolean }) => {
        const file = localTokenPath(ctx.databaseUrl, ctx.home);
        if (opts.path) {
          process.stdout.write(`${file}\n`);
          return;
        }
        let token = ctx.config.server.apiToken;
        if (!token) {
          const local = readLocalToken(file);
          if (local === undefined) {
            throw new AppError('NOT_FOUND', `no local API token at ${file} yet: the agent creates it when it first starts (opsagent run)`);
          }
          token = local;
        }
        process.stdout.write(`${token}\n`);
        if (process.stdout.isTTY) {
          const url = ctx.config.server.publicUrl || `http://${ctx.config.server.host}:${ctx.config.server.port}`;
          process.stderr.write(`Log in to the dashboard at ${url.replace(/\/+$/, '')}/login with it; keep it secret like a password.\n`);
        }
      }),
    );
}
