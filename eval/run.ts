import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzerSettingsFrom } from '../src/analysis/settings.js';
import { loadConfig } from '../src/config/load.js';
import { findConfig } from '../src/paths.js';
import { loadCases } from './case.js';
import { previousLlmSection, renderEvalMarkdown, ROOT, type LlmRunInfo } from './report.js';
import { runEval } from './run-eval.js';

/**
 * npm run eval [-- --config file] [--iterations n] [--no-write]
 * The local rules always; the LLM analyser too when the config (or MOONSHOT_API_KEY) gives llm.apiKey.
 * Writes docs/EVAL.md. Exit code 1 when the local pass rate is below eval/threshold.json.
 */
const { values } = parseArgs({
  options: { config: { type: 'string' }, iterations: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false } },
});
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 1 || iterations > 50) {
  console.error('opsagent eval: --iterations must be an integer from 1 to 50');
  process.exit(2);
}
const threshold = (JSON.parse(readFileSync(join(ROOT, 'eval', 'threshold.json'), 'utf8')) as { localPassRate: number }).localPassRate;
const cases = loadCases();

const local = await runEval(cases);
console.log(`local rules: ${local.passed}/${local.runs.length} passed (${(100 * local.passRate).toFixed(1)} %; published ${(100 * threshold).toFixed(1)} %)`);
for (const r of local.runs.filter((x) => !x.score.passed)) console.log(`  FAIL ${r.id}: ${r.score.failures.join('; ')}`);

const configPath = values.config ?? findConfig().path;
const config = existsSync(configPath) ? loadConfig(configPath).config : undefined;
let llm: LlmRunInfo | undefined;
const llmSettings = config ? analyzerSettingsFrom(config, 'eval').llm : undefined;
if (config && llmSettings) {
  console.log(`LLM ${llmSettings.model} at ${llmSettings.baseUrl}: ${iterations} iteration(s) of ${cases.length} cases`);
  const summary = await runEval(cases, {
    llm: llmSettings,
    iterations,
    onRun: (r) => console.log(`  ${r.score.passed ? 'pass' : 'FAIL'} ${r.id} #${r.iteration} ${(r.wallMs / 1000).toFixed(1)} s${r.score.passed ? '' : `: ${r.score.failures.join('; ').slice(0, 200)}`}`),
  });
  console.log(`LLM: ${summary.passed}/${summary.runs.length} passed (${(100 * summary.passRate).toFixed(1)} %)`);
  llm = { model: llmSettings.model, baseUrl: llmSettings.baseUrl, summary, pricePerMillionInput: config.llm.pricePerMillionInputTokens, pricePerMillionOutput: config.llm.pricePerMillionOutputTokens };
} else {
  console.log(`LLM: not run (no llm.apiKey in ${config ? configPath : 'any config'})`);
}

if (!values['no-write']) {
  const path = join(ROOT, 'docs', 'EVAL.md');
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  writeFileSync(path, renderEvalMarkdown(local, threshold, llm, previousLlmSection(before)));
  console.log(`wrote ${path}`);
}
if (local.passRate < threshold) {
  console.error(`opsagent eval: the local pass rate ${(100 * local.passRate).toFixed(1)} % is below the published ${(100 * threshold).toFixed(1)} %`);
  process.exitCode = 1;
}
