import { ACTION_PARAMS, type ActionParams } from '../../model/action-catalog.js';
import { BUILTIN_DENIED_UNITS } from '../../model/protected.js';
import { describeFailure, runCommand } from './run-command.js';
import { fail, type Executor } from './types.js';

/** "nginx" and "nginx.service" name the same unit, so allow/deny lists compare them alike. */
function sameUnit(a: string, b: string): boolean {
  const norm = (u: string) => (u.includes('.') ? u : `${u}.service`);
  return norm(a) === norm(b);
}

/** `[...actions.restartService.command, unit]` through execFile semantics: no shell, the unit is one argv entry. */
export const restartService: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'restart_service'>;
  const checked = ACTION_PARAMS.restart_service.safeParse(params); // re-validated here: this is the last gate before a command runs
  if (!checked.success) return fail(`not restarted: "${String(params.service).slice(0, 64)}" is not a valid unit name`);
  const unit = checked.data.service;
  const cfg = ctx.config.restartService;
  if (cfg.deny.some((d) => sameUnit(d, unit))) return fail(`not restarted: ${unit} is in actions.restartService.deny`);
  if (BUILTIN_DENIED_UNITS.some((d) => sameUnit(d, unit))) return fail(`not restarted: ${unit} is always protected (restarting it could lock everyone out)`);
  if (cfg.allow.length > 0 && !cfg.allow.some((a) => sameUnit(a, unit))) return fail(`not restarted: ${unit} is not in actions.restartService.allow`);
  const argv = [...cfg.command, unit];
  if (ctx.config.dryRun) return { success: true, summary: `Dry run: would run ${argv.join(' ')}`, output: '' };
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const r = await runCommand(argv, { timeoutMs, outputLimitBytes: ctx.config.outputLimitBytes });
  if (r.exitCode === 0) return { success: true, summary: `Service ${unit} restarted`, output: r.output };
  return fail(`${unit} not restarted: ${describeFailure(cfg.command[0]!, r, timeoutMs)}`, r.output);
};
