import { json, listen, params, type Received } from './fake-http.js';

/**
 * A fake Telegram Bot API (PROTOCOLS-CHANNELS §3): `/bot<token>/<method>` (method names case-insensitive, JSON or
 * form), `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,"description":…}` with HTTP status = error_code;
 * 401 "Unauthorized: invalid token specified", 400 "Bad Request: chat not found", "message is not modified",
 * "message to edit not found", text > 4096 → 400; a scripted 429 with parameters.retry_after and Retry-After.
 */
export interface TelegramMessage {
  message_id: number;
  chat_id: string;
  text: string;
  reply_markup?: unknown;
  edits: number;
}

export interface FakeTelegram {
  url: string;
  token: string;
  chatId: string;
  messages: TelegramMessage[];
  answers: Record<string, unknown>[];
  requests: Received[];
  rateLimitNext(n: number, seconds: number): void;
}

function error(res: Parameters<typeof json>[0], code: number, description: string, parameters?: Record<string, unknown>, headers: Record<string, string> = {}) {
  json(res, code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) }, headers);
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
  const token = '123456:TEST-fake-token_abc';
  const chatId = '-1001234567890';
  const messages: TelegramMessage[] = [];
  const answers: Record<string, unknown>[] = [];
  const requests: Received[] = [];
  let limited = 0;
  let limitS = 1;
  let seq = 70;
  const { url } = await listen((r, res) => {
    requests.push(r);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(r.path.split('?')[0]!);
    if (!m) return error(res, 404, 'Not Found');
    if (m[1] !== token) return error(res, 401, 'Unauthorized: invalid token specified');
    if (limited > 0) {
      limited--;
      return error(res, 429, `Too Many Requests: retry after ${limitS}`, { retry_after: limitS }, { 'Retry-After': String(limitS) });
    }
    const method = m[2]!.toLowerCase();
    const p = params(r);
    const text = typeof p.text === 'string' ? p.text : '';
    const chat = { id: Number(chatId), type: 'supergroup', title: 'ops' };
    if (method === 'sendmessage') {
      if (String(p.chat_id) !== chatId) return error(res, 400, 'Bad Request: chat not found');
      if (text.length === 0) return error(res, 400, 'Bad Request: message text is empty');
      if (text.length > 4096) return error(res, 400, 'Bad Request: message is too long');
      const msg = { message_id: ++seq, chat_id: chatId, text, ...(p.reply_markup ? { reply_markup: p.reply_markup } : {}), edits: 0 };
      messages.push(msg);
      return json(res, 200, { ok: true, result: { message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat, text } });
    }
    if (method === 'editmessagetext') {
      const msg = messages.find((x) => x.chat_id === String(p.chat_id) && x.message_id === Number(p.message_id));
      if (!msg) return error(res, 400, 'Bad Request: message to edit not found');
      if (msg.text === text) return error(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      msg.text = text;
      msg.edits++;
      return json(res, 200, { ok: true, result: { message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat, text } });
    }
    if (method === 'editmessagereplymarkup') {
      const msg = messages.find((x) => x.chat_id === String(p.chat_id) && x.message_id === Number(p.message_id));
      if (!msg) return error(res, 400, 'Bad Request: message to edit not found');
      msg.reply_markup = p.reply_markup;
      msg.edits++;
      return json(res, 200, { ok: true, result: { message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat, text: msg.text } });
    }
    if (method === 'answercallbackquery') {
      answers.push(p);
      return json(res, 200, { ok: true, result: true });
    }
    return error(res, 404, 'Not Found: method not found');
  });
  return { url, token, chatId, messages, answers, requests, rateLimitNext: (n, s) => ((limited = n), (limitS = s)) };
}
