import { json, listen, params, type Received } from './fake-http.js';

/**
 * A fake Slack Web API on 127.0.0.1 (PROTOCOLS-CHANNELS §2): POST /api/chat.postMessage and /api/chat.update with
 * `Authorization: Bearer xoxb-…`, JSON or form bodies; HTTP 200 with `{"ok":true,"channel","ts","message"}` or
 * `{"ok":false,"error":…}` (invalid_auth, channel_not_found, message_not_found, invalid_blocks); a scripted 429 with
 * `Retry-After` and `{"ok":false,"error":"ratelimited"}`. Also a response_url (POST /actions/…) recording the
 * replacements an interaction posts back.
 */
export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  edits: number;
}

export interface FakeSlack {
  url: string;
  apiBaseUrl: string;
  token: string;
  channelId: string;
  messages: SlackMessage[];
  requests: Received[];
  responses: Record<string, unknown>[];
  responseUrl: string;
  /** The next n API calls answer 429 Retry-After: seconds. */
  rateLimitNext(n: number, seconds: number): void;
  /** Until `untilMs` (Date.now()), every call answers HTTP status (e.g. 503). */
  failUntil(untilMs: number, status: number): void;
  /** Revokes the token: every call answers ok:false invalid_auth. */
  revoke(): void;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const token = 'xoxb-test-0000-fake';
  const channelId = 'C0123456789';
  const messages: SlackMessage[] = [];
  const requests: Received[] = [];
  const responses: Record<string, unknown>[] = [];
  let limited = 0;
  let limitS = 1;
  let failUntilMs = 0;
  let failStatus = 503;
  let revoked = false;
  let seq = 100;
  const { url } = await listen((r, res) => {
    if (r.path.startsWith('/actions/')) {
      responses.push(params(r));
      return json(res, 200, { ok: true });
    }
    requests.push(r);
    if (Date.now() < failUntilMs) return json(res, failStatus, { ok: false, error: 'service_unavailable' });
    if (limited > 0) {
      limited--;
      return json(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(limitS) });
    }
    if (r.headers.authorization !== `Bearer ${token}` || revoked) return json(res, 200, { ok: false, error: r.headers.authorization ? 'invalid_auth' : 'not_authed' });
    const p = params(r);
    const blocks = Array.isArray(p.blocks) ? p.blocks : [];
    if (blocks.length > 50) return json(res, 200, { ok: false, error: 'invalid_blocks', errors: ['no more than 50 items allowed [json-pointer:/blocks]'] });
    if (r.path === '/api/chat.postMessage') {
      if (p.channel !== channelId) return json(res, 200, { ok: false, error: 'channel_not_found' });
      if (!p.text && blocks.length === 0) return json(res, 200, { ok: false, error: 'no_text' });
      const ts = `1712345678.${String(++seq).padStart(6, '0')}`;
      const m = { channel: channelId, ts, text: String(p.text ?? ''), blocks, edits: 0 };
      messages.push(m);
      return json(res, 200, { ok: true, channel: channelId, ts, message: { type: 'message', text: m.text, ts, blocks } });
    }
    if (r.path === '/api/chat.update') {
      const m = messages.find((x) => x.channel === p.channel && x.ts === p.ts);
      if (!m) return json(res, 200, { ok: false, error: 'message_not_found' });
      m.text = String(p.text ?? m.text);
      if (p.blocks !== undefined) m.blocks = blocks;
      m.edits++;
      return json(res, 200, { ok: true, channel: m.channel, ts: m.ts, text: m.text, message: { text: m.text, blocks: m.blocks } });
    }
    return json(res, 404, { ok: false, error: 'unknown_method' });
  });
  return {
    url,
    apiBaseUrl: `${url}/api`,
    token,
    channelId,
    messages,
    requests,
    responses,
    responseUrl: `${url}/actions/T1/1/abc`,
    rateLimitNext: (n, s) => {
      limited = n;
      limitS = s;
    },
    failUntil: (until, status) => {
      failUntilMs = until;
      failStatus = status;
    },
    revoke: () => {
      revoked = true;
    },
  };
}
