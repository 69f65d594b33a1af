import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import { LineCounter, parseDocument } from 'yaml';
import { AppError, errorMessage } from '../errors.js';
import { isLoopbackAddress } from '../model/loopback.js';
import { SecretMasker } from '../secrets.js';
import { missingSecretOf } from './channels-schema.js';
import { ConfigSchema, type Config } from './schema.js';
import { secretMaskerFor } from './secret-values.js';

/** A config is a few KiB; anything this big is the wrong file (or /dev/zero), and is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1_048_576;
/** YAML alias expansions allowed (the yaml library's maxAliasCount): enough for shared blocks, not for a "billion laughs". */
export const MAX_YAML_ALIASES = 100;
/** Our config nests 4 levels; the limit turns pathological nesting into a sentence instead of a stack overflow. */
export const MAX_CONFIG_DEPTH = 32;

export interface LoadedConfig {
  config: Config;
  /** One line each: optional integrations turned off because their secret is empty. */
  warnings: string[];
  /** Masks this config's secrets in whatever the process writes or shows. */
  secrets: SecretMasker;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

class TooDeep extends Error {}

/** Fills `${VAR}` in every string value from env (unset = empty), so secrets stay out of the file. */
function fillEnv(value: unknown, env: NodeJS.ProcessEnv, depth = 0): unknown {
  if (depth > MAX_CONFIG_DEPTH) throw new TooDeep();
  if (typeof value === 'string') return value.replace(ENV_REF, (_, name: string) => env[name] ?? '');
  if (Array.isArray(value)) return value.map((v) => fillEnv(v, env, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillEnv(v, env, depth + 1)]));
  }
  return value;
}

/**
 * The deepest nesting of flow collections ([ and {), counted without parsing (brackets inside strings count too,
 * which only matters past the limit). The yaml parser recurses per level; this refuses a bomb before it runs.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Every problem, one line each (the CLI prints them all at once, unlike API input, which names the first). */
function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return `${source} is not valid:\n${lines.join('\n')}`;
}

/**
 * Parses and validates a config text. Every failure is an AppError CONFIG_INVALID with one message: YAML errors give
 * their line and column but never the line's text (it may hold an inline secret), and anything the YAML library
 * throws (an alias bomb, pathological nesting) is caught here rather than crashing the CLI with a stack trace.
 */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const envSecrets = SecretMasker.fromEnv(env);
  const invalid = (why: string, cause?: unknown) =>
    new AppError('CONFIG_INVALID', envSecrets.mask(`${source} is not valid YAML: ${why}`), { cause });
  if (flowDepth(text) > MAX_CONFIG_DEPTH) throw invalid(`it nests deeper than ${MAX_CONFIG_DEPTH} levels`);
  let raw: unknown;
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { prettyErrors: false, lineCounter });
    if (doc.errors.length > 0) {
      const lines = doc.errors.slice(0, 5).map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return `  line ${at.line}, column ${at.col}: ${yamlProblem(e.message, e.code)}`;
      });
      const more = doc.errors.length > 5 ? `\n  … and ${doc.errors.length - 5} more` : '';
      throw new AppError('CONFIG_INVALID', envSecrets.mask(`${source} is not valid YAML:\n${lines.join('\n')}${more}`));
    }
    raw = fillEnv(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {}, env);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof TooDeep) throw invalid(`it nests deeper than ${MAX_CONFIG_DEPTH} levels`, err);
    const message = errorMessage(err);
    if (/excessive alias count/i.test(message)) {
      throw invalid(`its aliases expand more than ${MAX_YAML_ALIASES} times (a YAML alias bomb?)`, err);
    }
    throw invalid(yamlProblem(message), err);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', envSecrets.mask(formatIssues(source, parsed.error)));
  return applyEnvironment(parsed.data, env);
}

/**
 * The yaml library's message without any quoted source: its pretty form appends the offending line, and a few
 * messages end with the text they stumbled on (": !tag", ": <header>", an escape sequence), which may be a secret.
 */
function yamlProblem(message: string, code?: string): string {
  if (code === 'BAD_DQ_ESCAPE') return 'Invalid escape sequence in a double-quoted string';
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '');
  if (/call stack/i.test(first)) return 'it nests too deeply to parse';
  return first.replace(/: .*$/, '').slice(0, 200);
}

/**
 * Environment variables that override the file, integrations turned off for want of a secret (with a warning each),
 * and the rules that span several keys. Returns a new object: the validated one is never changed afterwards.
 */
function applyEnvironment(parsed: Config, env: NodeJS.ProcessEnv): LoadedConfig {
  const warnings: string[] = [];
  let database = parsed.database;
  if (env.TURSO_DATABASE_URL && database.url === 'file:data/opsagent.db') database = { ...database, url: env.TURSO_DATABASE_URL };
  // The token is honoured whether or not the file names database.authToken (the file's own value wins), and whichever
  // way the URL came (the file, TURSO_DATABASE_URL, or --db / OPSAGENT_DB_URL on the command line).
  if (!database.authToken && env.TURSO_AUTH_TOKEN) database = { ...database, authToken: env.TURSO_AUTH_TOKEN };
  let discord = parsed.discord;
  if (discord.enabled && !discord.webhookUrl && !discord.bot.token) {
    discord = { ...discord, enabled: false };
    warnings.push('discord: no webhookUrl (DISCORD_WEBHOOK_URL is empty); Discord notifications are off');
  }
  if (discord.bot.token && (!discord.bot.applicationPublicKey || !discord.bot.channelId)) {
    warnings.push('discord.bot: token is set but applicationPublicKey or channelId is empty; approvals from Discord are off');
    discord = { ...discord, bot: { ...discord.bot, token: '' } };
  }
  if (!isLoopbackAddress(parsed.server.host) && !parsed.server.apiToken) {
    throw new AppError(
      'CONFIG_INVALID',
      `server.host is ${parsed.server.host} (not loopback) but server.apiToken is empty: set OPSAGENT_API_TOKEN or bind to 127.0.0.1`,
    );
  }
  const channels = parsed.channels.map((c) => {
    const missing = c.enabled ? missingSecretOf(c) : undefined;
    const clickable = (c.type === 'slack' && c.signingSecret !== '') || (c.type === 'telegram' && c.webhookSecret !== '');
    if (c.enabled && !missing && clickable && c.approverIds.length === 0) warnings.push(`channels.${c.name}: no approverIds; nobody can approve from ${c.type === 'slack' ? 'Slack' : 'Telegram'}`);
    if (!missing) return c;
    warnings.push(`channels.${c.name}: ${missing} empty; the ${c.type} channel is off`);
    return { ...c, enabled: false };
  });
  const config = { ...parsed, database, discord, channels };
  return { config, warnings, secrets: secretMaskerFor(config, env) };
}

/**
 * Reads a config file: a bounded read (MAX_CONFIG_BYTES; a directory, a device or a binary file is refused with a
 * sentence), then parseConfig. A pipe works too (`--config <(…)`): the read is bounded, not the file type.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return parseConfig(readConfigText(file), file, env);
}

function readConfigText(file: string): string {
  const refuse = (why: string, cause?: unknown) => new AppError('CONFIG_INVALID', `cannot read config file ${file}: ${why}`, { cause });
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw refuse(fsProblem(err), err);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw refuse('it is a directory');
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (err) {
        throw refuse(fsProblem(err), err);
      }
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) throw refuse(`it is larger than ${MAX_CONFIG_BYTES / 1_048_576} MiB (a config is a few KiB)`);
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.includes(0)) throw refuse('it is a binary file, not YAML text');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (err) {
      throw refuse('it is not UTF-8 text', err);
    }
  } finally {
    closeSync(fd);
  }
}

/** "ENOENT: no such file or directory, open 'x'" → "no such file or directory (ENOENT)". */
function fsProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = errorMessage(err).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return typeof code === 'string' ? `${message} (${code})` : message;
}

/** The embedded defaults, for tests and for `run` without a config file. */
export function defaultConfig(overrides: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(overrides);
}
