import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

export function registerAnalysisCommands(program: Command): void {
  program
    .command('issues-analyze')
    .description('analyse an issue now (local rules, or the LLM when llm.apiKey is set), record it and print it')
    .argument('<id>', 'issue id or a unique prefix')
    .option('--json', 'machine-readable output')
    .action(
      lazyAction(program, async () => (await import('./analysis-handlers.js')).issuesAnalyze),
    );
}
