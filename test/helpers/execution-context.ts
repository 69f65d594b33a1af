import type { ExecutionContext } from '../../src/actions/executors/types.js';
import { defaultConfig } from '../../src/config/load.js';

/** What an executor gets from the remediation stage: the actions config on its defaults plus `actions`, in full mode. */
export function executionContext(actions: Record<string, unknown>, extra: Partial<ExecutionContext> = {}): ExecutionContext {
  const config = defaultConfig({ actions: { logAnalysis: { useJournal: false }, ...actions } });
  return {
    config: config.actions,
    logFiles: [],
    permissionLevel: 'full',
    issue: { id: 'issue-1', title: 'cpu_usage', first_seen_at: Date.now() - 60_000, last_seen_at: Date.now() },
    now: Date.now,
    selfPids: [process.pid, process.ppid],
    ...extra,
  };
}
