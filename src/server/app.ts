import { timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IssueTracker } from '../issues/issue-tracker.js';
import type { IssueRepository } from '../store/issue-repository.js';
import type { IssueDetailSource } from '../pipeline/issue-detail.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerHealthRoutes, type HealthCheck } from './routes/health.js';
import { registerIssueRoutes } from './routes/issues.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import type { Metrics } from './metrics.js';
import { isLoopbackHost, isLoopbackOrigin } from './loopback.js';

const STATUS: Record<ErrorCode, number> = {
  CONFIG_INVALID: 500,
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  AMBIGUOUS_ID: 409,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ACTION_DENIED: 403,
  ANALYSIS_UNUSABLE: 502,
  UPSTREAM_FAILED: 502,
  STORE_FAILED: 503,
};

export interface AppDeps {
  logger: Logger;
  tracker: IssueTracker;
  issues: IssueRepository;
  /** The actions of an issue, for GET /api/v1/issues/:id. */
  issueActions?: IssueDetailSource;
  /** server_id given to events that do not name one. */
  serverId: string;
  apiToken: string;
  bodyLimitBytes?: number;
  metrics: Metrics;
  health: HealthCheck;
  /** Further route groups (sources, actions, Discord, dashboard), registered by the composition root. */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
}

export function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Bearer token from the header, or `?token=` on webhooks (Netdata and Alertmanager senders are simple). */
function presentedToken(request: FastifyRequest, route: string): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  if (route.startsWith('/api/v1/webhooks/')) {
    const q = request.query as Record<string, unknown> | undefined;
    if (typeof q?.token === 'string') return q.token;
  }
  return undefined;
}

/** Messages may echo client input (an unknown id); control characters are escaped so an error stays one line. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const STORE_FAILURES: Record<string, string> = {
  SQLITE_FULL: 'the database or its disk is full',
  SQLITE_IOERR: 'the database could not write to disk (I/O error)',
  SQLITE_BUSY: 'the database stayed locked by another writer',
  SQLITE_LOCKED: 'the database stayed locked by another writer',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_NOMEM: 'the database ran out of memory',
};

/** An operator-readable sentence for SQLite's (better-sqlite3 and libSQL alike) resource failures; else undefined. */
export function storeFailure(code: string | undefined): string | undefined {
  const base = code?.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
  const what = base ? STORE_FAILURES[base] : undefined;
  return what ? `${what} (${code}): nothing was stored; retry when it is fixed` : undefined;
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(STATUS[code]).send({ error: code, message: oneLine(message) });
}

/** Why an API request is refused before its handler runs (form posts, token, loopback-only); undefined to let it in. */
function refuseApiRequest(route: string, request: FastifyRequest, apiToken: string): { status: number; error: string; message: string } | undefined {
  const formBody = (request.headers['content-type'] ?? '').trim().toLowerCase().startsWith('application/x-www-form-urlencoded');
  if (formBody && route !== '/api/v1/webhooks/netdata') {
    // Only Netdata's sender posts forms; elsewhere a form is what a cross-site page would send.
    return { status: 415, error: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON (Content-Type: application/json)' };
  }
  if (apiToken) {
    const given = presentedToken(request, route);
    if (given === undefined || !tokenMatches(given, apiToken)) {
      return { status: STATUS.UNAUTHORIZED, error: 'UNAUTHORIZED', message: 'missing or wrong API token (Authorization: Bearer <server.apiToken>)' };
    }
    return undefined;
  }
  // Without a token the API is open to this machine only: not to a web page the operator happens to visit.
  const origin = request.headers.origin;
  if (!isLoopbackHost(request.headers.host) || (origin !== undefined && !isLoopbackOrigin(origin))) {
    return {
      status: STATUS.FORBIDDEN,
      error: 'FORBIDDEN',
      message: 'without server.apiToken the API answers only to 127.0.0.1, localhost or [::1] (set OPSAGENT_API_TOKEN to use it from elsewhere)',
    };
  }
  return undefined;
}

/** Builds the HTTP app without listening (tests use inject()). Handlers only record; workers do the rest. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Request logging is off, so a per-request child logger (a pino child with its redaction, on every request) only
    // added a request id to error lines, which already name the URL.
    childLoggerFactory: (logger) => logger,
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    trustProxy: false,
  });
  await app.register(formbody, { bodyLimit: deps.bodyLimitBytes ?? 1_048_576 });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AppError) return sendError(reply, err.code, err.message);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own rejections: unparsable JSON, body too large, wrong content type.
      const code = e.statusCode === 413 ? 'BODY_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INPUT_INVALID';
      return reply.code(e.statusCode).send({ error: code, message: oneLine(e.message ?? 'bad request') });
    }
    const store = storeFailure(e.code);
    if (store) {
      // The database refused the write (disk full, I/O error, locked too long): nothing was stored, retry later.
      request.log.error({ err: e.message, code: e.code, url: request.url.split('?')[0] }, 'store write failed');
      return sendError(reply, 'STORE_FAILED', store);
    }
    request.log.error({ err, url: request.url.split('?')[0] }, 'request failed'); // no ?token= in logs
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the agent log' });
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  // Attached to each API route when it is registered, so the decision is made on the route Fastify matched, never on
  // the raw URL (the router decodes the path: /%61pi/v1/… is /api/v1/…), and other routes pay nothing per request.
  const guard = (route: string) => (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const refusal = refuseApiRequest(route, request, deps.apiToken);
    if (refusal) void reply.code(refusal.status).send({ error: refusal.error, message: refusal.message });
    else done();
  };
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || route.url === '/api/v1/discord/interactions') return; // Discord signs its calls
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard(route.url), ...own];
  });

  registerHealthRoutes(app, { health: deps.health, metrics: deps.metrics });
  registerAlertRoutes(app, deps);
  registerIssueRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}
