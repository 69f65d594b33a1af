import { InvalidArgumentError, type Command } from 'commander';
import { lazyAction } from './lazy.js';

function hoursOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 24 * 31) throw new InvalidArgumentError('must be a whole number of hours between 1 and 744');
  return n;
}

/** `opsagent digest`: the daily summary, printed, or posted to Discord with --send. */
export function registerDigestCommand(program: Command): void {
  program
    .command('digest')
    .description('print the digest of the last 24 h (issues opened/resolved/open, actions, pending approvals, noisiest alerts)')
    .option('--hours <n>', 'length of the period', hoursOption, 24)
    .option('--send', 'post it to the Discord webhook as well')
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./digest-handler.js')).digest),
    );
}
