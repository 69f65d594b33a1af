import { renderAnalysis } from '../../analysis/render-analysis.js';
import { AppError } from '../../errors.js';
import { guarded, shown, textResult } from '../text.js';
import { APPENDS, issueIdArg, type ToolGroup } from './tool-group.js';

/** Running an analysis now, as `opsagent issues-analyze` does: recorded on the issue, proposals through the gate. */
export const analysisTools: ToolGroup = (server, { deps }) => {
  server.registerTool(
    'analyze_issue',
    {
      title: 'Analyse an issue now',
      description:
        "Run OpsAgent's analysis of an issue now (the local rules, or the configured LLM) and record it on the issue. Its proposals go through the permission gate exactly as for a new issue. Takes a few seconds.",
      inputSchema: { issue_id: issueIdArg.describe('issue id or a unique prefix') },
      annotations: { title: 'Analyse an issue now', ...APPENDS },
    },
    (args) =>
      guarded(async () => {
        const analyse = deps.analyseNow;
        if (!analyse) throw new AppError('CONFLICT', 'analysis is disabled on this agent (analysis.enabled: false)');
        const issueId = await deps.store.issues.resolveId(args.issue_id);
        deps.writes.take();
        const run = await analyse(issueId);
        if (!run.result) return textResult(`${issueId}: ${shown(run.note ?? 'not analysed')}`);
        return textResult(`analysis of ${issueId} (comment ${String(run.commentId)}):\n${shown(renderAnalysis(run.result))}`);
      }),
  );
};
