import type { AnalysisResult } from '../analysis/types.js';
import type { ProposalPolicy } from '../analysis/proposal-checks.js';
import type { Remediation } from '../pipeline/remediation.js';
import type { Store } from '../pipeline/store-setup.js';
import type { WriteBudget } from './write-budget.js';

/** What an analysis run now gives back (pipeline/analysis-worker.ts's AnalysisRun, the parts shown). */
export interface AnalysisNow {
  result: AnalysisResult | undefined;
  commentId: number | null;
  note?: string;
}

/** Everything the MCP tools read and write through: the same objects the CLI and the HTTP API use. */
export interface McpDeps {
  store: Pick<Store, 'issues' | 'tracker' | 'issueActions' | 'actions' | 'actionStats' | 'serverId'>;
  /** The gate for proposals (pipeline/remediation.ts); its proposeForApproval never executes anything. */
  remediation: Pick<Remediation, 'proposeForApproval'>;
  /** The daily digest of the last `hours` as text (notify/digest.ts). */
  digest: (hours: number) => Promise<string>;
  /** The machine checks of analysis/proposal-checks.ts, without `local` (decided per issue). */
  proposalPolicy: Omit<ProposalPolicy, 'local'>;
  /** Runs an analysis of the issue now; undefined when analysis is disabled (analysis.enabled: false). */
  analyseNow: ((issueId: string) => Promise<AnalysisNow>) | undefined;
  /** Shared by every session of a process, so opening more sessions buys a client no more writes. */
  writes: WriteBudget;
  version: string;
}
