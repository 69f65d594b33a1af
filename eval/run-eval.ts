import type { LlmSettings } from '../src/analysis/llm-agent.js';
import type { AnalysisResult } from '../src/analysis/types.js';
import type { EvalCase } from './case.js';
import { runCase } from './run-case.js';
import { score, type Score } from './score.js';

export interface CaseRun {
  id: string;
  difficulty: EvalCase['difficulty'];
  title: string;
  iteration: number;
  rule: string;
  analyzer: AnalysisResult['analyzer'];
  fallbackReason: string | null;
  score: Score;
  wallMs: number;
  promptTokens: number;
  completionTokens: number;
  redactedValues: number;
}

export interface EvalSummary {
  runs: CaseRun[];
  cases: number;
  iterations: number;
  passed: number;
  passRate: number;
  byDifficulty: Record<EvalCase['difficulty'], { runs: number; passed: number }>;
  criteria: Record<'culprit' | 'action' | 'noForbidden' | 'humanAttention', number>;
  promptTokens: number;
  completionTokens: number;
  latencyMs: { p50: number; p95: number; max: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs every case `iterations` times through the analyser (the local rules, or the LLM when `llm` is given) and
 * scores each run. An LLM run that fell back to the local rules (upstream error, unusable answer) fails: the point
 * is how right the model is.
 */
export async function runEval(cases: readonly EvalCase[], options: { llm?: LlmSettings; iterations?: number; onRun?: (run: CaseRun) => void } = {}): Promise<EvalSummary> {
  const iterations = options.llm ? Math.max(1, options.iterations ?? 1) : 1;
  const runs: CaseRun[] = [];
  for (let iteration = 1; iteration <= iterations; iteration++) {
    for (const c of cases) {
      const { result, wallMs } = await runCase(c, options.llm);
      const s = score(c, result);
      if (options.llm && result.analyzer !== 'llm') {
        s.passed = false;
        s.failures.unshift(`the local rules answered: ${result.fallbackReason ?? 'LLM not used'}`);
      }
      const run: CaseRun = {
        id: c.id, difficulty: c.difficulty, title: c.title, iteration, rule: result.rule, analyzer: result.analyzer, fallbackReason: result.fallbackReason, score: s,
        wallMs: Math.round(wallMs), promptTokens: result.tokens?.promptTokens ?? 0, completionTokens: result.tokens?.completionTokens ?? 0, redactedValues: result.redactedValues,
      };
      runs.push(run);
      options.onRun?.(run);
    }
  }
  const byDifficulty = { easy: { runs: 0, passed: 0 }, medium: { runs: 0, passed: 0 }, hard: { runs: 0, passed: 0 } };
  const criteria = { culprit: 0, action: 0, noForbidden: 0, humanAttention: 0 };
  for (const r of runs) {
    byDifficulty[r.difficulty].runs++;
    if (r.score.passed) byDifficulty[r.difficulty].passed++;
    for (const k of Object.keys(criteria) as (keyof typeof criteria)[]) if (r.score[k]) criteria[k]++;
  }
  const passed = runs.filter((r) => r.score.passed).length;
  const latencies = runs.map((r) => r.wallMs).sort((a, b) => a - b);
  return {
    runs,
    cases: cases.length,
    iterations,
    passed,
    passRate: runs.length ? passed / runs.length : 0,
    byDifficulty,
    criteria,
    promptTokens: runs.reduce((a, r) => a + r.promptTokens, 0),
    completionTokens: runs.reduce((a, r) => a + r.completionTokens, 0),
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? 0 },
  };
}
