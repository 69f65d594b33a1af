import { readFile } from 'node:fs/promises';
import { ACTION_PARAMS, type ActionParams } from '../../model/action-catalog.js';
import { checkRestartableUnit, serviceUnitsInCgroup } from '../../model/service-units.js';
import { describeFailure, runCommand } from './run-command.js';
import { fail, type Executor } from './types.js';

/** The units the agent itself runs in: read each time, since nothing but /proc/self/cgroup says which unit started it. */
async function ownUnits(): Promise<string[]> {
  return serviceUnitsInCgroup(await readFile('/proc/self/cgroup', 'utf8').catch(() => ''));
}

/**
 * `[...actions.restartService.command, unit]` through execFile semantics: no shell, the unit is one argv entry. The
 * unit rule (service-units.ts) is applied again here, whatever the proposal checks and the gate said.
 */
export const restartService: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'restart_service'>;
  const checked = ACTION_PARAMS.restart_service.safeParse(params); // re-validated here: this is the last gate before a command runs
  if (!checked.success) return fail(`not restarted: "${String(params.service).slice(0, 64)}" is not a valid unit name`);
  const cfg = ctx.config.restartService;
  const verdict = checkRestartableUnit(checked.data.service, { allow: cfg.allow, deny: cfg.deny, ownUnits: await ownUnits() });
  if (!verdict.ok) return fail(`not restarted: ${verdict.reason}`);
  const unit = verdict.unit;
  const argv = [...cfg.command, unit];
  if (ctx.config.dryRun) return { success: true, summary: `Dry run: would run ${argv.join(' ')}`, output: '' };
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const r = await runCommand(argv, { timeoutMs, outputLimitBytes: ctx.config.outputLimitBytes });
  if (r.exitCode === 0) return { success: true, summary: `Service ${unit} restarted`, output: r.output };
  return fail(`${unit} not restarted: ${describeFailure(cfg.command[0]!, r, timeoutMs)}`, r.output);
};
