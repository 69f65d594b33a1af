import type { Config } from '../../config/schema.js';
import type { ActionType } from '../../model/action-catalog.js';

export type ActionsConfig = Config['actions'];

/** What an executor may know about the issue it acts for (log_analysis reads its time window). */
export interface ActionIssue {
  id: string;
  title: string;
  first_seen_at: number;
  last_seen_at: number;
}

export interface ExecutionContext {
  config: ActionsConfig;
  /** Files log_analysis reads when the journal is not available (config.analysis.logFiles). */
  logFiles: readonly string[];
  permissionLevel: Config['opsagent']['permissionLevel'];
  issue: ActionIssue;
  now: () => number;
  /** Processes kill_process must never signal: this agent and its parent. */
  selfPids: readonly number[];
}

/** An executor's answer. A refusal (protected PID, path outside the roots) is a failed result, never a throw. */
export interface ExecutionResult {
  success: boolean;
  /** One line for the comment after "✅ kill_process: " — in the seed's words where it has them. */
  summary: string;
  /** Captured program output or details, already truncated to actions.outputLimitBytes. */
  output: string;
}

export type Executor = (params: Record<string, unknown>, ctx: ExecutionContext) => Promise<ExecutionResult>;
export type ExecutorTable = Record<ActionType, Executor>;

export function fail(summary: string, output = ''): ExecutionResult {
  return { success: false, summary, output };
}
