import { clip, facts, headline, summaryLine, summaryTitle } from './event-text.js';
import { parseJson, retryAfterMs, send, trimBase } from './http.js';
import type { Channel, ChannelEvent, DeliveryOutcome } from './types.js';

/** Telegram HTML: only <, > and & are escaped outside tags (core.telegram.org "Formatting options"). */
export function telegramEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** callback_data is 1–64 bytes: "ap:<action id>" / "rj:<action id>". */
export const CALLBACK_PREFIX = { approve: 'ap', reject: 'rj', snooze: 'sz' } as const;

export function telegramText(e: ChannelEvent, options: { buttons?: boolean } = {}): string {
  const lines = [`<b>${telegramEscape(headline(e))}</b>`];
  if (e.kind === 'approvals' && e.action && options.buttons === false) {
    lines.push(`Approve: <code>opsagent actions-approve ${telegramEscape(e.action.id)} --by &lt;name&gt;</code>`, `Reject: <code>opsagent actions-reject ${telegramEscape(e.action.id)} --by &lt;name&gt;</code>`);
  }
  if (e.issue?.description) lines.push(telegramEscape(clip(e.issue.description, 1_000)));
  if (e.kind === 'digest' && e.text) lines.push(`<pre>${telegramEscape(clip(e.text, 3_500))}</pre>`);
  for (const [k, v] of facts(e)) lines.push(`<b>${telegramEscape(k)}:</b> ${telegramEscape(clip(v, 300))}`);
  lines.push(`<a href="${telegramEscape(e.url).replace(/"/g, '&quot;')}">Open in OpsAgent</a>`);
  return clip(lines.join('\n'), 4_000);
}

function keyboard(e: ChannelEvent, buttons: boolean): unknown {
  if (e.kind !== 'approvals' || !e.action || !buttons) return undefined;
  const ap = `${CALLBACK_PREFIX.approve}:${e.action.id}`;
  const rj = `${CALLBACK_PREFIX.reject}:${e.action.id}`;
  if (Buffer.byteLength(ap) > 64 || Buffer.byteLength(rj) > 64) return undefined;
  const sz = e.issue ? `${CALLBACK_PREFIX.snooze}:${e.issue.id}` : undefined;
  const snooze = sz && Buffer.byteLength(sz) <= 64 ? [{ text: 'Snooze 1 h', callback_data: sz }] : [];
  return { inline_keyboard: [[{ text: 'Approve', callback_data: ap }, { text: 'Reject', callback_data: rj }, ...snooze]] };
}

interface TelegramAnswer {
  ok?: unknown;
  result?: { message_id?: unknown; chat?: { id?: unknown } } | true;
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown };
}

/** The Bot API: sendMessage, then editMessageText for the issue's live message; approvals with an inline keyboard. */
export class TelegramChannel implements Channel {
  readonly type = 'telegram';
  readonly live = true;
  readonly name: string;
  readonly #o: { token: string; chatId: string; apiBaseUrl: string; timeoutMs: number; buttons: boolean };

  /** buttons: a webhook secret is configured, so clicks reach the agent; otherwise approvals carry the CLI commands. */
  constructor(name: string, options: { token: string; chatId: string; apiBaseUrl: string; timeoutMs: number; buttons?: boolean }) {
    this.name = name;
    this.#o = { buttons: true, ...options, apiBaseUrl: trimBase(options.apiBaseUrl) };
  }

  readonly summaryMax = 30; // 30 lines of ≤ 120 characters stay under the 4096 of one message

  deliverSummary(events: ChannelEvent[]): Promise<DeliveryOutcome> {
    const text = [`<b>${telegramEscape(summaryTitle(events))}</b>`, ...events.map((e) => telegramEscape(summaryLine(e)))].join('\n');
    return this.call('sendMessage', { chat_id: this.#o.chatId, text: clip(text, 4_096), parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  }

  async deliver(e: ChannelEvent, ref: string | undefined): Promise<DeliveryOutcome> {
    const text = telegramText(e, { buttons: this.#o.buttons });
    const markup = keyboard(e, this.#o.buttons);
    const base = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
    if (ref && e.kind !== 'approvals') {
      const at = ref.lastIndexOf(':');
      return this.call('editMessageText', { chat_id: ref.slice(0, at), message_id: Number(ref.slice(at + 1)), text, ...base });
    }
    return this.call('sendMessage', { chat_id: this.#o.chatId, text, ...base, ...(markup ? { reply_markup: markup } : {}) });
  }

  /** One Bot API call, classified; also used for answerCallbackQuery by the webhook route. */
  async call(method: string, body: Record<string, unknown>): Promise<DeliveryOutcome> {
    const answer = await send(`${this.#o.apiBaseUrl}/bot${this.#o.token}/${method}`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, this.#o.timeoutMs, 'Telegram');
    if (typeof answer === 'string') return { kind: 'retry', error: answer.replace(this.#o.token, '<token>') };
    const json = parseJson(answer.text) as TelegramAnswer | undefined;
    if (json?.ok === true) {
      const r = json.result;
      if (r && r !== true && typeof r.message_id === 'number') return { kind: 'sent', ref: `${String(r.chat?.id ?? body.chat_id)}:${r.message_id}` };
      return { kind: 'sent' };
    }
    const description = typeof json?.description === 'string' ? json.description.slice(0, 200) : answer.text.slice(0, 200);
    const said = `Telegram ${method} answered HTTP ${answer.status}: ${description}`;
    if (answer.status === 429) {
      const s = typeof json?.parameters?.retry_after === 'number' ? json.parameters.retry_after * 1000 : retryAfterMs(answer.headers);
      return { kind: 'rate_limited', retryAfterMs: s ?? 1_000, error: said };
    }
    if (answer.status >= 500) return { kind: 'retry', error: said };
    if (/message is not modified/i.test(description)) return { kind: 'sent' };
    if (/message to edit not found|message can't be edited/i.test(description)) return { kind: 'gone', error: said };
    if (answer.status === 401 || answer.status === 403 || answer.status === 404 || /chat not found/i.test(description)) return { kind: 'fatal', status: answer.status, error: said };
    return { kind: 'rejected', error: said };
  }
}
