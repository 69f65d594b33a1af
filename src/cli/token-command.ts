import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

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
      lazyAction(program, async () => (await import('./token-handler.js')).token),
    );
}
