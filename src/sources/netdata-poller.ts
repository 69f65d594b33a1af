import { UpstreamError, errorMessage } from '../errors.js';
import type { AlertEvent } from '../model/alert.js';
import type { Logger } from '../logger.js';
import type { SqlExecutor } from '../store/database.js';
import { NetdataClient } from './netdata-client.js';
import {
  cursorAt,
  cursorStillValid,
  findRaisingEntry,
  parseCursor,
  raisedAlarmToEvent,
  transitionToEvent,
  type NetdataCursor,
} from './netdata-transition.js';

/** Where the poller keeps its cursor (IssueRepository implements it on source_cursors). */
export interface CursorStore {
  getCursor(sourceId: string): Promise<string | undefined>;
  setCursor(tx: SqlExecutor, sourceId: string, cursor: string, now: number): Promise<void>;
}

/**
 * Where the poller's events go (the issue tracker): a batch commits with the extra writes of `inTransaction` (the
 * cursor that covers it), all or nothing.
 */
export interface AlertSink {
  ingest(events: AlertEvent[], options: { inTransaction?: (tx: SqlExecutor) => Promise<void> }): Promise<unknown>;
}

export interface NetdataPollerOptions {
  url: string;
  /** '' = the Netdata host's uid from /api/v1/info. */
  serverId: string;
  pollIntervalMs: number;
  timeoutMs: number;
  tracker: AlertSink;
  cursors: CursorStore;
  logger: Logger;
  /** Longest wait between polls while Netdata is failing (default max(pollInterval, 60 s)). */
  maxBackoffMs?: number;
  onIngested?: (events: number) => void;
  onPollError?: (err: unknown) => void;
  now?: () => number;
}

type State = 'starting' | 'ok' | 'unreachable' | 'error' | 'stopped';

/**
 * A BackgroundService (pipeline/service.ts) by shape: stages do not import the wiring.
 * Follows one Netdata's alarm log (DESIGN §3): bootstrap from /api/v1/alarms, then every pollInterval read
 * /api/v1/alarm_log after the cursor and apply the transitions in unique_id order. The cursor commits in the same
 * transaction as the events it covers, so a restart neither repeats nor skips a transition.
 */
export class NetdataPoller {
  readonly name: string;
  readonly #o: NetdataPollerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #abort = new AbortController();
  #client: NetdataClient;
  #serverId: string;
  #cursor: NetdataCursor | undefined;
  #cursorLoaded = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #state: State = 'starting';
  #failures = 0;
  #failingSince: number | undefined;
  #lastError: string | undefined;
  #lastSuccessAt: number | undefined;
  #ingested = 0;

  constructor(options: NetdataPollerOptions) {
    this.#o = options;
    this.name = `netdata:${options.url}`;
    this.#log = options.logger.child({ component: 'netdata-poller', url: options.url });
    this.#now = options.now ?? Date.now;
    this.#serverId = options.serverId;
    this.#client = new NetdataClient(options.url, { timeoutMs: options.timeoutMs, signal: this.#abort.signal });
  }

  /** The server id its issues carry; '' until a Netdata without a configured id has told its uid. */
  get serverId(): string {
    return this.#serverId;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#abort.signal.aborted) {
      this.#abort = new AbortController();
      this.#client = new NetdataClient(this.#o.url, { timeoutMs: this.#o.timeoutMs, signal: this.#abort.signal });
    }
    this.#state = 'starting';
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#state = 'stopped';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }

  health(): { state: string; [k: string]: unknown } {
    return {
      state: this.#state,
      url: this.#o.url,
      server_id: this.#serverId || null,
      cursor: this.#cursor?.id ?? null,
      generation: this.#cursor?.generation ?? null,
      events_ingested: this.#ingested,
      consecutive_failures: this.#failures,
      last_success_at: this.#lastSuccessAt ?? null,
      ...(this.#lastError ? { error: this.#lastError } : {}),
    };
  }

  /** One poll now (tests and the first tick); errors are handled here, never thrown. */
  async pollOnce(): Promise<void> {
    try {
      await this.#cycle();
      this.#succeeded();
    } catch (err) {
      if (this.#stopped && this.#abort.signal.aborted) return; // our own stop aborted the request
      this.#failed(err);
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.pollOnce().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#nextDelayMs());
      });
    }, delayMs);
    this.#timer.unref();
  }

  #nextDelayMs(): number {
    const base = this.#o.pollIntervalMs;
    if (this.#failures === 0) return base;
    const max = this.#o.maxBackoffMs ?? Math.max(base, 60_000);
    return Math.min(base * 2 ** Math.min(this.#failures, 20), max);
  }

  #succeeded(): void {
    if (this.#failures > 0) {
      const downMs = this.#failingSince === undefined ? 0 : this.#now() - this.#failingSince;
      this.#log.info({ failedPolls: this.#failures, downSeconds: Math.round(downMs / 1000) }, `Netdata at ${this.#o.url} is reachable again`);
    }
    this.#failures = 0;
    this.#failingSince = undefined;
    this.#lastError = undefined;
    this.#lastSuccessAt = this.#now();
    this.#state = 'ok';
  }

  #failed(err: unknown): void {
    this.#failures++;
    this.#lastError = errorMessage(err);
    this.#state = err instanceof UpstreamError ? 'unreachable' : 'error';
    this.#o.onPollError?.(err);
    if (this.#failures === 1) {
      this.#failingSince = this.#now();
      // Once per outage: an unreachable Netdata must not flood the log every poll.
      this.#log.warn(
        { err: this.#lastError },
        `${this.#lastError}; polling it with backoff (webhooks and the API keep working); a line follows when it is back`,
      );
    } else {
      this.#log.debug({ err: this.#lastError, failures: this.#failures }, 'netdata poll failed again');
    }
  }

  get #sourceId(): string {
    return `netdata:${this.#serverId}`;
  }

  async #cycle(): Promise<void> {
    if (!this.#serverId) {
      const info = await this.#client.info();
      this.#serverId = info.uid;
      this.#log.info({ serverId: this.#serverId, version: info.version }, 'netdata server id taken from /api/v1/info uid');
    }
    if (!this.#cursorLoaded) {
      const text = await this.#o.cursors.getCursor(this.#sourceId);
      this.#cursor = parseCursor(text);
      if (text !== undefined && !this.#cursor) this.#log.warn({ cursor: text }, 'stored netdata cursor is unreadable; bootstrapping again');
      this.#cursorLoaded = true;
    }
    const cursor = this.#cursor;
    if (!cursor) return this.#bootstrap(1);

    const entries = await this.#client.alarmLog(Math.max(0, cursor.id - 1));
    if (!cursorStillValid(cursor, entries)) {
      this.#log.warn(
        { cursor: cursor.id, newest: entries.at(-1)?.unique_id ?? null },
        `Netdata at ${this.#o.url} no longer has alarm-log entry ${cursor.id} (restarted on a fresh state, or its log overflowed); re-bootstrapping`,
      );
      return this.#bootstrap(cursor.generation + 1);
    }
    const fresh = entries.filter((e) => e.unique_id > cursor.id);
    if (fresh.length === 0) return;
    const events = fresh.flatMap((e) => transitionToEvent(e, this.#serverId) ?? []);
    const last = fresh.at(-1)!;
    await this.#commit(events, cursorAt(cursor.generation, last, last.unique_id));
  }

  async #bootstrap(generation: number): Promise<void> {
    const alarms = await this.#client.alarms();
    const latest = alarms.latest_alarm_log_unique_id;
    const log = await this.#client.alarmLog();
    const events: AlertEvent[] = [];
    for (const alarm of Object.values(alarms.alarms)) {
      if (alarm.status !== 'WARNING' && alarm.status !== 'CRITICAL') continue;
      const entry = findRaisingEntry(log, alarm, latest);
      let context = entry?.context ?? '';
      if (!context) {
        try {
          context = await this.#client.chartContext(alarm.chart);
        } catch (err) {
          this.#log.debug({ chart: alarm.chart, err: errorMessage(err) }, 'no context for chart; using the chart id');
        }
      }
      const event = raisedAlarmToEvent(alarm, entry, context, this.#serverId, this.#now());
      if (event) events.push(event);
    }
    events.sort((a, b) => a.occurred_at - b.occurred_at);
    const anchor = log.find((e) => e.unique_id === latest);
    await this.#commit(events, cursorAt(generation, anchor, latest));
    this.#log.info({ serverId: this.#serverId, raised: events.length, cursor: latest, generation }, 'netdata bootstrapped');
  }

  async #commit(events: AlertEvent[], next: NetdataCursor): Promise<void> {
    const text = JSON.stringify(next);
    await this.#o.tracker.ingest(events, {
      inTransaction: (tx) => this.#o.cursors.setCursor(tx, this.#sourceId, text, this.#now()),
    });
    this.#cursor = next;
    if (events.length > 0) {
      this.#ingested += events.length;
      this.#o.onIngested?.(events.length);
      this.#log.debug({ events: events.length, cursor: next.id }, 'netdata transitions applied');
    }
  }
}
