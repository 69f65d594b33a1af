import { MASK, redactCredentials, type SecretMasker } from '../secrets.js';

/**
 * Masks secrets in what leaves the machine for an LLM: command lines, environment-like arguments, log lines, unit
 * journals. Three layers, in order: the values this agent knows are secret (SecretMasker: its own keys and tokens,
 * with URL credentials), then the shapes of secrets anyone's process may carry (below), then the operator's
 * llm.redact.patterns. Over-masking a harmless value costs a little evidence; a leaked key costs much more.
 * Each masked value becomes `***`; the count is what the analysis records.
 */

interface Shape {
  name: string;
  re: RegExp;
  /** The replacement: keeps a prefix (the flag, the key name) so the model still sees what was there. */
  to: string;
}

/** Flag and key names whose value is a secret. */
const SECRET_WORD = String.raw`(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?(?:access[_-]?)?key|private[_-]?key|client[_-]?secret|auth[_-]?token|credentials?|session[_-]?id)`;
/** A key holding SECRET_WORD as a whole part (DB_PASSWORD, db.password, x-api-key), not inside a word (bypass, tokens). */
const SECRET_KEY = String.raw`\b(?:[\w.-]*[_.-])?${SECRET_WORD}(?:[_.-][\w.-]*)?`;

const SHAPES: readonly Shape[] = [
  { name: 'PEM private key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, to: `-----BEGIN PRIVATE KEY-----${MASK}` },
  { name: 'JWT', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, to: MASK },
  { name: 'AWS access key id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, to: MASK },
  { name: 'GCP API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g, to: MASK },
  { name: 'Google OAuth token', re: /\bya29\.[0-9A-Za-z_-]{20,}/g, to: MASK },
  { name: 'service-account private_key_id', re: /("private_key_id"\s*:\s*")[0-9a-f]{40}"/g, to: `$1${MASK}"` },
  { name: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b/g, to: MASK },
  { name: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}/g, to: MASK },
  { name: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, to: MASK },
  { name: 'API secret key', re: /\b(?:sk|rk)[-_](?:live_|test_|proj-|ant-)?[A-Za-z0-9_-]{20,}/g, to: MASK },
  // --password=x, --token x, -–api-key=x (also in a JSON string); the flag stays.
  { name: 'secret flag', re: new RegExp(String.raw`(--?${SECRET_WORD}(?:=|\s+))(?!\*\*\*)("[^"]*"|'[^']*'|[^\s"',;&]+)`, 'gi'), to: `$1${MASK}` },
  // PASSWORD=x, db_password: x, "client_secret": "x", Password=x; (connection strings of the ADO kind).
  { name: 'secret assignment', re: new RegExp(String.raw`(${SECRET_KEY}"?\s*[=:]\s*"?)(?!\*\*\*|Bearer\b|Basic\b|Bot\b)([^\s"',;&]{3,})`, 'gi'), to: `$1${MASK}` },
];

/** Database and remote-shell clients take a password as -pSECRET / -p SECRET (mysql, sshpass) or -a (redis-cli). */
const PASSWORD_CLIENT = /\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|sshpass|redis-cli|mongo|mongosh)\b/;
const SHORT_PASSWORD_FLAG = /(\s-[pa])(\s*)(?!\*\*\*)([^\s"'-][^\s"']*)/g;

function countMasks(text: string): number {
  let n = 0;
  for (let i = text.indexOf(MASK); i >= 0; i = text.indexOf(MASK, i + MASK.length)) n++;
  return n;
}

export class Redactor {
  readonly #known: SecretMasker | undefined;
  readonly #extra: RegExp[];

  /** `extraPatterns` are validated by the config schema (llm.redact.patterns); each match becomes `***`. */
  constructor(options: { known?: SecretMasker; extraPatterns?: readonly string[] } = {}) {
    this.#known = options.known;
    this.#extra = (options.extraPatterns ?? []).map((p) => new RegExp(p, 'g'));
  }

  /** The text with secrets masked, and how many values were masked. */
  redact(text: string): { text: string; masked: number } {
    const before = countMasks(text);
    let out = this.#known ? this.#known.mask(text) : redactCredentials(text);
    for (const shape of SHAPES) out = out.replace(shape.re, shape.to);
    if (PASSWORD_CLIENT.test(out)) out = out.replace(SHORT_PASSWORD_FLAG, `$1$2${MASK}`);
    for (const re of this.#extra) out = out.replace(re, MASK);
    return { text: out, masked: Math.max(0, countMasks(out) - before) };
  }

  /** A copy of a JSON-like value with every string redacted (keys are ours and stay), and the count. */
  redactDeep<T>(value: T): { value: T; masked: number } {
    let masked = 0;
    const walk = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') {
        const r = this.redact(v);
        masked += r.masked;
        return r.text;
      }
      if (depth > 32 || v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
    };
    return { value: walk(value, 0) as T, masked };
  }
}
