#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './cli/admin-commands.js';
import { registerAlertCommands } from './cli/alerts-commands.js';
import { registerAnalysisCommands } from './cli/analysis-commands.js';
import { registerActionCommands } from './cli/actions-commands.js';
import { registerDigestCommand } from './cli/digest-command.js';
import { registerIssueCommands } from './cli/issues-commands.js';
import { registerMigrateLegacyCommand } from './cli/migrate-legacy-command.js';
import { registerTokenCommand } from './cli/token-command.js';
import { loadConfig } from './config/load.js';
import { AppError } from './errors.js';
import { defaultConfigPath } from './paths.js';
import { SecretMasker } from './secrets.js';

export function buildProgram(): Command {
  const program = new Command('opsagent')
    .description('OpsAgent: one tracked issue per alert type per server, with analysis, gated remediation and Discord')
    .option('--config <file>', 'config file (env OPSAGENT_CONFIG; default config/netdata.yaml)')
    .option('--db <url>', 'database: a file path, file:PATH, libsql://… or https://… (env OPSAGENT_DB_URL)')
    .showHelpAfterError()
    .exitOverride();
  registerAdminCommands(program);
  registerIssueCommands(program);
  registerAlertCommands(program);
  registerAnalysisCommands(program);
  registerActionCommands(program);
  registerDigestCommand(program);
  registerMigrateLegacyCommand(program);
  registerTokenCommand(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2; // usage errors: commander already printed the message
      return;
    }
    if (!(err instanceof AppError)) throw err; // a bug: let Node print the stack
    console.error(`opsagent: ${secretsOf(program).mask(err.message)}`);
    process.exitCode = 1;
  }
}

/**
 * The secrets to mask in an error message: those of the command's config when it loads (each command loads its own;
 * reading it again here is cheap and keeps the commands free of that concern), else the secret environment variables.
 * URL credentials are masked either way.
 */
function secretsOf(program: Command): SecretMasker {
  try {
    return loadConfig(program.opts<{ config?: string }>().config ?? defaultConfigPath()).secrets;
  } catch {
    return SecretMasker.fromEnv(process.env);
  }
}

await main();
