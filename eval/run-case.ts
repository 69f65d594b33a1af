import { IssueAnalyzer } from '../src/analysis/issue-analyzer.js';
import type { LlmSettings } from '../src/analysis/llm-agent.js';
import { analyzerSettingsFrom } from '../src/analysis/settings.js';
import type { AnalysisResult } from '../src/analysis/types.js';
import { defaultConfig } from '../src/config/load.js';
import { generateFingerprint } from '../src/issues/fingerprint.js';
import type { Issue } from '../src/model/issue.js';
import { transitionToEvent } from '../src/sources/netdata-transition.js';
import type { EvalCase } from './case.js';
import { RecordedMachineView } from './recorded-machine.js';

/** The issue the tracker would open for the case's alarm-log entry (the poller's translation, then the first firing). */
export function issueOf(c: EvalCase): Issue {
  const event = transitionToEvent(c.alert, c.server);
  if (!event) throw new Error(`eval case ${c.id}: status ${c.alert.status} is not a firing`);
  const inputs = { name: event.name, context: event.context ?? event.name, chart: event.chart ?? event.context ?? event.name };
  const at = event.occurred_at ?? 0;
  return {
    id: `issue-${at}-${c.id.slice(0, 6).padEnd(6, 'x').replace(/[^a-z0-9]/g, 'x')}`,
    server_id: event.server_id ?? c.server,
    alert_fingerprint: generateFingerprint(inputs),
    title: event.name,
    description: event.info ?? null,
    severity: event.status === 'CRITICAL' ? 'critical' : 'warning',
    status: 'open',
    source: 'netdata',
    source_alert_id: event.source_alert_id ?? null,
    first_seen_at: at,
    last_seen_at: at,
    resolved_at: null,
    alert_count: 1,
    metadata: { fingerprint_inputs: inputs, ...(event.units ? { units: event.units } : {}) },
  };
}

/** Port 9 on loopback (discard) has no listener here: what an unreachable Netdata looks like to the gatherer. */
const UNREACHABLE_NETDATA = 'http://127.0.0.1:9';

/** The analyser of one case: the daemon's settings for the case's config, reading the recorded machine. */
export function analyzerFor(c: EvalCase, llm?: LlmSettings): IssueAnalyzer {
  const config = defaultConfig({
    opsagent: { serverId: c.machineServer, permissionLevel: c.config.permissionLevel },
    netdata: { url: '' },
    actions: { killProcess: c.config.killProcess, restartService: c.config.restartService, cleanupDisk: { roots: c.config.cleanupRoots, olderThanDays: c.config.olderThanDays } },
  });
  const settings = analyzerSettingsFrom(config, c.machineServer);
  settings.gather.machine = new RecordedMachineView(c.machine);
  settings.gather.netdataUrlFor = () => (c.netdataUnreachable ? UNREACHABLE_NETDATA : undefined);
  settings.gather.timeoutMs = 2_000;
  if (llm) settings.llm = llm;
  else delete settings.llm;
  return new IssueAnalyzer(settings);
}

export async function runCase(c: EvalCase, llm?: LlmSettings): Promise<{ result: AnalysisResult; wallMs: number }> {
  const started = performance.now();
  const result = await analyzerFor(c, llm).analyse(issueOf(c));
  return { result, wallMs: performance.now() - started };
}
