import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzerSettingsFrom } from '../analysis/settings.js';
import type { Config } from '../config/schema.js';
import { collectDigest, digestText } from '../notify/digest.js';
import { publicUrlOf } from '../pipeline/notifications.js';
import type { Remediation } from '../pipeline/remediation.js';
import type { Store } from '../pipeline/store-setup.js';
import { PACKAGE_ROOT } from '../paths.js';
import { NotificationRepository } from '../store/notification-repository.js';
import type { AnalysisNow, McpDeps } from './deps.js';
import { WriteBudget } from './write-budget.js';

/** Writes (notes, proposals, analyses) all MCP clients of one process may make per minute together. */
export const MCP_WRITES_PER_MINUTE = 30;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The MCP server's view of a process's store, gate and analysis: the daemon's own objects, or the CLI's. */
export function mcpDeps(parts: {
  config: Config;
  store: Store;
  remediation: Remediation;
  analyseNow: ((issueId: string) => Promise<AnalysisNow>) | undefined;
}): McpDeps {
  const { config, store } = parts;
  const notifications = new NotificationRepository(store.db);
  return {
    store,
    remediation: parts.remediation,
    proposalPolicy: analyzerSettingsFrom(config, store.serverId).policy,
    analyseNow: parts.analyseNow,
    digest: async (hours) => digestText(await collectDigest(notifications, Date.now(), hours), { publicUrl: publicUrlOf(config) }),
    writes: new WriteBudget(MCP_WRITES_PER_MINUTE),
    version: packageVersion(),
  };
}
