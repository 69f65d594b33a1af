import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { AppError, httpStatusOf, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { SecretMasker } from '../secrets.js';
import { storeFailure } from '../store/sqlite-errors.js';
import { AccessPolicy, guardRoutes } from './api-access.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Masks the config's secrets in every error answer (sendError). */
    secrets?: SecretMasker;
  }
}

export interface AppOptions {
  logger: Logger;
  /** Who may call which route (Host, Origin, content type, credential); the daemon builds it from its config. */
  access?: AccessPolicy;
  /** server.apiToken, when no `access` is given: '' = reads and ingest answer loopback only. */
  apiToken?: string;
  bodyLimitBytes?: number;
  /** server.requestTimeoutMs: the longest a client may take to send one whole request (headers and body). */
  requestTimeoutMs?: number;
  /** How long close() lets requests in flight finish before it cuts their connections (default 2 s). */
  closeGraceMs?: number;
  /** The config's secrets (masked in error answers); without it, URL credentials are still masked. */
  secrets?: SecretMasker;
}

/** Headers come in one packet from any real client; a client that dribbles them is holding a connection hostage. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Node's default is 5 s; Fastify's 72 s kept every idle webhook sender's socket open for over a minute. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Messages may echo client input (an unknown id); control characters are escaped so an error stays one line. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const secrets = reply.server.secrets;
  return reply.code(httpStatusOf(code)).send({ error: code, message: oneLine(secrets ? secrets.mask(message) : message) });
}

/**
 * Routes parse their input with zod (routes/parse-input.ts) and declare no JSON schema, so Fastify needs no schema
 * compiler; its default ones build Ajv when the app is made, most of the daemon's start-up after loading its code.
 * A route that declares a schema fails at registration, saying why.
 */
const NO_JSON_SCHEMAS = () => () => {
  throw new Error('routes validate with zod (parseInput), not with Fastify JSON schemas');
};

/**
 * The HTTP app without routes and without listening (tests use inject()): error answers, the access checks of every
 * route and form bodies. Route groups are Fastify plugins the composition root registers with their own options.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const secrets = options.secrets ?? new SecretMasker();
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Request logging is off, so a per-request child logger (a pino child with its redaction, on every request) only
    // added a request id to error lines, which already name the URL.
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    trustProxy: false,
    // Every request is bounded in time, so no client can hold a connection (and with it the shutdown) open by
    // trickling its body: Node answers 408 and closes it. Node checks the deadlines every connectionsCheckingInterval
    // (default 30 s, which would let a trickle live twice as long as the limit).
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: { requestTimeout, headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout), connectionsCheckingInterval: 1_000 },
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildValidator: NO_JSON_SCHEMAS, buildSerializer: NO_JSON_SCHEMAS } },
  });
  app.decorate('secrets', secrets);
  closeWithGrace(app, options.closeGraceMs ?? 2_000);
  await app.register(formbody, { bodyLimit });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AppError) return sendError(reply, err.code, err.message);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own rejections: unparsable JSON, body too large, wrong content type.
      const code = e.statusCode === 413 ? 'BODY_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INPUT_INVALID';
      return reply.code(e.statusCode).send({ error: code, message: oneLine(secrets.mask(e.message ?? 'bad request')) });
    }
    const store = storeFailure(err);
    if (store) {
      // The database refused the write (disk full, I/O error, locked too long): nothing was stored, retry later.
      request.log.error({ err: e.message, code: e.code, url: request.url.split('?')[0] }, 'store write failed');
      return sendError(reply, 'STORE_FAILED', store);
    }
    request.log.error({ err, url: request.url.split('?')[0] }, 'request failed'); // no ?token= in logs
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the agent log' });
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  guardRoutes(app, options.access ?? new AccessPolicy({ apiToken: options.apiToken ?? '' }));
  return app;
}

/**
 * close() stops accepting connections and closes the idle ones at once, then waits for the rest. Connections that
 * finish their answer meanwhile are closed as soon as they are idle; whatever is still open after graceMs (a client
 * trickling its body, one that never reads its answer) is cut. A cut request got no answer, so nothing it sent was
 * acknowledged; a handler that is already committing finishes (the composition root drains the tracker before it
 * closes the database).
 */
function closeWithGrace(app: FastifyInstance, graceMs: number): void {
  app.addHook('preClose', (done) => {
    const server = app.server;
    if (server.listening) {
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      idle.unref();
      cut.unref();
      server.once('close', () => {
        clearInterval(idle);
        clearTimeout(cut);
      });
    }
    done();
  });
}
