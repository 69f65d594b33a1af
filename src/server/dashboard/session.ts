import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'opsagent_session';
const DEFAULT_MAX_AGE_MS = 12 * 3_600_000;
/** Sessions kept at once; past it the oldest is dropped (a login flood cannot grow memory). */
const DEFAULT_MAX_SESSIONS = 1_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function hmac(key: string | Buffer, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads one cookie from a Cookie header; values we set are base64url, so no decoding is needed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Dashboard logins, kept on the server: a session is a random id this process remembers until it expires (maxAgeMs
 * after login), is logged out, or the process stops. So logging out ends the session everywhere at once, and a
 * restart (the only way the token changes) ends all of them. The token is the operator's server.apiToken or the
 * daemon's local token; the cookie never carries it. CSRF tokens are an HMAC of the session under a per-process
 * secret, so a page that cannot read our pages cannot forge one.
 */
export class DashboardAuth {
  readonly #token: string;
  readonly #csrfSecret = randomBytes(32);
  readonly #sessions = new Map<string, number>(); // id -> issued at (ms); insertion order = age
  readonly #maxAgeMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;

  constructor(token: string, options: { maxAgeMs?: number; maxSessions?: number; now?: () => number } = {}) {
    this.#token = token;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#now = options.now ?? Date.now;
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  /** Sessions alive right now (expired ones are dropped first). */
  get sessionCount(): number {
    this.#dropExpired();
    return this.#sessions.size;
  }

  /** Constant time; never true without a token (then nobody can log in). */
  tokenMatches(given: string): boolean {
    return this.#token !== '' && same(given, this.#token);
  }

  issueSession(): string {
    this.#dropExpired();
    while (this.#sessions.size >= this.#maxSessions) this.#sessions.delete(this.#sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, this.#now());
    return id;
  }

  /** The live session of a Cookie header, or undefined (none, unknown, expired or logged out). */
  sessionOf(cookieHeader: string | undefined): string | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (!id || !SESSION_ID.test(id)) return undefined;
    const issued = this.#sessions.get(id);
    if (issued === undefined) return undefined;
    const age = this.#now() - issued;
    if (age < 0 || age > this.#maxAgeMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    return id;
  }

  /** May this request see dashboard pages? */
  allows(cookieHeader: string | undefined): boolean {
    return this.sessionOf(cookieHeader) !== undefined;
  }

  /** Logs the session of this Cookie header out, on the server: the cookie opens nothing afterwards. */
  revoke(cookieHeader: string | undefined): void {
    const id = this.sessionOf(cookieHeader);
    if (id) this.#sessions.delete(id);
  }

  /** The CSRF token pages embed in their forms for this browser ('' without a session). */
  csrfFor(cookieHeader: string | undefined): string {
    const session = this.sessionOf(cookieHeader);
    return session ? hmac(this.#csrfSecret, `dashboard-csrf:${session}`) : '';
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

  #dropExpired(): void {
    const oldest = this.#now() - this.#maxAgeMs;
    for (const [id, issued] of this.#sessions) {
      if (issued >= oldest) break; // insertion order: the rest are younger
      this.#sessions.delete(id);
    }
  }
}
