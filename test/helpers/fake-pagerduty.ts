import { json, listen, params, type Received } from './fake-http.js';

/**
 * A fake PagerDuty Events API v2 (PROTOCOLS §6): POST /v2/enqueue → 202 `{"status":"success","message":"Event
 * processed","dedup_key":…}`; 400 `{"status":"invalid event","message":"Event object is invalid","errors":[…]}`;
 * a scripted 429 (`{"status":"throttle event","message":"Requests for this service are arriving too quickly…"}`).
 * Keeps incidents as PagerDuty does: a trigger opens one per dedup_key (or updates the open one), acknowledge and
 * resolve apply to the open one, a trigger after a resolve opens a new one.
 */
export interface Incident {
  dedup_key: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  severity: string;
  summary: string;
  events: string[];
}

export interface FakePagerDuty {
  url: string;
  routingKey: string;
  incidents: Incident[];
  requests: Received[];
  rateLimitNext(n: number): void;
  failUntil(untilMs: number, status: number): void;
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const routingKey = 'R0123456789ABCDEF0123456789ABCDE';
  const incidents: Incident[] = [];
  const requests: Received[] = [];
  let limited = 0;
  let failUntilMs = 0;
  let failStatus = 503;
  const { url } = await listen((r, res) => {
    requests.push(r);
    if (r.method !== 'POST' || r.path !== '/v2/enqueue') return json(res, 404, { status: 'Not Found', message: 'Not Found' });
    if (Date.now() < failUntilMs) return json(res, failStatus, { status: 'error', message: 'Service unavailable' });
    if (limited > 0) {
      limited--;
      return json(res, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' });
    }
    const p = params(r) as { routing_key?: unknown; event_action?: unknown; dedup_key?: unknown; payload?: { summary?: unknown; source?: unknown; severity?: unknown } };
    const errors: string[] = [];
    if (typeof p.routing_key !== 'string' || p.routing_key.length !== 32) errors.push("'routing_key' is invalid");
    if (!['trigger', 'acknowledge', 'resolve'].includes(String(p.event_action))) errors.push("'event_action' is invalid");
    if (p.event_action === 'trigger') {
      if (!p.payload || typeof p.payload.summary !== 'string' || typeof p.payload.source !== 'string') errors.push("'payload' is missing or invalid");
      else if (!['critical', 'error', 'warning', 'info'].includes(String(p.payload.severity))) errors.push("'payload.severity' is invalid");
    } else if (typeof p.dedup_key !== 'string') errors.push("'dedup_key' is required");
    if (errors.length > 0) return json(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
    if (p.routing_key !== routingKey) return json(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] });
    const key = typeof p.dedup_key === 'string' ? p.dedup_key : `gen-${incidents.length}`;
    const open = incidents.find((i) => i.dedup_key === key && i.status !== 'resolved');
    const action = String(p.event_action);
    if (action === 'trigger') {
      if (open) {
        open.events.push('trigger');
        open.severity = String(p.payload!.severity);
        open.summary = String(p.payload!.summary);
      } else incidents.push({ dedup_key: key, status: 'triggered', severity: String(p.payload!.severity), summary: String(p.payload!.summary), events: ['trigger'] });
    } else if (open) {
      open.events.push(action);
      open.status = action === 'acknowledge' ? 'acknowledged' : 'resolved';
    }
    return json(res, 202, { status: 'success', message: 'Event processed', dedup_key: key });
  });
  return { url, routingKey, incidents, requests, rateLimitNext: (n) => (limited = n), failUntil: (u, s) => ((failUntilMs = u), (failStatus = s)) };
}
