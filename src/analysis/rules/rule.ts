import type { AnalysisContext, DraftAnalysis } from '../types.js';

/** Extra context a rule needs beyond what every analysis gathers (processes, disks, memory, error logs, the chart). */
export type Need = 'swap' | 'kernelLog' | 'unit';

/** One local rule: a pure function of the gathered context. Alert text in the context is untrusted data. */
export interface AlarmRule {
  /** Stable id, shown in the analysis and in the docs table (docs/analysis.md). */
  id: string;
  needs: readonly Need[];
  analyse(ctx: AnalysisContext): DraftAnalysis;
}
