/**
 * The command line: every command's declaration (their bodies load on demand, see lazy.ts) and the one place errors
 * become exit codes. src/cli.ts runs it as an ES module (the tests and `npm run` use that); the shipped program is
 * this file bundled, started by src/bin.ts from V8's code cache.
 */
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin-commands.js';
import { registerAlertCommands } from './alerts-commands.js';
import { registerAnalysisCommands } from './analysis-commands.js';
import { registerActionCommands } from './actions-commands.js';
import { registerDigestCommand } from './digest-command.js';
import { registerIssueCommands } from './issues-commands.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerMigrateLegacyCommand } from './migrate-legacy-command.js';
import { registerSetupCommands } from './setup-commands.js';
import { registerTokenCommand } from './token-command.js';
import { AppError } from '../errors.js';
import type { SecretMasker } from '../secrets.js';

export function buildProgram(): Command {
  const program = new Command('opsagent')
    .description('OpsAgent: one tracked issue per alert type per server, with analysis, gated remediation and Discord')
    .option('--config <file>', 'config file (env OPSAGENT_CONFIG; else the first found of ./config/netdata.yaml, $XDG_CONFIG_HOME/opsagent/opsagent.yaml, /etc/opsagent/opsagent.yaml; see config-check)')
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
  registerMcpCommand(program);
  registerSetupCommands(program);
  return program;
}

/** Runs one command line (`argv` as process.argv: node, script, arguments…); sets process.exitCode. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2; // usage errors: commander already printed the message
      return;
    }
    if (!(err instanceof AppError)) {
      if (!process.execArgv.includes('--enable-source-maps') && !process.env.NODE_OPTIONS?.includes('--enable-source-maps')) {
        process.stderr.write('opsagent: a bug; NODE_OPTIONS=--enable-source-maps shows where in src/ it happened\n');
      }
      throw err; // a bug: let Node print the stack
    }
    console.error(`opsagent: ${(await secretsOf(program)).mask(err.message)}`);
    process.exitCode = 1;
  }
}

/**
 * The secrets to mask in an error message: those of the command's config when it loads (each command loads its own;
 * reading it again here is cheap and keeps the commands free of that concern), else the secret environment variables.
 * URL credentials are masked either way.
 */
async function secretsOf(program: Command): Promise<SecretMasker> {
  const [{ loadConfig }, { defaultConfigPath }, { SecretMasker }] = await Promise.all([import('../config/load.js'), import('../paths.js'), import('../secrets.js')]);
  try {
    return loadConfig(program.opts<{ config?: string }>().config ?? defaultConfigPath()).secrets;
  } catch {
    return SecretMasker.fromEnv(process.env);
  }
}

