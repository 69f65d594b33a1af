import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { AppError } from '../errors.js';
import { formatMatcher } from '../model/matchers.js';
import { loadRunbooks } from '../model/runbook.js';
import { findConfig, opsagentHome, resolveRunbooksDir } from '../paths.js';

/** `opsagent runbooks-check [dir]`: every runbook of the folder parsed and checked; one line per problem, exit 1. */
export function runbooksCheck(program: Command, dirArg: string | undefined): void {
  let dir = dirArg;
  if (!dir) {
    const path = program.opts<{ config?: string }>().config ?? findConfig().path;
    const { config } = loadConfig(path);
    dir = resolveRunbooksDir(config.runbooks.dir, opsagentHome());
    if (!dir) throw new AppError('INPUT_INVALID', `${path} sets no runbooks.dir; name the folder: opsagent runbooks-check <dir>`);
  }
  const { runbooks, problems } = loadRunbooks(dir);
  for (const r of runbooks) {
    const actions = r.actions.length > 0 ? `; actions: ${r.actions.map((a) => a.type).join(', ')}` : '';
    console.log(`${r.file}: "${r.title}" for ${r.match.map(formatMatcher).join(', ')}${actions}`);
  }
  for (const p of problems) console.error(`opsagent: ${p}`);
  if (problems.length > 0) {
    process.exitCode = 1;
    return;
  }
  console.log(`${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} in ${dir}: all valid`);
}
