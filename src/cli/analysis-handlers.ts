import { loadRunbooks, type Runbook } from '../model/runbook.js';
import { resolveRunbooksDir } from '../paths.js';
import { IssueAnalyzer } from '../analysis/issue-analyzer.js';
import { analysisMetadata, renderAnalysis } from '../analysis/render-analysis.js';
import { analyzerSettingsFrom } from '../analysis/settings.js';
import { AnalysisWorker } from '../pipeline/analysis-worker.js';
import { wirePipeline } from '../pipeline/wire.js';
import { printJson, type CliContext } from './context.js';
import { safeText } from './format.js';

export async function issuesAnalyze(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const issueId = await store.issues.resolveId(id);
  const worker = new AnalysisWorker({
    tracker: store.tracker,
    issues: store.issues,
    jobs: store.analysisJobs,
    analyzer: new IssueAnalyzer({ ...analyzerSettingsFrom(ctx.config, store.serverId), runbooks: runbooksOf(ctx.config.runbooks.dir, ctx.home) }),
    agentId: store.serverId,
    maxLlmPerHour: ctx.config.llm.maxCallsPerHour,
    logger: await ctx.logger(),
  });
  // The CLI records the analysis and never acts: the daemon hands the recorded proposals to its remediation stage.
  wirePipeline({ tracker: store.tracker, analysisWorker: worker }, { handOff: 'record-only' });
  if (!opts.json) process.stderr.write(`analysing ${issueId}…\n`);
  const run = await worker.analyseNow(issueId);
  const result = run.result;
  if (!result) {
    if (opts.json) return printJson({ issue_id: issueId, job_id: run.job.id, comment_id: null, note: run.note ?? null });
    console.log(`${issueId}: ${run.note ?? 'not analysed'}`);
    return;
  }
  if (opts.json) return printJson({ issue_id: issueId, job_id: run.job.id, comment_id: run.commentId, ...analysisMetadata(result) });
  console.log(`Analysis of ${issueId} (comment ${run.commentId}):`);
  console.log(safeText(renderAnalysis(result)));
}

function runbooksOf(dir: string, home: string): Runbook[] {
  const resolved = resolveRunbooksDir(dir, home);
  return resolved ? loadRunbooks(resolved).runbooks : [];
}
