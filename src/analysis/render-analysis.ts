import type { AnalysisResult } from './types.js';

function params(p: Record<string, unknown>): string {
  const text = JSON.stringify(p);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The full, readable text of an `analysis` comment. */
export function renderAnalysis(r: AnalysisResult): string {
  const lines = [`Summary: ${r.summary}`, `Likely cause: ${r.likelyCause}`];
  if (r.evidence.length > 0) lines.push('Evidence:', ...r.evidence.map((e) => `  - ${e}`));
  lines.push(`Confidence: ${r.confidence}`);
  if (r.proposedActions.length > 0) {
    lines.push('Proposed actions (not executed; each goes through the permission gate):');
    r.proposedActions.forEach((a, i) => lines.push(`  ${i + 1}. ${a.type} ${params(a.params)} [${a.risk} risk] — ${a.reason || 'no reason given'}`));
  } else {
    lines.push('Proposed actions: none');
  }
  if (r.rejectedProposals.length > 0) {
    lines.push('Rejected proposals:', ...r.rejectedProposals.map((p) => `  - ${p.type}: ${p.reason}`));
  }
  lines.push(`Human attention: ${r.requiresHumanAttention ? 'required' : 'not required'}; automatic remediation: ${r.canAutoRemediate ? 'possible' : 'not possible'}`);
  const by = r.analyzer === 'llm' ? `LLM ${r.model ?? ''}`.trim() : 'local rules';
  const tokens = r.tokens ? `, ${r.tokens.requests} request(s), ${r.tokens.totalTokens} tokens` : '';
  lines.push(`Analyzer: ${by} in ${(r.durationMs / 1000).toFixed(1)} s${tokens}; rule ${r.rule}`);
  if (r.analyzer === 'llm' || r.redactedValues > 0) lines.push(`Redacted before sending to the LLM: ${r.redactedValues} value(s)`);
  if (r.fallbackReason) lines.push(`Note: local analyser used because ${r.fallbackReason}`);
  if (r.notes.length > 0) lines.push('Not available:', ...r.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}

/** The comment metadata: machine-readable for the remediation stage, the API and the dashboard. */
export function analysisMetadata(r: AnalysisResult): Record<string, unknown> {
  return {
    canAutoRemediate: r.canAutoRemediate,
    requiresHumanAttention: r.requiresHumanAttention,
    analyzer: r.analyzer,
    model: r.model,
    durationMs: r.durationMs,
    tokens: r.tokens,
    proposedActions: r.proposedActions,
    rejectedProposals: r.rejectedProposals,
    summary: r.summary,
    likelyCause: r.likelyCause,
    confidence: r.confidence,
    evidence: r.evidence,
    fallbackReason: r.fallbackReason,
    rule: r.rule,
    redactedValues: r.redactedValues,
  };
}
