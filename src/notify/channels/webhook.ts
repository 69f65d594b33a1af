import { createHmac } from 'node:crypto';
import { retryAfterMs, send } from './http.js';
import type { Channel, ChannelEvent, DeliveryOutcome } from './types.js';

export const SIGNATURE_HEADER = 'X-OpsAgent-Signature';
export const TIMESTAMP_HEADER = 'X-OpsAgent-Timestamp';

/** `v1=` + hex HMAC-SHA256(secret, timestamp + "." + body): what a receiver recomputes (docs/channels.md). */
export function webhookSignature(secret: string, timestampS: number | string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** A signed JSON POST per event to any URL: the body is the versioned ChannelEvent itself. */
export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  readonly live = false;
  readonly name: string;
  readonly #o: { url: string; secret: string; timeoutMs: number; now: () => number };

  constructor(name: string, options: { url: string; secret: string; timeoutMs: number; now?: () => number }) {
    this.name = name;
    this.#o = { now: Date.now, ...options };
  }

  async deliver(e: ChannelEvent): Promise<DeliveryOutcome> {
    const body = JSON.stringify(e);
    const ts = Math.floor(this.#o.now() / 1000);
    const answer = await send(
      this.#o.url,
      {
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'OpsAgent-Webhook/1', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: webhookSignature(this.#o.secret, ts, body) },
        body,
      },
      this.#o.timeoutMs,
      'the webhook receiver',
    );
    if (typeof answer === 'string') return { kind: 'retry', error: answer };
    const said = `webhook receiver answered HTTP ${answer.status}`;
    if (answer.status >= 200 && answer.status < 300) return { kind: 'sent' };
    if (answer.status === 429) return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers) ?? 1_000, error: said };
    if (answer.status === 401 || answer.status === 403 || answer.status === 404 || answer.status === 410) return { kind: 'fatal', status: answer.status, error: said };
    if (answer.status >= 500 || answer.status === 408) return { kind: 'retry', error: said };
    return { kind: 'rejected', error: said };
  }
}
