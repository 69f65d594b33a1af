import { InvalidArgumentError, type Command } from 'commander';
import { lazyAction } from './lazy.js';

function limitOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function secondsOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new InvalidArgumentError('must be between 0 and 600 seconds');
  return n;
}

export function registerActionCommands(program: Command): void {
  program
    .command('actions-list')
    .description('list remediation actions, newest first (pending approvals, executed, denied…)')
    .option('--status <list>', 'comma list of statuses (pending = pending_approval; all)')
    .option('--issue <id>', 'only the actions of this issue (id or unique prefix)')
    .option('--limit <n>', 'at most n actions', limitOption, 50)
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./actions-handlers.js')).actionsList),
    );

  program
    .command('actions-approve')
    .description('approve a pending action (single-use); the running agent executes it')
    .argument('<id>', 'action id or a unique prefix')
    .option('--by <name>', 'who approves', process.env.USER ?? 'human')
    .option('--wait <seconds>', 'how long to wait for the running agent to execute it', secondsOption, 10)
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./actions-handlers.js')).actionsApprove),
    );

  program
    .command('actions-reject')
    .description('reject a pending action; it will not run')
    .argument('<id>', 'action id or a unique prefix')
    .option('--by <name>', 'who rejects', process.env.USER ?? 'human')
    .option('--reason <text>', 'why')
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./actions-handlers.js')).actionsReject),
    );
}
