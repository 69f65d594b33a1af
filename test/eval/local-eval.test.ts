import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../eval/case.js';
import { runEval } from '../../eval/run-eval.js';

const ROOT = join(import.meta.dirname, '..', '..');
const threshold = (JSON.parse(readFileSync(join(ROOT, 'eval', 'threshold.json'), 'utf8')) as { localPassRate: number }).localPassRate;

describe('the eval of the local analyser (npm run eval)', () => {
  const cases = loadCases();

  it('has at least 40 recorded cases of every difficulty', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const perDifficulty = (['easy', 'medium', 'hard'] as const).map((d) => cases.filter((c) => c.difficulty === d).length);
    expect(Math.min(...perDifficulty)).toBeGreaterThanOrEqual(8);
  });

  it('passes at least the published rate of eval/threshold.json', async () => {
    const summary = await runEval(cases);
    const failed = summary.runs.filter((r) => !r.score.passed).map((r) => `${r.id}: ${r.score.failures.join('; ')}`);
    expect(summary.runs).toHaveLength(cases.length);
    // Below the threshold the failing cases are the message.
    expect(summary.passRate >= threshold ? [] : failed).toEqual([]);
    expect(summary.passRate).toBeGreaterThanOrEqual(threshold);
  });

  it('states the published rate in docs/EVAL.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'EVAL.md'), 'utf8');
    expect(doc).toContain(`**Published pass rate: ${(100 * threshold).toFixed(1)} %** (eval/threshold.json)`);
  });
});
