import type { Command } from 'commander';

/** `opsagent init` and `opsagent install-service`: what an operator runs once after `npm install -g opsagent`. */
export function registerSetupCommands(program: Command): void {
  program
    .command('init')
    .description('write a commented config and create the data directory in the standard places (root: /etc/opsagent, /var/lib/opsagent; a user: $XDG_CONFIG_HOME/opsagent, $XDG_DATA_HOME/opsagent); never overwrites a config')
    .option('--user', "use the user's XDG places even as root")
    .action(async (opts: { user?: boolean }) => (await import('./setup-handlers.js')).init(opts));

  program
    .command('install-service')
    .description('write a hardened systemd unit (opsagent.service) that runs this installed program')
    .option('--print', 'print the unit instead of writing it')
    .option('--user <name>', 'the account the daemon runs as', 'opsagent')
    .option('--unit-dir <dir>', 'where to write it', '/etc/systemd/system')
    .action(async (opts: { print?: boolean; user: string; unitDir: string }) => (await import('./setup-handlers.js')).installService(opts));
}
