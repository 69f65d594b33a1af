import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf } from '../errors.js';
import { allowedHostNames, hostNameOf, isLoopbackName } from './host-names.js';

export function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return expected !== '' && a.length === b.length && timingSafeEqual(a, b);
}

export interface AccessOptions {
  /**
   * server.apiToken: when set, every /api/v1 route and POST /api/v2/alerts need it, reads and ingest included.
   * '' = those stay open on loopback.
   */
  apiToken: string;
  /**
   * The credential that steers the agent (approve, reject, status changes, notes, and any state-changing route that is
   * not ingest): server.apiToken when set, else the daemon's local token (`opsagent token`). Default: apiToken.
   */
  steeringToken?: string;
  /** The Host names this daemon answers to (see host-names.ts). Default: the loopback names. */
  allowedHosts?: ReadonlySet<string>;
  /** server.publicUrl ('' = none): its origin is ours too (a TLS proxy in front). */
  publicUrl?: string;
}

type Refusal = { status: number; error: string; message: string };

/** The Alertmanager API v2 receiver (Prometheus, vmalert): an ingest route outside /api/v1, under the same rules. */
const ALERTMANAGER_API_ROUTE = '/api/v2/alerts';

/** Where alerts come in: open to local senders without server.apiToken (Netdata's alarm-notify.sh, scripts). */
function isIngestRoute(route: string): boolean {
  return route === '/api/v1/alerts' || route.startsWith('/api/v1/webhooks/') || route === ALERTMANAGER_API_ROUTE;
}

/** Routes under the API rules (content type, credential): /api/v1 and the Alertmanager API v2 receiver. */
function isApiRoute(route: string): boolean {
  return route.startsWith('/api/v1/') || route === ALERTMANAGER_API_ROUTE;
}
/** Netdata's custom_sender posts a form; nothing else may. */
const FORM_ROUTES = new Set(['/api/v1/webhooks/netdata']);
/** Signed by Discord (Ed25519), Slack (v0 HMAC) or Telegram (secret token) and checked by their routes; reached through whatever name the service was given. */
const SIGNED_ROUTES = new Set(['/api/v1/discord/interactions', '/api/v1/slack/interactions', '/api/v1/telegram/webhook']);

const READ_METHODS = new Set(['GET', 'HEAD']);

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The media type without parameters: `Text/Plain; charset=x` → `text/plain`. */
function mediaType(request: FastifyRequest): string {
  return (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Something only a browser sends. Browsers put Origin on every cross-origin POST (no-cors fetches and form posts
 * included) and Sec-Fetch-Site/-Dest on every request to a loopback or https origin; curl, alarm-notify.sh,
 * Alertmanager and Node's fetch send neither (Node's fetch sends Sec-Fetch-Mode only).
 */
function fromBrowser(request: FastifyRequest): boolean {
  return (
    request.headers.origin !== undefined ||
    request.headers['sec-fetch-site'] !== undefined ||
    request.headers['sec-fetch-dest'] !== undefined ||
    request.headers['sec-fetch-user'] !== undefined
  );
}

function presentedToken(request: FastifyRequest, route: string): string | undefined {
  const auth = header(request, 'authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  // Netdata's and Alertmanager's senders cannot always set a header: ?token= on webhooks only (never on steering).
  if (route.startsWith('/api/v1/webhooks/')) {
    const q = request.query as Record<string, unknown> | undefined;
    if (typeof q?.token === 'string') return q.token;
  }
  return undefined;
}

/**
 * The access rules of every route, decided before body parsing. One object so the dashboard's own checks (session,
 * CSRF) and the API's agree on what "this daemon's origin" is.
 */
export class AccessPolicy {
  readonly #apiToken: string;
  readonly #steeringToken: string;
  readonly #hosts: ReadonlySet<string>;
  readonly #publicOrigin: string | undefined;

  constructor(options: AccessOptions) {
    this.#apiToken = options.apiToken;
    this.#steeringToken = options.steeringToken ?? options.apiToken;
    this.#hosts = options.allowedHosts ?? allowedHostNames({ bindHost: '127.0.0.1' });
    let origin: string | undefined;
    try {
      origin = options.publicUrl ? new URL(options.publicUrl).origin.toLowerCase() : undefined;
    } catch {
      origin = undefined;
    }
    this.#publicOrigin = origin;
  }

  /** The credential the dashboard login and steering requests are checked against ('' = none: steering refused). */
  get steeringToken(): string {
    return this.#steeringToken;
  }

  /** True when server.apiToken is set (the credential is the operator's own; otherwise the generated local one). */
  get apiTokenConfigured(): boolean {
    return this.#apiToken !== '';
  }

  hostRefusal(request: FastifyRequest): Refusal | undefined {
    const name = hostNameOf(request.headers.host);
    if (name !== undefined && this.#hosts.has(name)) return undefined;
    return {
      status: httpStatusOf('FORBIDDEN'),
      error: 'FORBIDDEN',
      message:
        'this agent answers only to its own host names (127.0.0.1, localhost, [::1], server.host, the host of server.publicUrl, server.allowedHosts); add the name you use to server.allowedHosts',
    };
  }

  /** Origin `http://<Host>` (a page this daemon served, on the port the browser used) or server.publicUrl's origin. */
  isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
    const o = origin.trim().toLowerCase();
    if (this.#publicOrigin !== undefined && o === this.#publicOrigin) return true;
    return hostHeader !== undefined && o === `http://${hostHeader.trim().toLowerCase()}`;
  }

  /**
   * A request a page of another origin made the browser send. State changes must come from this daemon's own pages
   * (Sec-Fetch-Site: same-origin); reads may also be typed into the address bar (none).
   */
  crossOriginRefusal(request: FastifyRequest): Refusal | undefined {
    const site = header(request, 'sec-fetch-site')?.toLowerCase();
    const origin = header(request, 'origin');
    const read = READ_METHODS.has(request.method);
    const siteOk = site === undefined || site === 'same-origin' || (read && site === 'none');
    if (siteOk && (origin === undefined || this.isOwnOrigin(origin, request.headers.host))) return undefined;
    return {
      status: httpStatusOf('FORBIDDEN'),
      error: 'FORBIDDEN',
      message: 'refused a request sent by a web page of another origin: this API is for programs and for this agent\'s own dashboard',
    };
  }

  /** The /api/v1 rules for one matched route: content type, then the credential the route needs. */
  apiRefusal(route: string, request: FastifyRequest): Refusal | undefined {
    const read = READ_METHODS.has(request.method);
    if (!read) {
      // A browser posts text/plain, forms and multipart (or nothing) to any origin without asking first; JSON it must
      // ask for (a CORS preflight this server never grants). So state changes take JSON, and Netdata's form only from
      // a sender that is not a browser.
      const type = mediaType(request);
      const form = type === 'application/x-www-form-urlencoded' && FORM_ROUTES.has(route) && !fromBrowser(request);
      if (type !== 'application/json' && !form) {
        return {
          status: 415,
          error: 'UNSUPPORTED_MEDIA_TYPE',
          message: FORM_ROUTES.has(route)
            ? 'send JSON (Content-Type: application/json) or the form Netdata\'s alarm-notify.sh posts'
            : 'send a JSON body with Content-Type: application/json (an empty request is `{}`)',
        };
      }
    }
    const ingest = !read && isIngestRoute(route);
    if (read || ingest) {
      if (this.#apiToken) return this.#credentialRefusal(request, route, this.#apiToken);
      // Open without server.apiToken, but only to this machine: the bind is loopback, and so must the name be.
      if (!isLoopbackName(hostNameOf(request.headers.host))) {
        return {
          status: httpStatusOf('FORBIDDEN'),
          error: 'FORBIDDEN',
          message: 'without server.apiToken the API answers only to 127.0.0.1, localhost or [::1] (set OPSAGENT_API_TOKEN to use it from elsewhere)',
        };
      }
      return undefined;
    }
    // Everything else changes what the agent does or has decided: always a credential, loopback or not.
    return this.#credentialRefusal(request, route, this.#steeringToken);
  }

  /** A route that steers the agent whatever the method (MCP at /mcp): the steering credential, on loopback too. */
  steeringRefusal(request: FastifyRequest, route: string): Refusal | undefined {
    return this.#credentialRefusal(request, route, this.#steeringToken);
  }

  #credentialRefusal(request: FastifyRequest, route: string, expected: string): Refusal | undefined {
    const given = presentedToken(request, route);
    if (given !== undefined && tokenMatches(given, expected)) return undefined;
    return {
      status: httpStatusOf('UNAUTHORIZED'),
      error: 'UNAUTHORIZED',
      message: this.#apiToken
        ? 'missing or wrong API token (Authorization: Bearer <server.apiToken>)'
        : 'steering the agent needs its local token: Authorization: Bearer $(opsagent token) (the file only the agent\'s user can read)',
    };
  }
}

/**
 * Attaches the access checks to each route when it is registered (in any plugin), so the decision is made on the
 * route Fastify matched, never on the raw URL (the router decodes the path: /%61pi/v1/… is /api/v1/…). Every route
 * checks the Host and, for state changes, the Origin; /api/v1 routes also the content type and the credential.
 * Discord's interactions route is signed instead.
 */
export function guardRoutes(app: FastifyInstance, policy: AccessPolicy): void {
  const guard = (route: string) => (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const refusal =
      policy.hostRefusal(request) ??
      (!READ_METHODS.has(request.method) || isApiRoute(route) ? policy.crossOriginRefusal(request) : undefined) ??
      (isApiRoute(route) ? policy.apiRefusal(route, request) : undefined);
    if (refusal) void reply.code(refusal.status).send({ error: refusal.error, message: refusal.message });
    else done();
  };
  app.addHook('onRoute', (route) => {
    if (SIGNED_ROUTES.has(route.url)) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard(route.url), ...own];
  });
}
