import { IssueAnalyzer } from '../analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../analysis/settings.js';
import { loadRunbooks } from '../model/runbook.js';
import { resolveRunbooksDir } from '../paths.js';
import { mcpDeps } from '../mcp/compose.js';
import { serveStdio } from '../mcp/stdio.js';
import { AnalysisWorker } from '../pipeline/analysis-worker.js';
import { recordingRemediation } from '../pipeline/store-setup.js';
import { notificationQueue } from '../pipeline/notifications.js';
import { wirePipeline, wireRecordingRemediation } from '../pipeline/wire.js';
import type { CliContext } from './context.js';

/**
 * The stdio MCP server runs in the assistant's process tree, as the CLI does: it records (notes, proposals that wait
 * for approval, analyses) and the running daemon carries out what follows (notifications, approved actions).
 */
export async function mcp(ctx: CliContext): Promise<void> {
  const store = await ctx.store();
  const logger = await ctx.logger();
  const worker = ctx.config.analysis.enabled
    ? new AnalysisWorker({
        tracker: store.tracker,
        issues: store.issues,
        jobs: store.analysisJobs,
        analyzer: new IssueAnalyzer({ ...analyzerSettingsFrom(ctx.config, store.serverId), runbooks: runbooksIn(ctx.config.runbooks.dir, ctx.home) }),
        agentId: store.serverId,
        maxLlmPerHour: ctx.config.llm.maxCallsPerHour,
        logger,
      })
    : undefined;
  if (worker) wirePipeline({ tracker: store.tracker, analysisWorker: worker }, { handOff: 'record-only' });
  const remediation = recordingRemediation(ctx.config, store, logger);
  wireRecordingRemediation(remediation, notificationQueue(ctx.config, store.db));
  await serveStdio(
    mcpDeps({
      config: ctx.config,
      store,
      remediation,
      analyseNow: worker ? (issueId) => worker.analyseNow(issueId) : undefined,
    }),
  );
}

function runbooksIn(dir: string, home: string) {
  const resolved = resolveRunbooksDir(dir, home);
  return resolved ? loadRunbooks(resolved).runbooks : [];
}
