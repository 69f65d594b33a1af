import type { AlertEvent } from '../model/alert.js';
import { alertmanagerFingerprint, eventFromLabels } from './alert-labels.js';
import { eventTime, implausibleTime } from './event-time.js';

/**
 * Alertmanager API v2 postable alerts (POST /api/v2/alerts, PROTOCOLS-CHANNELS.md §4), as Prometheus, vmalert, the
 * Loki/Mimir rulers and Grafana send them: `[{labels, annotations?, startsAt?, endsAt?, generatorURL?}]`. Answered
 * as Alertmanager 0.25 answers (measured against the real one):
 * - a body that is not such an array (bad JSON, wrong types, a time that is not RFC 3339): 400
 *   `{"code":400,"message":"parsing alerts body failed, because …"}`, nothing stored; an alert without `labels`: 422
 *   `{"code":602,"message":"<i>.labels in body is required"}`
 * - otherwise each alert is checked on its own: the valid ones are stored and, when some were not, the answer is 400
 *   with a JSON string joining their problems with "; " (e.g. `"at least one label pair required"`); else 200, empty.
 * Defaults as Alertmanager's: no startsAt → endsAt if given, else now; no endsAt → now + resolve timeout (5 min).
 * Empty label values are dropped (Prometheus: an empty label is no label), before the fingerprint.
 */

export const RESOLVE_TIMEOUT_MS = 5 * 60_000;

export type ApiAlertsParse =
  | { kind: 'parsed'; events: AlertEvent[]; problems: string[] }
  | { kind: 'rejected'; status: 400 | 422; body: { code: number; message: string } };

// Kept on the issue, so bounded like the webhook's: Prometheus alerts carry a dozen labels, not hundreds.
const MAX_ENTRIES = 200;
const MAX_NAME = 1_000;
const MAX_VALUE = 10_000;
const IDENTITY_LABELS = ['alertname', 'server_id', 'instance', 'job', 'context', 'chart'] as const;
const MAX_IDENTITY = 200;
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_ALERTS = 10_000;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

class BodyProblem extends Error {
  constructor(readonly status: 400 | 422, readonly code: number, message: string) {
    super(message);
  }
}

const malformed = (why: string) => new BodyProblem(400, 400, `parsing alerts body failed, because ${why}`);

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(`${where} is not an object of strings`);
  const map = value as Record<string, unknown>;
  for (const k in map) if (typeof map[k] !== 'string') throw malformed(`${where}.${k} is not a string`);
  return map as Record<string, string>;
}

/** Go's zero time ("0001-01-01T00:00:00Z") and a missing time both mean "not set". */
function time(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !RFC3339.test(value)) throw malformed(`${where} is not an RFC 3339 time`);
  if (value.startsWith('0001-')) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw malformed(`${where} is not an RFC 3339 time`);
  return ms;
}

/** The first problem of one alert that passed the schema, in Alertmanager's words where it has them. */
function problemOf(labels: Record<string, string>, annotations: Record<string, string> | undefined, startsAt: number, endsAt: number, now: number): string | undefined {
  if (endsAt < startsAt) return 'start time must be before end time';
  let n = 0;
  for (const k in labels) {
    n++;
    if (!LABEL_NAME.test(k)) return `invalid label set: invalid name ${JSON.stringify(k.slice(0, 100))}`;
    if (k.length > MAX_NAME || labels[k]!.length > MAX_VALUE) return `invalid label set: ${k.slice(0, 100)} is longer than allowed`;
  }
  // These name the issue and its server everywhere (titles, messages, prompts): as bounded as POST /api/v1/alerts.
  for (const k of IDENTITY_LABELS) {
    const v = labels[k];
    if (v !== undefined && (v.length > MAX_IDENTITY || CONTROL.test(v))) return `invalid label set: ${k} must be at most ${MAX_IDENTITY} characters without control characters`;
  }
  if (n === 0) return 'at least one label pair required';
  if (n > MAX_ENTRIES) return `invalid label set: more than ${MAX_ENTRIES} labels`;
  if (!labels.alertname?.trim()) return 'label alertname required (the issue is named by it)';
  if (annotations) {
    let m = 0;
    for (const k in annotations) {
      if (++m > MAX_ENTRIES) return `invalid annotations: more than ${MAX_ENTRIES}`;
      if (k.length > MAX_NAME || annotations[k]!.length > MAX_VALUE) return `invalid annotations: ${k.slice(0, 100)} is longer than allowed`;
    }
  }
  return implausibleTime(startsAt, now) ?? implausibleTime(endsAt, now + RESOLVE_TIMEOUT_MS);
}

export function parseAlertmanagerApiAlerts(body: unknown, defaults: { serverId: string; now: number }): ApiAlertsParse {
  const now = defaults.now;
  try {
    if (!Array.isArray(body)) throw malformed('it is not a JSON array of alerts');
    if (body.length > MAX_ALERTS) throw malformed(`it holds more than ${MAX_ALERTS} alerts`);
    // The schema first, for the whole body (as go-openapi does): one malformed alert refuses the post.
    const shaped = body.map((item: unknown, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw malformed(`alert ${i} is not an object`);
      const a = item as Record<string, unknown>;
      if (a.labels === undefined || a.labels === null) throw new BodyProblem(422, 602, `${i}.labels in body is required`);
      const labels = stringMap(a.labels, `${i}.labels`)!;
      const annotations = stringMap(a.annotations, `${i}.annotations`);
      if (a.generatorURL !== undefined && a.generatorURL !== null && typeof a.generatorURL !== 'string') throw malformed(`${i}.generatorURL is not a string`);
      return { labels, annotations, startsAt: time(a.startsAt, `${i}.startsAt`), endsAt: time(a.endsAt, `${i}.endsAt`) };
    });
    const events: AlertEvent[] = [];
    const problems: string[] = [];
    for (const a of shaped) {
      const startsAt = a.startsAt ?? a.endsAt ?? now;
      const endsAt = a.endsAt ?? now + RESOLVE_TIMEOUT_MS;
      let labels = a.labels;
      for (const k in labels) {
        if (labels[k] === '') {
          labels = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
          break;
        }
      }
      const problem = problemOf(labels, a.annotations, startsAt, endsAt, now);
      if (problem) {
        problems.push(problem);
        continue;
      }
      const resolved = endsAt <= now;
      const fingerprint = alertmanagerFingerprint(labels);
      const event = eventFromLabels(labels, a.annotations, resolved, {
        name: labels.alertname!.trim(),
        fingerprint,
        serverId: defaults.serverId,
        occurredAt: eventTime(resolved ? endsAt : startsAt, now),
      });
      event.activation = { fingerprint, startsAt: Math.min(startsAt, now), endsAt };
      events.push(event);
    }
    return { kind: 'parsed', events, problems };
  } catch (err) {
    if (!(err instanceof BodyProblem)) throw err;
    return { kind: 'rejected', status: err.status, body: { code: err.code, message: err.message } };
  }
}
