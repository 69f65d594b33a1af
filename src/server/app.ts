import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { AppError, httpStatusOf, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { storeFailure } from '../store/sqlite-errors.js';
import { guardApiRoutes } from './api-access.js';

export interface AppOptions {
  logger: Logger;
  /** server.apiToken: '' = the API answers loopback only. */
  apiToken: string;
  bodyLimitBytes?: number;
}

/** Messages may echo client input (an unknown id); control characters are escaped so an error stays one line. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(httpStatusOf(code)).send({ error: code, message: oneLine(message) });
}

/**
 * The HTTP app without routes and without listening (tests use inject()): error answers, the API access check and
 * form bodies. Route groups are Fastify plugins the composition root registers with their own options.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Request logging is off, so a per-request child logger (a pino child with its redaction, on every request) only
    // added a request id to error lines, which already name the URL.
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    trustProxy: false,
  });
  await app.register(formbody, { bodyLimit });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AppError) return sendError(reply, err.code, err.message);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own rejections: unparsable JSON, body too large, wrong content type.
      const code = e.statusCode === 413 ? 'BODY_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INPUT_INVALID';
      return reply.code(e.statusCode).send({ error: code, message: oneLine(e.message ?? 'bad request') });
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
  guardApiRoutes(app, options.apiToken);
  return app;
}
