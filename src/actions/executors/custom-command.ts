import type { ActionParams } from '../../model/action-catalog.js';
import { describeFailure, runCommand } from './run-command.js';
import { fail, type Executor } from './types.js';

/** Full mode only. argv runs without a shell; `shell: true` needs actions.customCommand.allowShell. */
export const customCommand: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'custom_command'>;
  if (ctx.permissionLevel !== 'full') return fail(`not run: custom_command is not allowed in ${ctx.permissionLevel} mode`);
  if (params.shell && !ctx.config.customCommand.allowShell) return fail('not run: shell commands need actions.customCommand.allowShell: true');
  const argv = params.shell ? ['/bin/sh', '-c', params.argv.join(' ')] : params.argv;
  const shown = JSON.stringify(params.argv).slice(0, 300);
  if (ctx.config.dryRun) return { success: true, summary: `Dry run: would run ${shown}`, output: '' };
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const r = await runCommand(argv, { timeoutMs, outputLimitBytes: ctx.config.outputLimitBytes });
  if (r.exitCode === 0) return { success: true, summary: `Command ${shown} succeeded`, output: r.output };
  return fail(`Command ${shown} failed: ${describeFailure(argv[0]!, r, timeoutMs)}`, r.output);
};
