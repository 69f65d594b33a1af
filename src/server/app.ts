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

const STATUS: Record<ErrorCode, number> = {
  CONFIG_INVALID: 500,
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  AMBIGUOUS_ID: 409,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
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
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  if (request.url.startsWith('/api/v1/webhooks/')) {
    const q = request.query as Record<string, unknown> | undefined;
    if (typeof q?.token === 'string') return q.token;
  }
  return undefined;
}

/** Messages may echo client input (an unknown id); control characters are escaped so an error stays one line. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(STATUS[code]).send({ error: code, message: oneLine(message) });
}

/** Builds the HTTP app without listening (tests use inject()). Handlers only record; workers do the rest. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
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
    request.log.error({ err, url: request.url }, 'request failed');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the agent log' });
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  if (deps.apiToken) {
    const token = deps.apiToken;
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/v1/')) return;
      if (request.url.startsWith('/api/v1/discord/interactions')) return; // signed by Discord instead
      const given = presentedToken(request);
      if (given === undefined || !tokenMatches(given, token)) {
        return sendError(reply, 'UNAUTHORIZED', 'missing or wrong API token (Authorization: Bearer <server.apiToken>)');
      }
    });
  }

  registerHealthRoutes(app, { health: deps.health, metrics: deps.metrics });
  registerAlertRoutes(app, deps);
  registerIssueRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}
