import type { Command } from 'commander';

export function registerAdminCommands(program: Command): void {
  program
    .command('config-check')
    .description('validate a config file and list every problem by path')
    .argument('[file]', 'config file (default: the --config file)')
    .action(async (file: string | undefined) => (await import('./config-check-handler.js')).configCheck(program, file));

  program
    .command('runbooks-check')
    .description('validate the runbooks folder (runbooks.dir): front matter, matchers, named actions; one line per problem')
    .argument('[dir]', 'folder of markdown runbooks (default: runbooks.dir of the config)')
    .action(async (dir: string | undefined) => (await import('./runbooks-check-handler.js')).runbooksCheck(program, dir));

  program
    .command('run')
    .description('run the agent daemon: HTTP API and webhooks, Netdata poller, analysis, actions, notifications')
    .action(async () => (await import('./run-handler.js')).run(program));
}
