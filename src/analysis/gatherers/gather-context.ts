import { errorMessage } from '../../errors.js';
import type { Issue } from '../../model/issue.js';
import type { AnalysisContext, Gathered } from '../types.js';
import { gatherDisk } from './disk.js';
import { gatherLogs } from './logs.js';
import { gatherMemory } from './memory.js';
import { gatherChart } from './netdata-chart.js';
import { gatherProcesses, type ProcessFilter } from './processes.js';

/** Everything the read-only gatherers need, cut from the config by the composition root. */
export interface GatherSettings {
  /** This machine's server_id: process, disk, memory and log context only describe issues of this server. */
  localServerId: string;
  /** The Netdata base URL of a server, or undefined when that server's Netdata is unknown. */
  netdataUrlFor: (serverId: string) => string | undefined;
  processFilter: ProcessFilter;
  cleanupRoots: string[];
  olderThanDays: number;
  logFiles: string[];
  /** Bound of each gatherer. */
  timeoutMs: number;
  cpuSampleMs?: number;
  maxWalkEntries?: number;
}

/** Runs one gatherer within a time bound; a failure or timeout becomes a note, never an exception. */
export async function bounded<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<Gathered<T>> {
  const started = Date.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const data = await Promise.race([fn(controller.signal), timeout]);
    return { ok: true, data, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, error: errorMessage(err).slice(0, 300), ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

export function alertOf(issue: Issue): AnalysisContext['alert'] {
  const inputs = issue.metadata.fingerprint_inputs;
  return {
    issueId: issue.id,
    serverId: issue.server_id,
    title: issue.title,
    name: inputs?.name ?? issue.title,
    context: inputs?.context ?? '',
    chart: inputs?.chart ?? '',
    severity: issue.severity,
    status: issue.status,
    description: issue.description,
    alertCount: issue.alert_count,
    firstSeenAt: issue.first_seen_at,
    lastSeenAt: issue.last_seen_at,
  };
}

/** The read-only investigation tools, shared by the local analyser (all at once) and the LLM agent (on request). */
export class Gatherers {
  readonly #s: GatherSettings;
  constructor(settings: GatherSettings) {
    this.#s = settings;
  }

  get settings(): GatherSettings {
    return this.#s;
  }

  chart(serverId: string, chart: string) {
    const baseUrl = this.#s.netdataUrlFor(serverId);
    if (!baseUrl) return Promise.resolve<Gathered<never>>({ ok: false, error: `no Netdata URL known for server ${serverId}`, ms: 0 });
    return bounded(this.#s.timeoutMs, (signal) => gatherChart({ baseUrl, chart, windowSeconds: 600, timeoutMs: this.#s.timeoutMs, signal }));
  }

  processes() {
    return bounded(this.#s.timeoutMs, (signal) =>
      gatherProcesses({ sampleMs: this.#s.cpuSampleMs ?? 400, top: 8, filter: this.#s.processFilter, signal }),
    );
  }

  disk() {
    return bounded(this.#s.timeoutMs, () =>
      gatherDisk({
        roots: this.#s.cleanupRoots,
        olderThanDays: this.#s.olderThanDays,
        maxEntries: this.#s.maxWalkEntries ?? 20_000,
        timeoutMs: Math.max(100, this.#s.timeoutMs - 500),
      }),
    );
  }

  memory() {
    return bounded(this.#s.timeoutMs, () => gatherMemory());
  }

  logs(minutes = 30) {
    return bounded(this.#s.timeoutMs, (signal) =>
      gatherLogs({ minutes, maxLines: 40, logFiles: this.#s.logFiles, timeoutMs: this.#s.timeoutMs, signal }),
    );
  }

  /** Everything at once, in parallel; what the local analyser works from and what the LLM sees first. */
  async gatherAll(issue: Issue): Promise<AnalysisContext> {
    const alert = alertOf(issue);
    const local = issue.server_id === this.#s.localServerId;
    const chartP = alert.chart ? this.chart(issue.server_id, alert.chart) : Promise.resolve(undefined);
    if (!local) {
      const chart = await chartP;
      return { alert, local, ...(chart ? { chart } : {}) };
    }
    const [chart, processes, disk, memory, logs] = await Promise.all([chartP, this.processes(), this.disk(), this.memory(), this.logs()]);
    return { alert, local, ...(chart ? { chart } : {}), processes, disk, memory, logs };
  }
}
