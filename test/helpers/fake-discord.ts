import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * A fake Discord on 127.0.0.1 speaking the wire formats of PROTOCOLS §1–§2: Execute Webhook (204, or 200 + message
 * with ?wait=true), embed-limit validation (400 code 50035), scriptable 429 (retry_after + X-RateLimit-* headers),
 * 5xx and 404 (code 10015 Unknown Webhook), and the bot's Create Message requiring `Authorization: Bot <token>`.
 * Edits: Edit Webhook Message `PATCH /webhooks/{id}/{token}/messages/{message_id}` (only the webhook's own messages)
 * and the bot's Edit Message `PATCH /channels/{id}/messages/{message_id}`, both answering 200 + the message; an unknown
 * or deleted message answers 404 code 10008 Unknown Message; a scripted 30046 answers as Discord does for too many
 * edits of messages older than an hour (429 + code 30046). Posts and edits report different X-RateLimit-Bucket ids.
 * Records every request, every accepted message (its body is the latest edit: what the channel shows) and every edit.
 */

export interface RecordedMessage {
  id: string;
  via: 'webhook' | 'bot';
  path: string;
  at: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> & { embeds?: Record<string, unknown>[]; content?: string; components?: unknown[] };
}

export interface RecordedEdit {
  messageId: string;
  via: 'webhook' | 'bot';
  path: string;
  at: number;
  body: RecordedMessage['body'];
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
}

export type ScriptedResponse =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: 500 | 502 | 503 }
  | { status: 404 }
  | { status: 30046; retryAfter?: number }
  | { status: 'hang'; ms: number };

export interface FakeDiscord {
  url: string;
  /** As copied from Discord's UI: no version segment. */
  webhookUrl: string;
  apiBaseUrl: string;
  botToken: string;
  channelId: string;
  /** Every message posted, in order; each body is the message as it shows now (after its edits). */
  messages: RecordedMessage[];
  /** Every accepted edit, in order. */
  edits: RecordedEdit[];
  requests: RecordedRequest[];
  /** Deletes a message as a person in the channel would: later edits of it answer 404 code 10008. */
  deleteMessage(id: string): void;
  /** Responses for the next requests, in order, before normal behaviour resumes. */
  script(...responses: ScriptedResponse[]): void;
  /** Every request answers this status (e.g. 503) until called with undefined. */
  setDown(status: 500 | 502 | 503 | undefined): void;
  deleteWebhook(): void;
  close(): Promise<void>;
}

const WEBHOOK = /^\/api(?:\/v(\d+))?\/webhooks\/(\d+)\/([A-Za-z0-9_.-]+)$/;
const CHANNEL_MESSAGES = /^\/api\/v10\/channels\/(\d+)\/messages$/;
const WEBHOOK_MESSAGE = /^\/api(?:\/v(\d+))?\/webhooks\/(\d+)\/([A-Za-z0-9_.-]+)\/messages\/(\d+)$/;
const CHANNEL_MESSAGE = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/;
/** Bucket ids as Discord sends them: opaque, one per route group. */
const BUCKETS = { post: 'a06de3d0b51d5eb6c4d6b2e1b2f7f30a', edit: '3f1c9e2b7d4a6e8f0c2b4d6e8fa1c3e5' } as const;
const CALLBACK = /^\/api\/v10\/interactions\/(\d+)\/([^/]+)\/callback$/;

function len(s: unknown): number {
  return typeof s === 'string' ? s.trim().length : 0;
}

/** Discord's embed limits; returns the nested `errors` object of a 50035 answer, or undefined when valid. */
export function validateMessage(body: unknown): Record<string, unknown> | undefined {
  const errors: Record<string, unknown> = {};
  const fail = (path: string, message: string) => {
    errors[path] = { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message }] };
  };
  if (typeof body !== 'object' || body === null) return { _errors: [{ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used' }] };
  const b = body as Record<string, unknown>;
  const embeds = Array.isArray(b.embeds) ? (b.embeds as Record<string, unknown>[]) : [];
  if (!b.content && embeds.length === 0 && !b.components) fail('content', 'Cannot send an empty message');
  if (len(b.content) > 2000) fail('content', 'Must be 2000 or fewer in length.');
  if (embeds.length > 10) fail('embeds', 'Must be 10 or fewer in length.');
  let total = 0;
  embeds.forEach((e, i) => {
    const at = `embeds.${i}`;
    if (len(e.title) > 256) fail(`${at}.title`, 'Must be 256 or fewer in length.');
    if (len(e.description) > 4096) fail(`${at}.description`, 'Must be 4096 or fewer in length.');
    const footer = e.footer as { text?: string } | undefined;
    const author = e.author as { name?: string } | undefined;
    if (len(footer?.text) > 2048) fail(`${at}.footer.text`, 'Must be 2048 or fewer in length.');
    if (len(author?.name) > 256) fail(`${at}.author.name`, 'Must be 256 or fewer in length.');
    const fields = Array.isArray(e.fields) ? (e.fields as { name?: string; value?: string }[]) : [];
    if (fields.length > 25) fail(`${at}.fields`, 'Must be 25 or fewer in length.');
    fields.forEach((f, j) => {
      if (len(f.name) === 0 || len(f.name) > 256) fail(`${at}.fields.${j}.name`, 'Must be between 1 and 256 in length.');
      if (len(f.value) === 0 || len(f.value) > 1024) fail(`${at}.fields.${j}.value`, 'Must be between 1 and 1024 in length.');
      total += len(f.name) + len(f.value);
    });
    total += len(e.title) + len(e.description) + len(footer?.text) + len(author?.name);
  });
  if (total > 6000) fail('embeds', 'Embed size exceeds maximum size of 6000');
  return Object.keys(errors).length > 0 ? errors : undefined;
}

export async function startFakeDiscord(options: { botToken?: string; channelId?: string } = {}): Promise<FakeDiscord> {
  const botToken = options.botToken ?? 'fake-bot-token';
  const channelId = options.channelId ?? '1150000000000000000';
  const messages: RecordedMessage[] = [];
  const edits: RecordedEdit[] = [];
  const requests: RecordedRequest[] = [];
  const deletedMessages = new Set<string>();
  const scripted: ScriptedResponse[] = [];
  let down: number | undefined;
  let deleted = false;
  let nextId = 1_290_000_000_000_000_000n;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', status, at: Date.now() });
    res.writeHead(status, {
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '4',
      'X-RateLimit-Reset': String(Date.now() / 1000 + 2),
      'X-RateLimit-Reset-After': '2.000',
      'X-RateLimit-Bucket': 'fakebucket',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const raw = Buffer.concat(chunks).toString('utf8');
        if (req.method !== 'POST' && req.method !== 'PATCH') return send(req, res, 405, { message: '405: Method Not Allowed', code: 0 });
        const isEdit = req.method === 'PATCH';
        const bucket = { 'X-RateLimit-Bucket': isEdit ? BUCKETS.edit : BUCKETS.post };
        const next = scripted.shift();
        if (next?.status === 'hang') {
          await new Promise((r) => setTimeout(r, next.ms));
          if (!res.destroyed) send(req, res, 504, { message: 'gateway timeout', code: 0 });
          return;
        }
        if (next?.status === 429) {
          return send(
            req,
            res,
            429,
            { message: 'You are being rate limited.', retry_after: next.retryAfter, global: next.global ?? false },
            {
              'Retry-After': String(Math.ceil(next.retryAfter)),
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Reset-After': String(next.retryAfter),
              'X-RateLimit-Scope': next.global ? 'global' : 'user',
              ...(next.global ? { 'X-RateLimit-Global': 'true' } : {}),
              ...bucket,
            },
          );
        }
        if (next?.status === 30046 && isEdit) {
          const retryAfter = next.retryAfter ?? 60;
          return send(
            req,
            res,
            429,
            { message: 'Maximum number of edits to messages older than 1 hour reached. Try again later', code: 30046, retry_after: retryAfter, global: false },
            { 'Retry-After': String(Math.ceil(retryAfter)), 'X-RateLimit-Scope': 'user', ...bucket },
          );
        }
        if (next && next.status >= 500) return send(req, res, next.status, { message: 'upstream error', code: 0 });
        if (down !== undefined) return send(req, res, down, { message: 'Service Unavailable', code: 0 });

        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          return send(req, res, 400, { message: 'The request body contains invalid JSON.', code: 50109 });
        }

        const callback = CALLBACK.exec(url.pathname);
        if (callback && !isEdit) return send(req, res, 204);

        if (isEdit) {
          const hook = WEBHOOK_MESSAGE.exec(url.pathname);
          const chan = CHANNEL_MESSAGE.exec(url.pathname);
          let messageId: string;
          if (hook) {
            if (deleted) return send(req, res, 404, { message: 'Unknown Webhook', code: 10015 }, bucket);
            messageId = hook[4]!;
          } else if (chan) {
            if (req.headers.authorization !== `Bot ${botToken}`) return send(req, res, 401, { message: '401: Unauthorized', code: 0 }, bucket);
            if (chan[1] !== channelId) return send(req, res, 404, { message: 'Unknown Channel', code: 10003 }, bucket);
            messageId = chan[2]!;
          } else {
            return send(req, res, 404, { message: '404: Not Found', code: 0 });
          }
          const target = messages.find((m) => m.id === messageId && m.via === (hook ? 'webhook' : 'bot'));
          if (!target || deletedMessages.has(messageId)) return send(req, res, 404, { message: 'Unknown Message', code: 10008 }, bucket);
          const patch = body as RecordedMessage['body'];
          if ('username' in patch) return send(req, res, 400, { code: 50035, message: 'Invalid Form Body', errors: { username: { _errors: [{ code: 'UNKNOWN_FIELD', message: 'Unknown field' }] } } }, bucket);
          const merged = { ...target.body, ...patch };
          const invalid = validateMessage(merged);
          if (invalid) return send(req, res, 400, { code: 50035, message: 'Invalid Form Body', errors: invalid }, bucket);
          target.body = merged;
          edits.push({ messageId, via: target.via, path: req.url ?? '', at: Date.now(), body: patch });
          return send(
            req,
            res,
            200,
            {
              id: messageId,
              type: 0,
              channel_id: channelId,
              ...(hook ? { webhook_id: hook[2] } : {}),
              content: merged.content ?? '',
              embeds: merged.embeds ?? [],
              components: merged.components ?? [],
              timestamp: new Date(target.at).toISOString(),
              edited_timestamp: new Date().toISOString(),
            },
            bucket,
          );
        }

        const webhook = WEBHOOK.exec(url.pathname);
        const channel = CHANNEL_MESSAGES.exec(url.pathname);
        if (webhook) {
          if (deleted || next?.status === 404) return send(req, res, 404, { message: 'Unknown Webhook', code: 10015 });
        } else if (channel) {
          if (req.headers.authorization !== `Bot ${botToken}`) return send(req, res, 401, { message: '401: Unauthorized', code: 0 });
          if (channel[1] !== channelId) return send(req, res, 404, { message: 'Unknown Channel', code: 10003 });
          if (!String(req.headers['user-agent'] ?? '').startsWith('DiscordBot (')) {
            return send(req, res, 400, { message: 'invalid User-Agent', code: 0 });
          }
        } else {
          return send(req, res, 404, { message: '404: Not Found', code: 0 });
        }
        const invalid = validateMessage(body);
        if (invalid) return send(req, res, 400, { code: 50035, message: 'Invalid Form Body', errors: invalid });
        const id = String(nextId++);
        const recorded: RecordedMessage = {
          id,
          via: webhook ? 'webhook' : 'bot',
          path: req.url ?? '',
          at: Date.now(),
          headers: req.headers,
          body: body as RecordedMessage['body'],
        };
        messages.push(recorded);
        const message = {
          id,
          type: 0,
          channel_id: channelId,
          ...(webhook ? { webhook_id: webhook[2] } : {}),
          content: (body as { content?: string }).content ?? '',
          embeds: (body as { embeds?: unknown[] }).embeds ?? [],
          components: (body as { components?: unknown[] }).components ?? [],
          timestamp: new Date().toISOString(),
        };
        if (webhook && url.searchParams.get('wait') !== 'true') return send(req, res, 204, undefined, bucket);
        return send(req, res, 200, message, bucket);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onTestFinished(close);
  return {
    url: base,
    webhookUrl: `${base}/api/webhooks/123456789012345678/fake-webhook-token`,
    apiBaseUrl: `${base}/api/v10`,
    botToken,
    channelId,
    messages,
    edits,
    requests,
    deleteMessage: (id) => {
      deletedMessages.add(id);
    },
    script: (...r) => scripted.push(...r),
    setDown: (status) => {
      down = status;
    },
    deleteWebhook: () => {
      deleted = true;
    },
    close,
  };
}
