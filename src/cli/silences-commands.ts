import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const who = process.env.USER ?? 'human';

/** Silences, maintenance windows and acknowledgements (docs/silences.md). */
export function registerSilenceCommands(program: Command): void {
  program
    .command('silences-add')
    .description('silence matching alerts: counted and recorded, but no notification and no automatic action')
    .requiredOption('--match <matcher>', 'field=value, field!=value, field=~regex or field!~regex (repeatable; all must match)', collect, [])
    .option('--for <duration>', 'how long from the start, e.g. 30m, 2h, 1d')
    .option('--until <time>', 'when it ends: ISO 8601 with its zone, e.g. 2026-12-03T15:00:00Z')
    .option('--until-resolved <issue-id>', 'lasts until this issue resolves')
    .option('--starts <time>', 'when it starts (default now)')
    .option('--comment <text>', 'why', '')
    .option('--by <name>', 'who silences', who)
    .option('--json', 'machine-readable output')
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).silencesAdd));

  program
    .command('silences-list')
    .description('silences in force or still to come (--all: ended ones too)')
    .option('--all', 'include ended silences')
    .option('--json', 'machine-readable output')
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).silencesList));

  program
    .command('silences-expire')
    .description('end a silence now')
    .argument('<id>', 'silence id or a unique prefix')
    .option('--by <name>', 'who ends it', who)
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).silencesExpire));

  program
    .command('windows-list')
    .description('maintenance windows (config file and API), whether each is open and its next change')
    .option('--json', 'machine-readable output')
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).windowsList));

  program
    .command('windows-add')
    .description('add a maintenance window: weekly (--days sun --start 02:00 --end 04:00 --tz Europe/Berlin) or once (--from/--to)')
    .requiredOption('--name <name>', 'a unique name')
    .requiredOption('--match <matcher>', 'as for silences-add (repeatable)', collect, [])
    .option('--days <list>', 'comma list of sun,mon,tue,wed,thu,fri,sat')
    .option('--start <HH:MM>', 'local start time')
    .option('--end <HH:MM>', 'local end time (before the start: runs past midnight)')
    .option('--tz <zone>', 'IANA time zone, e.g. Europe/Berlin or UTC')
    .option('--from <time>', 'one-off start, ISO 8601 with its zone')
    .option('--to <time>', 'one-off end, ISO 8601 with its zone')
    .option('--comment <text>', 'why', '')
    .option('--by <name>', 'who adds it', who)
    .option('--json', 'machine-readable output')
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).windowsAdd));

  program
    .command('windows-remove')
    .description('remove a maintenance window made with windows-add or the API')
    .argument('<id>', 'window id')
    .option('--by <name>', 'who removes it', who)
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).windowsRemove));

  program
    .command('issues-ack')
    .description('acknowledge an issue: you own it, and reminders about it stop')
    .argument('<id>', 'issue id or a unique prefix')
    .option('--by <name>', 'who owns it', who)
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).issuesAck));

  program
    .command('issues-unack')
    .description('withdraw the acknowledgement of an issue')
    .argument('<id>', 'issue id or a unique prefix')
    .option('--by <name>', 'who withdraws it', who)
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).issuesUnack));

  program
    .command('issues-snooze')
    .description('silence one issue for a while (default 1h)')
    .argument('<id>', 'issue id or a unique prefix')
    .option('--for <duration>', 'how long, e.g. 1h', '1h')
    .option('--comment <text>', 'why')
    .option('--by <name>', 'who snoozes', who)
    .action(lazyAction(program, async () => (await import('./silences-handlers.js')).issuesSnooze));
}
