import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { configCandidates, findConfig, type ConfigCandidate } from '../paths.js';
import { redactUrl } from '../secrets.js';

function chosen(program: Command, file: string | undefined): ConfigCandidate {
  if (file) return { path: file, source: 'the argument' };
  const option = program.opts<{ config?: string }>().config;
  return option ? { path: option, source: '--config' } : findConfig();
}

export function configCheck(program: Command, file: string | undefined): void {
  const { path, source } = chosen(program, file);
  // Before loading, so that an invalid file still says which one it is and where else a config is looked for.
  console.log(`using ${path} (${source})`);
  if (source !== 'the argument' && source !== '--config') {
    console.log(`  looked for, in order: ${configCandidates().map((c) => c.path).join(', ')}`);
  }
  const { config, warnings, secrets } = loadConfig(path);
  for (const w of warnings) console.log(secrets.mask(`warning: ${w}`));
  console.log(
    secrets.mask(
      `${path} is valid: permissionLevel ${config.opsagent.permissionLevel}, autoRemediate ${config.opsagent.autoRemediate}, ` +
        `server ${config.server.host}:${config.server.port}, database ${redactUrl(config.database.url)}`,
    ),
  );
}
