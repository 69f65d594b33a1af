import { z } from 'zod';
import { UpstreamError, errorMessage, zodProblem } from '../errors.js';
import { SecretMasker, redactUrl, splitUrlCredentials, urlSecrets } from '../secrets.js';

/**
 * A small client for the Netdata 1.37 health API. Every answer is untrusted: it is parsed with zod and anything we
 * cannot use becomes an UpstreamError naming the URL, never a crash further down.
 */

/** Largest answer we read; the in-memory alarm log of Netdata is ~1000 entries (well under a MiB). */
const MAX_BODY_CHARS = 32 * 1024 * 1024;

const text = z.string().max(10_000);
const num = z.number().finite();

export const NetdataInfo = z.looseObject({
  version: z.string().max(100).optional(),
  uid: z.string().min(1).max(200),
});
export type NetdataInfo = z.infer<typeof NetdataInfo>;

export const NetdataAlarm = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1).max(500),
  chart: z.string().min(1).max(500),
  status: z.string().max(50),
  value: num.nullable().optional(),
  units: text.nullable().optional(),
  info: text.nullable().optional(),
  last_status_change: z.number().int().optional(),
});
export type NetdataAlarm = z.infer<typeof NetdataAlarm>;

export const NetdataAlarms = z.looseObject({
  hostname: z.string().max(500).optional(),
  latest_alarm_log_unique_id: z.number().int().min(0),
  alarms: z.record(z.string(), NetdataAlarm),
});
export type NetdataAlarms = z.infer<typeof NetdataAlarms>;

export const NetdataLogEntry = z.looseObject({
  unique_id: z.number().int(),
  alarm_id: z.number().int(),
  name: z.string().min(1).max(500),
  chart: z.string().min(1).max(500),
  context: z.string().max(500).nullable().optional(),
  status: z.string().max(50),
  old_status: z.string().max(50).nullable().optional(),
  when: z.number().int(),
  value: num.nullable().optional(),
  units: text.nullable().optional(),
  info: text.nullable().optional(),
});
export type NetdataLogEntry = z.infer<typeof NetdataLogEntry>;

export const NetdataAlarmLog = z.array(NetdataLogEntry).max(1_000_000);

export const NetdataChart = z.looseObject({
  id: z.string().max(500).optional(),
  context: z.string().min(1).max(500),
});

export interface NetdataClientOptions {
  timeoutMs: number;
  /** Aborts every request in flight (the poller's stop). */
  signal?: AbortSignal;
}

export class NetdataClient {
  /** The URL requests go to, without credentials. */
  readonly baseUrl: string;
  /** The URL for messages: credentials masked (http://***@host:19999). */
  readonly shownUrl: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  /** What Netdata (or a proxy) answers may echo the credentials back: masked before it becomes a message. */
  readonly #secrets: SecretMasker;

  constructor(baseUrl: string, options: NetdataClientOptions) {
    const trimmed = baseUrl.replace(/\/+$/, '');
    const { url, authorization } = splitUrlCredentials(trimmed);
    this.baseUrl = url;
    this.shownUrl = redactUrl(trimmed);
    this.#headers = { accept: 'application/json', ...(authorization ? { authorization } : {}) };
    this.#timeoutMs = options.timeoutMs;
    this.#signal = options.signal;
    this.#secrets = new SecretMasker(urlSecrets(trimmed));
  }

  info(): Promise<NetdataInfo> {
    return this.#get('/api/v1/info', NetdataInfo);
  }

  /** Raised alarms (WARNING/CRITICAL) and the newest alarm_log unique_id of the same moment. */
  alarms(): Promise<NetdataAlarms> {
    return this.#get('/api/v1/alarms', NetdataAlarms);
  }

  /** Transitions with unique_id > after (all when undefined), sorted oldest first (Netdata sends newest first). */
  async alarmLog(after?: number): Promise<NetdataLogEntry[]> {
    const path = after === undefined ? '/api/v1/alarm_log' : `/api/v1/alarm_log?after=${Math.max(0, Math.trunc(after))}`;
    const entries = await this.#get(path, NetdataAlarmLog);
    return entries.sort((a, b) => a.unique_id - b.unique_id);
  }

  async chartContext(chart: string): Promise<string> {
    const c = await this.#get(`/api/v1/chart?chart=${encodeURIComponent(chart)}`, NetdataChart);
    return c.context;
  }

  async #get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    try {
      return await this.#getUnmasked(path, schema);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      const masked = this.#secrets.mask(err.message);
      if (masked === err.message) throw err;
      throw new UpstreamError(masked, { status: err.status, retryable: err.retryable, cause: err.cause });
    }
  }

  async #getUnmasked<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([timeout, this.#signal]) : timeout;
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { signal, headers: this.#headers });
      body = await res.text();
    } catch (err) {
      const why = timeout.aborted ? `no answer within ${this.#timeoutMs} ms` : describeFetchError(err);
      throw new UpstreamError(`Netdata at ${this.shownUrl} is unreachable: ${why}`, { retryable: true, cause: err });
    }
    if (!res.ok) {
      throw new UpstreamError(`Netdata at ${this.shownUrl} answered HTTP ${res.status} to GET ${path}: ${body.slice(0, 200)}`, {
        status: res.status,
        retryable: res.status >= 500 || res.status === 429,
      });
    }
    if (body.length > MAX_BODY_CHARS) {
      throw new UpstreamError(`Netdata at ${this.shownUrl} sent ${body.length} characters for GET ${path} (more than we accept)`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw new UpstreamError(`Netdata at ${this.shownUrl} sent something that is not JSON for GET ${path}: ${JSON.stringify(body.slice(0, 80))}`, {
        cause: err,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new UpstreamError(`Netdata at ${this.shownUrl} sent an unexpected answer for GET ${path}: ${zodProblem(parsed.error)}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
}

function describeFetchError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return errorMessage(err);
}
