import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { AppError, errorMessage } from '../errors.js';
import { isLoopbackAddress } from '../model/loopback.js';
import { ConfigSchema, type Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** One line each: optional integrations turned off because their secret is empty. */
  warnings: string[];
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Fills `${VAR}` in every string value from env (unset = empty), so secrets stay out of the file. */
function fillEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return value.replace(ENV_REF, (_, name: string) => env[name] ?? '');
  if (Array.isArray(value)) return value.map((v) => fillEnv(v, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillEnv(v, env)]));
  }
  return value;
}

/** Every problem, one line each (the CLI prints them all at once, unlike API input, which names the first). */
function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return `${source} is not valid:\n${lines.join('\n')}`;
}

export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new AppError('CONFIG_INVALID', `${source} is not valid YAML:\n${doc.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  const raw = fillEnv(doc.toJS() ?? {}, env);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', formatIssues(source, parsed.error));
  return applyEnvironment(parsed.data, env);
}

/**
 * Environment variables that override the file, integrations turned off for want of a secret (with a warning each),
 * and the rules that span several keys. Returns a new object: the validated one is never changed afterwards.
 */
function applyEnvironment(parsed: Config, env: NodeJS.ProcessEnv): LoadedConfig {
  const warnings: string[] = [];
  let database = parsed.database;
  if (env.TURSO_DATABASE_URL && database.url === 'file:data/opsagent.db') {
    database = { ...database, url: env.TURSO_DATABASE_URL, authToken: database.authToken || (env.TURSO_AUTH_TOKEN ?? '') };
  }
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
  return { config: { ...parsed, database, discord }, warnings };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `cannot read config file ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return parseConfig(text, file, env);
}

/** The embedded defaults, for tests and for `run` without a config file. */
export function defaultConfig(overrides: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(overrides);
}
