import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'opsagent_session';
const DEFAULT_MAX_AGE_MS = 12 * 3_600_000;

function hmac(key: string | Buffer, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads one cookie from a Cookie header; values we set are base64url and dots, so no decoding is needed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Dashboard sessions without server-side state. With `server.apiToken` set, a session is `<issuedMs>.<HMAC(token,
 * issuedMs)>`: it proves the browser once presented the token, expires after maxAgeMs, and dies when the token is
 * rotated. CSRF tokens are an HMAC of the session, so a page that cannot read our pages cannot forge one. Without a
 * token (loopback only) there is no login, but forms still carry a CSRF token keyed by a per-process secret.
 */
export class DashboardAuth {
  readonly #token: string;
  readonly #openSecret = randomBytes(32);
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(apiToken: string, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#token = apiToken;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** True when a login is needed (server.apiToken is set). */
  get required(): boolean {
    return this.#token !== '';
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  tokenMatches(given: string): boolean {
    return this.required && same(given, this.#token);
  }

  issueSession(): string {
    const issued = String(this.#now());
    return `${issued}.${hmac(this.#token, `dashboard-session:${issued}`)}`;
  }

  /** The valid session from a Cookie header, or undefined (none, forged, expired, or from an older token). */
  sessionOf(cookieHeader: string | undefined): string | undefined {
    if (!this.required) return undefined;
    const value = readCookie(cookieHeader, SESSION_COOKIE);
    const match = value ? /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!value || !match) return undefined;
    const age = this.#now() - Number(match[1]);
    if (age < -60_000 || age > this.#maxAgeMs) return undefined;
    return same(match[2]!, hmac(this.#token, `dashboard-session:${match[1]!}`)) ? value : undefined;
  }

  /** May this request see dashboard pages? */
  allows(cookieHeader: string | undefined): boolean {
    return !this.required || this.sessionOf(cookieHeader) !== undefined;
  }

  /** The CSRF token pages embed in their forms for this browser. */
  csrfFor(cookieHeader: string | undefined): string {
    if (!this.required) return hmac(this.#openSecret, 'dashboard-csrf:open');
    const session = this.sessionOf(cookieHeader);
    return session ? hmac(this.#token, `dashboard-csrf:${session}`) : '';
  }

  csrfValid(cookieHeader: string | undefined, given: unknown): boolean {
    if (typeof given !== 'string' || given === '') return false;
    const expected = this.csrfFor(cookieHeader);
    return expected !== '' && same(given, expected);
  }

  sessionCookie(value: string): string {
    return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#maxAgeMs / 1000)}`;
  }

  clearedCookie(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}
