import { ACTION_PARAMS, type ActionType } from '../../model/action-catalog.js';
import { zodProblem } from '../../errors.js';
import { cleanupDisk } from './cleanup-disk.js';
import { clearCache } from './clear-cache.js';
import { customCommand } from './custom-command.js';
import { killProcess } from './kill-process.js';
import { logAnalysis } from './log-analysis.js';
import { notifyHuman } from './notify-human.js';
import { restartService } from './restart-service.js';
import { truncateOutput } from './run-command.js';
import { fail, type ExecutionContext, type ExecutionResult, type ExecutorTable } from './types.js';

export const EXECUTORS: ExecutorTable = {
  notify_human: notifyHuman,
  clear_cache: clearCache,
  log_analysis: logAnalysis,
  cleanup_disk: cleanupDisk,
  kill_process: killProcess,
  restart_service: restartService,
  custom_command: customCommand,
};

/**
 * Runs one action: parameters re-validated against the catalog (rows are untrusted too), an overall timeout, output
 * truncated, and any unexpected exception turned into a failed result so the caller always has something to record.
 */
export async function executeAction(
  type: ActionType,
  params: unknown,
  ctx: ExecutionContext,
  executors: ExecutorTable = EXECUTORS,
): Promise<ExecutionResult> {
  const parsed = ACTION_PARAMS[type].safeParse(params);
  if (!parsed.success) return fail(`invalid parameters: ${zodProblem(parsed.error, { whole: null })}`);
  // kill_process waits for its grace period on top of the command timeout.
  const budgetMs = ctx.config.timeoutSeconds * 1000 + (type === 'kill_process' ? ctx.config.killProcess.graceMs + 5_000 : 1_000);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ExecutionResult>((resolve) => {
    timer = setTimeout(() => resolve(fail(`${type} did not finish within ${Math.round(budgetMs / 1000)} s`)), budgetMs);
  });
  try {
    const result = await Promise.race([executors[type](parsed.data as Record<string, unknown>, ctx), timeout]);
    return { ...result, summary: result.summary.slice(0, 500), output: truncateOutput(result.output, ctx.config.outputLimitBytes + 64) }; // + room for a truncation note
  } catch (err) {
    return fail(`${type} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
