import { InvalidArgumentError, type Command } from 'commander';
import { generateFingerprint } from '../issues/fingerprint.js';
import { ISSUE_STATUSES, type IssueStatus, type Severity } from '../model/issue.js';
import { lazyAction } from './lazy.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function severityOption(value: string): Severity {
  if (value !== 'warning' && value !== 'critical') throw new InvalidArgumentError('must be warning or critical');
  return value;
}

function statusArgument(value: string): IssueStatus {
  if (!ISSUE_STATUSES.includes(value as IssueStatus)) throw new InvalidArgumentError(`must be one of ${ISSUE_STATUSES.join(', ')}`);
  return value as IssueStatus;
}

export function registerIssueCommands(program: Command): void {
  program
    .command('issues-list')
    .description('list issues (open and investigating unless --status says otherwise), newest activity first')
    .option('--status <list>', 'comma list of open,investigating,resolved,closed (or all)')
    .option('--severity <severity>', 'warning or critical', severityOption)
    .option('--server <id>', 'only this server_id')
    .option('--limit <n>', 'at most n issues', positiveInt, 50)
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesList),
    );

  program
    .command('issues-show')
    .description('show one issue: details, why its alerts were grouped, the latest analysis and the whole timeline')
    .argument('<id>', 'issue id or a unique prefix')
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesShow),
    );

  program
    .command('issues-comment')
    .description('add a human note to an issue, e.g. "Human restarted api-server"')
    .argument('<id>', 'issue id or a unique prefix')
    .argument('<text>', 'the note')
    .option('--author <name>', 'who writes it', process.env.USER ?? 'human')
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesComment),
    );

  program
    .command('issues-status')
    .description('set an issue status (open, investigating, resolved, closed)')
    .argument('<id>', 'issue id or a unique prefix')
    .argument('<status>', 'new status', statusArgument)
    .option('--author <name>', 'who decides', process.env.USER ?? 'human')
    .option('--reason <text>', 'why')
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesStatus),
    );

  program
    .command('issues-archive')
    .description('close issues resolved more than N days ago (default issues.archiveAfterDays)')
    .option('--older-than-days <n>', 'age in days', positiveInt)
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesArchive),
    );

  program
    .command('issues-stats')
    .description('alert frequency: issues first seen in the last N days, by alert, with their total firings')
    .option('--days <n>', 'window in days', positiveInt, 7)
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./issues-handlers.js')).issuesStats),
    );

  program
    .command('fingerprint')
    .description('print the fingerprint the tracker groups an alert by')
    .argument('<name>')
    .argument('<context>')
    .argument('<chart>')
    .action((name: string, context: string, chart: string) => {
      console.log(generateFingerprint({ name, context, chart }));
    });
}
