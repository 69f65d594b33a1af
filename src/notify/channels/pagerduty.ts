import { clip, headline } from './event-text.js';
import { parseJson, retryAfterMs, send, trimBase } from './http.js';
import type { Channel, ChannelEvent, ChannelEventKind, DeliveryOutcome } from './types.js';

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

/**
 * The Events API v2 action of a change (one incident per issue, dedup_key = the issue id): trigger on open and
 * escalation (a second trigger with the same key updates the open alert), acknowledge on ack, resolve on resolve.
 * undefined: PagerDuty is not told (approvals, digests).
 */
export function pagerDutyAction(kind: ChannelEventKind): PagerDutyAction | undefined {
  switch (kind) {
    case 'new':
    case 'escalated':
      return 'trigger';
    case 'acknowledged':
      return 'acknowledge';
    case 'resolved':
      return 'resolve';
    case 'approvals':
    case 'digest':
      return undefined;
  }
}

/** OpsAgent severity → PagerDuty's critical | error | warning | info. */
function severityOf(s: string | undefined): string {
  return s === 'critical' ? 'critical' : 'warning';
}

export function pagerDutyBody(routingKey: string, e: ChannelEvent, action: PagerDutyAction): Record<string, unknown> {
  const i = e.issue!;
  const base = { routing_key: routingKey, event_action: action, dedup_key: i.id };
  if (action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: clip(headline(e).replace(/^\S+ /u, ''), 1_024),
      source: i.server_id,
      severity: severityOf(i.severity),
      timestamp: new Date(e.at).toISOString(),
      component: i.title,
      class: i.title,
      custom_details: { issue_id: i.id, status: i.status, value: i.value ?? null, firings: i.alert_count ?? null, description: i.description ?? null },
    },
    client: 'OpsAgent',
    client_url: e.url,
    links: [{ href: e.url, text: 'Issue in OpsAgent' }],
  };
}

/** PagerDuty Events API v2: POST /v2/enqueue, answered 202 {status, message, dedup_key}. */
export class PagerDutyChannel implements Channel {
  readonly type = 'pagerduty';
  readonly live = false;
  readonly name: string;
  readonly #o: { routingKey: string; apiBaseUrl: string; timeoutMs: number };

  constructor(name: string, options: { routingKey: string; apiBaseUrl: string; timeoutMs: number }) {
    this.name = name;
    this.#o = { ...options, apiBaseUrl: trimBase(options.apiBaseUrl) };
  }

  async deliver(e: ChannelEvent): Promise<DeliveryOutcome> {
    const action = pagerDutyAction(e.kind);
    if (!action || !e.issue) return { kind: 'sent' };
    const answer = await send(`${this.#o.apiBaseUrl}/v2/enqueue`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(pagerDutyBody(this.#o.routingKey, e, action)) }, this.#o.timeoutMs, 'PagerDuty');
    if (typeof answer === 'string') return { kind: 'retry', error: answer };
    const json = parseJson(answer.text) as { status?: unknown; message?: unknown; errors?: unknown } | undefined;
    const said = `PagerDuty answered HTTP ${answer.status}${typeof json?.message === 'string' ? `: ${json.message.slice(0, 200)}` : ''}${Array.isArray(json?.errors) ? ` (${json.errors.map(String).join('; ').slice(0, 300)})` : ''}`;
    if (answer.status === 202 || (answer.status >= 200 && answer.status < 300)) return { kind: 'sent' };
    // PagerDuty gives no number on 429 ("retry after a backoff"): the channel's own backoff decides, capped by maxMs.
    if (answer.status === 429) return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers), error: said };
    if (answer.status >= 500) return { kind: 'retry', error: said };
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) return { kind: 'fatal', status: answer.status, error: said };
    return { kind: 'rejected', error: said };
  }
}
