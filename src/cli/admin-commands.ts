import type { Command } from 'commander';

export function registerAdminCommands(program: Command): void {
  program
    .command('config-check')
    .description('validate a config file and list every problem by path')
    .argument('[file]', 'config file (default: the --config file)')
    .action(async (file: string | undefined) => (await import('./config-check-handler.js')).configCheck(program, file));

  program
    .command('run')
    .description('run the agent daemon: HTTP API and webhooks, Netdata poller, analysis, actions, notifications')
    .action(async () => (await import('./run-handler.js')).run(program));
}
