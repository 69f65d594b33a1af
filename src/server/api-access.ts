import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf } from '../errors.js';
import { isLoopbackHost, isLoopbackOrigin } from '../model/loopback.js';

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
      return { status: httpStatusOf('UNAUTHORIZED'), error: 'UNAUTHORIZED', message: 'missing or wrong API token (Authorization: Bearer <server.apiToken>)' };
    }
    return undefined;
  }
  // Without a token the API is open to this machine only: not to a web page the operator happens to visit.
  const origin = request.headers.origin;
  if (!isLoopbackHost(request.headers.host) || (origin !== undefined && !isLoopbackOrigin(origin))) {
    return {
      status: httpStatusOf('FORBIDDEN'),
      error: 'FORBIDDEN',
      message: 'without server.apiToken the API answers only to 127.0.0.1, localhost or [::1] (set OPSAGENT_API_TOKEN to use it from elsewhere)',
    };
  }
  return undefined;
}

/**
 * Attaches the access check to each /api/v1 route when it is registered (in any plugin), so the decision is made on
 * the route Fastify matched, never on the raw URL (the router decodes the path: /%61pi/v1/… is /api/v1/…), and other
 * routes pay nothing per request. Discord's interactions route is signed instead.
 */
export function guardApiRoutes(app: FastifyInstance, apiToken: string): void {
  const guard = (route: string) => (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const refusal = refuseApiRequest(route, request, apiToken);
    if (refusal) void reply.code(refusal.status).send({ error: refusal.error, message: refusal.message });
    else done();
  };
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || route.url === '/api/v1/discord/interactions') return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard(route.url), ...own];
  });
}
