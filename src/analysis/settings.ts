import type { Config } from '../config/schema.js';
import { secretMaskerFor } from '../config/secret-values.js';
import { Redactor } from './redact.js';
import type { AnalyzerSettings } from './issue-analyzer.js';

/** Cuts the analyser's settings from the config: the gatherers' bounds, the proposal checks, the LLM (when keyed). */
export function analyzerSettingsFrom(config: Config, localServerId: string): AnalyzerSettings {
  const kp = config.actions.killProcess;
  const netdataUrlFor = (serverId: string): string | undefined => {
    const listed = config.netdata.servers.find((s) => s.id === serverId);
    if (listed) return listed.url;
    // the main Netdata URL describes this machine (or the only server configured)
    if (config.netdata.url && (serverId === localServerId || config.netdata.servers.length === 0)) return config.netdata.url;
    return undefined;
  };
  return {
    gather: {
      localServerId,
      netdataUrlFor,
      processFilter: { protectedNames: kp.protectedNames, allowedNames: kp.allowedNames, allowedUsers: kp.allowedUsers, allowedCgroups: kp.allowedCgroups, allowedPids: kp.allowedPids },
      cleanupRoots: config.actions.cleanupDisk.roots,
      olderThanDays: config.actions.cleanupDisk.olderThanDays,
      logFiles: config.analysis.logFiles,
      timeoutMs: config.analysis.gatherTimeoutMs,
    },
    policy: {
      processFilter: { protectedNames: kp.protectedNames, allowedNames: kp.allowedNames, allowedUsers: kp.allowedUsers, allowedCgroups: kp.allowedCgroups, allowedPids: kp.allowedPids },
      cleanupRoots: config.actions.cleanupDisk.roots,
      serviceAllow: config.actions.restartService.allow,
      serviceDeny: config.actions.restartService.deny,
      permissionLevel: config.opsagent.permissionLevel,
    },
    ...(config.llm.apiKey
      ? {
          llm: {
            baseUrl: config.llm.baseUrl,
            apiKey: config.llm.apiKey,
            model: config.opsagent.model,
            requestTimeoutMs: config.llm.timeoutSeconds * 1000,
            overallTimeoutMs: config.llm.timeoutSeconds * 1000 * 3,
            maxSteps: config.llm.maxSteps,
            maxCompletionTokens: config.llm.maxCompletionTokens,
            // The agent's own secrets (config and environment) first, then secret shapes, then the operator's patterns.
            redactor: new Redactor({ known: secretMaskerFor(config), extraPatterns: config.llm.redact.patterns }),
          },
        }
      : {}),
  };
}
