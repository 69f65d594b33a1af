import { createHmac, timingSafeEqual } from 'node:crypto';
import { json, listen, type Received } from './fake-http.js';

/**
 * A receiver of OpsAgent's signed webhook (docs/channels.md): checks X-OpsAgent-Signature = v1=hex HMAC-SHA256
 * (secret, timestamp + "." + body) and a fresh X-OpsAgent-Timestamp (401 otherwise), records each accepted event;
 * can be made to fail (HTTP 503) until a time, as a receiver that is down for minutes.
 */
export interface FakeWebhookReceiver {
  url: string;
  secret: string;
  accepted: { body: Record<string, unknown>; at: number }[];
  refused: Received[];
  attempts: Received[];
  failUntil(untilMs: number, status?: number): void;
  /** The next request is read but never answered (a receiver that hangs while the sender dies). */
  hangNext(): void;
}

export async function startFakeWebhookReceiver(secret = 'whsec-test-0123456789abcdef'): Promise<FakeWebhookReceiver> {
  const accepted: FakeWebhookReceiver['accepted'] = [];
  const refused: Received[] = [];
  const attempts: Received[] = [];
  let failUntilMs = 0;
  let failStatus = 503;
  let hang = false;
  const { url } = await listen((r, res) => {
    attempts.push(r);
    if (hang) {
      hang = false;
      res.on('close', () => undefined);
      return;
    }
    if (Date.now() < failUntilMs) return json(res, failStatus, { error: 'down for maintenance' });
    const ts = String(r.headers['x-opsagent-timestamp'] ?? '');
    const sig = String(r.headers['x-opsagent-signature'] ?? '');
    const expected = `v1=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
    const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    if (!fresh || sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
      refused.push(r);
      return json(res, 401, { error: 'bad signature' });
    }
    accepted.push({ body: JSON.parse(r.body) as Record<string, unknown>, at: r.at });
    res.writeHead(204).end();
  });
  return { url: `${url}/opsagent`, secret, accepted, refused, attempts, failUntil: (u, s = 503) => ((failUntilMs = u), (failStatus = s)), hangNext: () => (hang = true) };
}
