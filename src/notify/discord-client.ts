import { z } from 'zod';
import { AppError, errorMessage } from '../errors.js';
import type { MessageBody } from './compose.js';

/** What Discord's X-RateLimit-* headers said (PROTOCOLS §1); undefined when a header is absent. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetAfterMs?: number;
  bucket?: string;
}

/** The outcome of one POST, classified for the sender. A denial is an answer, not an exception. */
export type SendOutcome =
  | { kind: 'sent'; messageId: string | null; rate: RateLimitInfo }
  /** 429: wait retryAfterMs, then try the same message again (not a failed attempt). */
  | { kind: 'rate_limited'; retryAfterMs: number; global: boolean; rate: RateLimitInfo }
  /** 5xx, timeout, network: back off and retry. */
  | { kind: 'retry'; status?: number; error: string }
  /** 401/403/404: the webhook was deleted or the token is wrong. Retrying only earns a Discord restriction. */
  | { kind: 'fatal'; status: number; error: string }
  /** 400: Discord refused this body; retrying it unchanged cannot help. */
  | { kind: 'rejected'; status: number; error: string }
  /** An edit of a message that no longer exists (404, code 10008 Unknown Message): post a fresh one instead. */
  | { kind: 'gone'; status: number; error: string }
  /**
   * Code 30046 "Maximum number of edits to messages older than 1 hour reached" (answered as a 429): that old
   * message cannot show the state for now; post a fresh one instead of waiting.
   */
  | { kind: 'edit_capped'; status: number; error: string; rate: RateLimitInfo };

/** Discord's JSON error codes the sender acts on (DAD topics/opcodes-and-status-codes). */
export const UNKNOWN_MESSAGE = 10008;
export const OLD_MESSAGE_EDITS_CAPPED = 30046;

export const USER_AGENT = 'DiscordBot (https://github.com/opsagent/opsagent, 0.1.0)';

const WEBHOOK_PATH = /^(.*\/api)(\/v\d+)?(\/webhooks\/\d+\/[A-Za-z0-9_.-]+)\/?$/;

/**
 * The webhook URL to post to: `/v10` inserted when the URL copied from Discord has no version (unversioned routes
 * go to the deprecated v6), `wait=true` so Discord answers with the message (and errors) instead of a blind 204.
 */
export function normalizeWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', 'discord.webhookUrl is not a URL', { cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('CONFIG_INVALID', 'discord.webhookUrl must be http(s)');
  const m = WEBHOOK_PATH.exec(url.pathname);
  if (!m) throw new AppError('CONFIG_INVALID', 'discord.webhookUrl must look like https://discord.com/api/webhooks/<id>/<token>');
  url.pathname = `${m[1]}${m[2] ?? '/v10'}${m[3]}`;
  url.searchParams.set('wait', 'true');
  return url.toString();
}

const RateLimitBody = z.object({ retry_after: z.number().nonnegative(), global: z.boolean().optional() });
const ErrorBody = z.object({ code: z.number().optional(), message: z.string().optional() });
const MessageAnswer = z.object({ id: z.string() });

function num(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function readRateLimit(headers: Headers): RateLimitInfo {
  const resetAfter = num(headers, 'x-ratelimit-reset-after');
  const info: RateLimitInfo = {};
  const limit = num(headers, 'x-ratelimit-limit');
  const remaining = num(headers, 'x-ratelimit-remaining');
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (resetAfter !== undefined) info.resetAfterMs = Math.ceil(resetAfter * 1000);
  const bucket = headers.get('x-ratelimit-bucket');
  if (bucket) info.bucket = bucket;
  return info;
}

/** A short, safe description of an error answer (the JSON code and message, never the URL with its token). */
async function describe(response: Response): Promise<{ error: string; code: number | undefined }> {
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 300);
  let code: number | undefined;
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success && (parsed.data.code !== undefined || parsed.data.message)) {
      code = parsed.data.code;
      detail = `${parsed.data.message ?? ''}${parsed.data.code !== undefined ? ` (code ${parsed.data.code})` : ''}`.trim();
    }
  } catch {
    // not JSON: keep the start of the text
  }
  return { error: `Discord answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`, code };
}

export interface DiscordClientOptions {
  webhookUrl?: string;
  bot?: { token: string; apiBaseUrl: string };
  timeoutMs: number;
}

/** Talks to Discord over fetch: the incoming webhook (Execute / Edit Webhook Message) and the bot's Create / Edit Message. */
export class DiscordClient {
  readonly #webhookUrl: string | undefined;
  readonly #bot: { token: string; apiBaseUrl: string } | undefined;
  readonly #timeoutMs: number;

  constructor(options: DiscordClientOptions) {
    this.#webhookUrl = options.webhookUrl ? normalizeWebhookUrl(options.webhookUrl) : undefined;
    this.#bot = options.bot?.token ? { token: options.bot.token, apiBaseUrl: options.bot.apiBaseUrl.replace(/\/+$/, '') } : undefined;
    this.#timeoutMs = options.timeoutMs;
  }

  get hasWebhook(): boolean {
    return this.#webhookUrl !== undefined;
  }

  get hasBot(): boolean {
    return this.#bot !== undefined;
  }

  postWebhook(body: MessageBody): Promise<SendOutcome> {
    if (!this.#webhookUrl) return Promise.resolve({ kind: 'fatal', status: 0, error: 'no discord.webhookUrl configured' });
    return this.#post(this.#webhookUrl, body, { 'User-Agent': USER_AGENT });
  }

  postChannelMessage(channelId: string, body: MessageBody): Promise<SendOutcome> {
    if (!this.#bot) return Promise.resolve({ kind: 'fatal', status: 0, error: 'no discord.bot.token configured' });
    if (!/^\d{1,25}$/.test(channelId)) return Promise.resolve({ kind: 'fatal', status: 0, error: 'discord.bot.channelId must be a numeric id' });
    return this.#post(`${this.#bot.apiBaseUrl}/channels/${channelId}/messages`, body, {
      Authorization: `Bot ${this.#bot.token}`,
      'User-Agent': USER_AGENT,
    });
  }

  /** Edit Webhook Message: PATCH /webhooks/{id}/{token}/messages/{message_id} (no username on an edit). */
  editWebhookMessage(messageId: string, body: MessageBody): Promise<SendOutcome> {
    if (!this.#webhookUrl) return Promise.resolve({ kind: 'fatal', status: 0, error: 'no discord.webhookUrl configured' });
    if (!/^\d{1,25}$/.test(messageId)) return Promise.resolve({ kind: 'gone', status: 0, error: `stored message id ${messageId} is not a Discord id` });
    const url = new URL(this.#webhookUrl);
    url.search = '';
    url.pathname = `${url.pathname}/messages/${messageId}`;
    const { username: _u, ...edit } = body;
    return this.#post(url.toString(), edit, { 'User-Agent': USER_AGENT }, 'PATCH');
  }

  /** Edit Message (bot): PATCH /channels/{channel_id}/messages/{message_id}. */
  editChannelMessage(channelId: string, messageId: string, body: MessageBody): Promise<SendOutcome> {
    if (!this.#bot) return Promise.resolve({ kind: 'fatal', status: 0, error: 'no discord.bot.token configured' });
    if (!/^\d{1,25}$/.test(channelId)) return Promise.resolve({ kind: 'fatal', status: 0, error: 'discord.bot.channelId must be a numeric id' });
    if (!/^\d{1,25}$/.test(messageId)) return Promise.resolve({ kind: 'gone', status: 0, error: `stored message id ${messageId} is not a Discord id` });
    const { username: _u, ...edit } = body;
    return this.#post(`${this.#bot.apiBaseUrl}/channels/${channelId}/messages/${messageId}`, edit, {
      Authorization: `Bot ${this.#bot.token}`,
      'User-Agent': USER_AGENT,
    }, 'PATCH');
  }

  async #post(url: string, body: MessageBody, headers: Record<string, string>, method: 'POST' | 'PATCH' = 'POST'): Promise<SendOutcome> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return { kind: 'retry', error: timeout ? `Discord did not answer within ${this.#timeoutMs} ms` : `cannot reach Discord: ${errorMessage(err)}` };
    }
    const rate = readRateLimit(response.headers);
    if (response.status === 429) {
      const text = await response.text().catch(() => '');
      let retryAfterS = num(response.headers, 'retry-after') ?? 1;
      let global = response.headers.get('x-ratelimit-global') === 'true';
      try {
        const json = JSON.parse(text) as unknown;
        if (ErrorBody.safeParse(json).data?.code === OLD_MESSAGE_EDITS_CAPPED) {
          return { kind: 'edit_capped', status: 429, error: 'Discord answered HTTP 429: Maximum number of edits to messages older than 1 hour reached (code 30046)', rate };
        }
        const parsed = RateLimitBody.safeParse(json);
        if (parsed.success) {
          retryAfterS = parsed.data.retry_after;
          global ||= parsed.data.global === true;
        }
      } catch {
        // keep the header's value
      }
      return { kind: 'rate_limited', retryAfterMs: Math.max(50, Math.ceil(retryAfterS * 1000)), global, rate };
    }
    if (response.ok) {
      if (response.status === 204) return { kind: 'sent', messageId: null, rate };
      const answer = MessageAnswer.safeParse(await response.json().catch(() => undefined));
      return { kind: 'sent', messageId: answer.success ? answer.data.id : null, rate };
    }
    const { error, code } = await describe(response);
    if (method === 'PATCH' && response.status === 404 && code === UNKNOWN_MESSAGE) return { kind: 'gone', status: 404, error };
    if (code === OLD_MESSAGE_EDITS_CAPPED) return { kind: 'edit_capped', status: response.status, error, rate };
    if (response.status === 401 || response.status === 403 || response.status === 404) return { kind: 'fatal', status: response.status, error };
    if (response.status >= 500) return { kind: 'retry', status: response.status, error };
    return { kind: 'rejected', status: response.status, error };
  }
}
