import { errorMessage } from '../../errors.js';
import type { Issue } from '../../model/issue.js';
import { LIVE_MACHINE, type MachineView } from '../machine-view.js';
import type { Need } from '../rules/rule.js';
import { unitOfAlert } from '../rules/systemd-units.js';
import type { AnalysisContext, Gathered } from '../types.js';
import { gatherChart } from './netdata-chart.js';
import type { ProcessFilter } from './processes.js';

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
  /** What processes, disks, memory and logs are read from: the live machine unless a recorded one is replayed (eval). */
  machine?: MachineView;
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
  readonly #m: MachineView;
  constructor(settings: GatherSettings) {
    this.#s = settings;
    this.#m = settings.machine ?? LIVE_MACHINE;
  }

  get settings(): GatherSettings {
    return this.#s;
  }

  get machine(): MachineView {
    return this.#m;
  }

  chart(serverId: string, chart: string) {
    const baseUrl = this.#s.netdataUrlFor(serverId);
    if (!baseUrl) return Promise.resolve<Gathered<never>>({ ok: false, error: `no Netdata URL known for server ${serverId}`, ms: 0 });
    return bounded(this.#s.timeoutMs, (signal) => gatherChart({ baseUrl, chart, windowSeconds: 600, timeoutMs: this.#s.timeoutMs, signal }));
  }

  processes(options: { bySwap?: boolean } = {}) {
    return bounded(this.#s.timeoutMs, (signal) =>
      this.#m.processes({ sampleMs: this.#s.cpuSampleMs ?? 400, top: 8, filter: this.#s.processFilter, bySwap: options.bySwap ?? false, signal }),
    );
  }

  disk() {
    return bounded(this.#s.timeoutMs, () =>
      this.#m.disk({
        roots: this.#s.cleanupRoots,
        olderThanDays: this.#s.olderThanDays,
        maxEntries: this.#s.maxWalkEntries ?? 20_000,
        timeoutMs: Math.max(100, this.#s.timeoutMs - 500),
      }),
    );
  }

  memory() {
    return bounded(this.#s.timeoutMs, () => this.#m.memory());
  }

  logs(minutes = 30) {
    return bounded(this.#s.timeoutMs, (signal) =>
      this.#m.logs({ minutes, maxLines: 40, logFiles: this.#s.logFiles, timeoutMs: this.#s.timeoutMs, signal }),
    );
  }

  /** OOM kills and other kernel memory messages of the last hour. */
  kernelLog(minutes = 60) {
    return bounded(this.#s.timeoutMs, (signal) => this.#m.kernelLog({ minutes, maxLines: 40, timeoutMs: this.#s.timeoutMs, signal }));
  }

  unit(name: string) {
    return bounded(this.#s.timeoutMs, (signal) => this.#m.unit(name, { timeoutMs: this.#s.timeoutMs, maxLines: 20, signal }));
  }

  /**
   * Everything at once, in parallel: what the local analyser works from and what the LLM sees first. `needs` adds
   * what the alert's rule asks for beyond the usual (swap per process, the kernel log, the alarm's systemd unit).
   */
  async gatherAll(issue: Issue, needs: readonly Need[] = []): Promise<AnalysisContext> {
    const alert = alertOf(issue);
    const local = issue.server_id === this.#s.localServerId;
    const chartP = alert.chart ? this.chart(issue.server_id, alert.chart) : Promise.resolve(undefined);
    if (!local) {
      const chart = await chartP;
      return { alert, local, ...(chart ? { chart } : {}) };
    }
    const unitName = needs.includes('unit') ? unitOfAlert(alert) : undefined;
    const [chart, processes, disk, memory, logs, kernel, unit] = await Promise.all([
      chartP,
      this.processes({ bySwap: needs.includes('swap') }),
      this.disk(),
      this.memory(),
      this.logs(),
      needs.includes('kernelLog') ? this.kernelLog() : Promise.resolve(undefined),
      unitName ? this.unit(unitName) : Promise.resolve(undefined),
    ]);
    return { alert, local, ...(chart ? { chart } : {}), processes, disk, memory, logs, ...(kernel ? { kernel } : {}), ...(unit ? { unit } : {}) };
  }
}
