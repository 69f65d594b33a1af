import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

export function registerAlertCommands(program: Command): void {
  program
    .command('alerts-ingest')
    .description('ingest generic JSON alert events (an object, an array, or JSON Lines) from a file or stdin; all or nothing')
    .argument('[file]', 'file to read, or - for stdin', '-')
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./alerts-handlers.js')).alertsIngest),
    );
}
