import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, isErrorCode, zodProblem } from '../../errors.js';

/**
 * The dashboard reads and writes through the same JSON API users script against, in process (Fastify inject: no
 * socket). So a page shows exactly what `GET /api/v1/...` returns, and the dashboard depends on the HTTP contract of
 * issues and actions rather than on the internals behind them.
 */
const IssueShape = z.looseObject({
  id: z.string(),
  server_id: z.string(),
  alert_fingerprint: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.string(),
  status: z.string(),
  source: z.string(),
  first_seen_at: z.number(),
  last_seen_at: z.number(),
  resolved_at: z.number().nullable(),
  alert_count: z.number(),
  metadata: z.record(z.string(), z.unknown()).nullable().transform((m) => m ?? {}),
});
export type IssueView = z.infer<typeof IssueShape>;

const CommentShape = z.looseObject({
  id: z.number(),
  author_type: z.string(),
  author_name: z.string().nullable(),
  comment_type: z.string(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.number(),
});
export type CommentView = z.infer<typeof CommentShape>;

const ServerCountsShape = z.looseObject({
  server_id: z.string(),
  open: z.number(),
  investigating: z.number(),
  resolved: z.number(),
  closed: z.number(),
});

export const IssueList = z.looseObject({
  issues: z.array(IssueShape),
  counts: z.record(z.string(), z.number()),
  /** Every server with an issue and its counts by status (a fleet shares one database). */
  servers: z.array(ServerCountsShape).default([]),
});
export type IssueListView = z.infer<typeof IssueList>;

export const IssueDetail = IssueShape.extend({
  comments: z.array(CommentShape),
  actions: z.array(z.record(z.string(), z.unknown())).default([]),
  runbook: z.object({ file: z.string(), title: z.string(), body: z.string(), actions: z.array(z.string()) }).optional(),
});
export type IssueDetailView = z.infer<typeof IssueDetail>;

/** GET /api/v1/actions answers `{ actions: [...] }`; a bare array is accepted too. */
export const ActionList = z
  .union([z.looseObject({ actions: z.array(z.record(z.string(), z.unknown())) }), z.array(z.record(z.string(), z.unknown()))])
  .transform((v) => (Array.isArray(v) ? v : v.actions));

const ApiErrorBody = z.looseObject({ error: z.string(), message: z.string() });

export type ApiResult = { ok: true; status: number; body: unknown } | { ok: false; status: number; error: string; message: string };

export class InProcessApi {
  readonly #app: FastifyInstance;
  readonly #headers: Record<string, string>;

  constructor(app: FastifyInstance, apiToken: string) {
    this.#app = app;
    this.#headers = apiToken ? { authorization: `Bearer ${apiToken}` } : {};
  }

  async call(method: 'GET' | 'POST', url: string, body?: Record<string, unknown>): Promise<ApiResult> {
    const res = await this.#app.inject({
      method,
      url,
      headers: { ...this.#headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body) as unknown;
    } catch {
      parsed = undefined;
    }
    if (res.statusCode < 400) return { ok: true, status: res.statusCode, body: parsed };
    const err = ApiErrorBody.safeParse(parsed);
    return err.success
      ? { ok: false, status: res.statusCode, error: err.data.error, message: err.data.message }
      : { ok: false, status: res.statusCode, error: 'INTERNAL', message: `the API answered HTTP ${res.statusCode}` };
  }

  /** GET and parse; an API error becomes an AppError with the API's own message (a 404 stays a 404). */
  async get<T>(url: string, schema: z.ZodType<T>): Promise<T> {
    const r = await this.call('GET', url);
    if (!r.ok) {
      if (isErrorCode(r.error) && r.status < 500) throw new AppError(r.error, r.message);
      throw new Error(`GET ${url} failed: ${r.message}`);
    }
    const parsed = schema.safeParse(r.body);
    if (!parsed.success) throw new Error(`GET ${url} answered an unexpected shape: ${zodProblem(parsed.error)}`);
    return parsed.data;
  }

  /** Whether a route exists (e.g. the actions API, which only the remediation stage registers). */
  hasRoute(method: 'GET' | 'POST', url: string): boolean {
    return this.#app.hasRoute({ method, url });
  }
}
