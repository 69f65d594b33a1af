import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

export function registerMigrateLegacyCommand(program: Command): void {
  program
    .command('migrate-legacy')
    .description('group the rows of a legacy one-row-per-firing "alerts" table into issues (idempotent; the table is kept)')
    .option('--dry-run', 'only report what would happen')
    .option('--json', 'machine-readable summary')
    .action(
      lazyAction(program, async () => (await import('./migrate-legacy-handler.js')).migrateLegacy),
    );
}
