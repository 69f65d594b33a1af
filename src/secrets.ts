/**
 * Secrets never leave the process in what we write or show: log lines, CLI output, HTTP answers, /healthz, /metrics,
 * issue comments. Two rules, applied at those exits:
 * - structural: the credentials of any URL (user:pass@, token@, ?token= / ?authToken= / ?key= …), a Discord webhook
 *   token and an Authorization header value are masked wherever they appear in a text;
 * - known values: every secret the config holds (SecretMasker, built by config/secret-values.ts) is masked as text,
 *   also URL-encoded and JSON-escaped, because upstreams echo them back (an LLM 401 that repeats the key).
 * No imports: everything may use it, the logger included.
 */

export const MASK = '***';

/** Query parameters whose value is a credential. Matched against the name; over-masking a harmless one is fine. */
const SECRET_PARAM = /token|key|pass|secret|auth|sig|credential|session/i;
/** Environment variables that hold secrets (the `${VAR}`s of config/netdata.yaml, and the database URL overrides). */
export const SECRET_ENV_VARS = [
  'OPSAGENT_API_TOKEN',
  'MOONSHOT_API_KEY',
  'DISCORD_WEBHOOK_URL',
  'DISCORD_BOT_TOKEN',
  'TURSO_AUTH_TOKEN',
  'TURSO_DATABASE_URL',
  'OPSAGENT_DB_URL',
] as const;
/** Shorter known values are not masked as free text: "1" or "on" would blank out half of every line. */
const MIN_SECRET_CHARS = 4;

const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;
const QUERY_PARAM = /([?&;])([^=&#?;\s"'<>\\]+)=([^&#;\s"'<>\\]*)/g;
const DISCORD_WEBHOOK = /(\/webhooks\/\d+\/)[A-Za-z0-9._-]+/g;
const AUTH_HEADER = /\b(Bearer|Basic|Bot)\s+[A-Za-z0-9._~+/=-]{8,}/g;

/** The credentials of URLs in a text masked; everything else kept. Idempotent. */
export function redactCredentials(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(USERINFO, `$1${MASK}@`);
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAM, (whole, sep: string, name: string, value: string) => {
      if (!SECRET_PARAM.test(name)) return whole;
      // The URL ends a sentence ("…?token=abc: refused"): the punctuation after it is the sentence's, not the value's.
      const trailing = /[.,:!?)\]]+$/.exec(value)?.[0] ?? '';
      const secret = value.slice(0, value.length - trailing.length);
      return secret && secret !== MASK ? `${sep}${name}=${MASK}${trailing}` : whole;
    });
  }
  if (out.includes('/webhooks/')) out = out.replace(DISCORD_WEBHOOK, `$1${MASK}`);
  if (out.includes('Bearer') || out.includes('Basic') || out.includes('Bot ')) out = out.replace(AUTH_HEADER, `$1 ${MASK}`);
  return out;
}

/** One URL for display (messages, metric labels, /healthz): `http://***@host:19999/?token=***`. */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

/**
 * The secret parts of one URL, to add to a SecretMasker: the password (raw and decoded), user:password and its
 * base64 (what a Basic Authorization header carries, which a server may echo), a user without password (a token used
 * as the user name) and the values of credential query parameters. Empty for text that is not a URL.
 */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (u.password) {
    const user = decode(u.username);
    const password = decode(u.password);
    out.push(u.password, password, `${user}:${password}`, Buffer.from(`${user}:${password}`).toString('base64'));
  } else if (u.username) {
    out.push(u.username, decode(u.username));
  }
  for (const [name, value] of u.searchParams) if (value && SECRET_PARAM.test(name)) out.push(value);
  if (/\/webhooks\/\d+\/[^/]+/.test(u.pathname)) out.push(url, u.pathname.split('/').pop()!);
  return out;
}

/** Masks known secret values (and URL credentials) in any text, and in every string of a JSON-like value. */
export class SecretMasker {
  /** Longest first, so a value containing another is masked whole. */
  readonly #needles: string[];

  constructor(values: Iterable<string | undefined | null> = []) {
    const needles = new Set<string>();
    for (const v of values) {
      if (!v || v.length < MIN_SECRET_CHARS) continue;
      needles.add(v);
      needles.add(encodeURIComponent(v));
      needles.add(JSON.stringify(v).slice(1, -1)); // as it appears inside a JSON log line or answer
    }
    this.#needles = [...needles].filter((n) => n.length >= MIN_SECRET_CHARS).sort((a, b) => b.length - a.length);
  }

  /** Secrets from the environment alone (before or without a config): the variables of SECRET_ENV_VARS. */
  static fromEnv(env: NodeJS.ProcessEnv): SecretMasker {
    return new SecretMasker(envSecrets(env));
  }

  /** A masker that knows these values too. */
  with(values: Iterable<string | undefined | null>): SecretMasker {
    return new SecretMasker([...this.#needles, ...values]);
  }

  readonly mask = (text: string): string => {
    let out = text;
    for (const n of this.#needles) if (out.includes(n)) out = out.split(n).join(MASK);
    return redactCredentials(out);
  };

  /** A copy with every string masked, object keys included (a /healthz source is named by its URL). */
  maskDeep<T>(value: T): T {
    return this.#deep(value, 0) as T;
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (depth > 32 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.#deep(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.mask(k), this.#deep(v, depth + 1)]));
  }
}

/** The values of the secret environment variables, with the credentials of those that are URLs. */
export function envSecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of SECRET_ENV_VARS) {
    const v = env[name];
    if (!v) continue;
    if (name.endsWith('_URL')) out.push(...urlSecrets(v));
    else out.push(v);
  }
  return out;
}

/**
 * A Netdata behind a proxy with basic auth is configured as http://user:pass@host:19999. fetch() refuses a URL with
 * credentials (and would repeat it in its error), so they travel in an Authorization header instead: the poller and
 * the analysis's chart gatherer both call this.
 */
export function splitUrlCredentials(url: string): { url: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (!u.username && !u.password) return { url };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), authorization: `Basic ${basic}` };
}
