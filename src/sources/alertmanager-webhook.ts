import { z } from 'zod';
import { AppError, zodProblem } from '../errors.js';
import { eventTime, implausibleTime } from './event-time.js';
import type { AlertEvent } from '../model/alert.js';

/**
 * Prometheus Alertmanager webhook payload v4 (PROTOCOLS.md §5) -> AlertEvents, one per alert in the group, firing and
 * resolved alike. Label mapping (documented in docs/sources.md):
 *   name     = labels.alertname
 *   context  = labels.context ?? labels.job ?? alertname
 *   chart    = labels.chart ?? labels.instance ?? ''
 *   server   = labels.server_id ?? host part of labels.instance ?? the agent's server id
 *   status   = resolved -> CLEAR; labels.severity critical|page -> CRITICAL; anything else -> WARNING
 *   event_key = fingerprint:startsAt:status (Alertmanager repeats a notification; it counts once)
 *   labels and annotations travel with the event: the issue keeps them (silences and routes match labels;
 *   annotations such as runbook_url are shown on the issue)
 */

// Kept on the issue, so bounded: Prometheus alerts carry a dozen labels, not hundreds.
const labelMap = z
  .record(z.string().max(1_000), z.string().max(10_000))
  .refine((m) => Object.keys(m).length <= 200, 'holds more than 200 entries');

const AmAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.optional(),
  startsAt: z.string().max(100),
  endsAt: z.string().max(100).optional(),
  generatorURL: z.string().max(10_000).optional(),
  fingerprint: z.string().max(100).optional(),
});

const AmPayload = z.looseObject({
  version: z.string().max(10).optional(),
  status: z.string().max(20).optional(),
  receiver: z.string().max(1_000).optional(),
  alerts: z.array(AmAlert).min(1, 'must hold at least one alert').max(10_000),
});

/** Prometheus' label-set fingerprint (FNV-1a 64 over sorted name/value pairs), used when a payload lacks one. */
export function alertmanagerFingerprint(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (const k of Object.keys(labels).sort()) {
    for (const b of [...Buffer.from(k), 255, ...Buffer.from(labels[k]!), 255]) {
      h ^= BigInt(b);
      h = (h * prime) & mask;
    }
  }
  return h.toString(16).padStart(16, '0');
}

/** "web-1:9100" -> "web-1", "[::1]:9100" -> "::1", "web-1" -> "web-1". */
export function instanceHost(instance: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1]!;
  const colons = instance.split(':').length - 1;
  if (colons === 1) return instance.slice(0, instance.lastIndexOf(':'));
  return instance; // a bare host, or an IPv6 address without a port
}

/** Go's zero time ("0001-01-01T00:00:00Z") means "not ended". */
function parseTime(text: string | undefined): number | undefined {
  if (!text || text.startsWith('0001-')) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export function parseAlertmanagerWebhook(body: unknown, defaults: { serverId: string; now: number }): AlertEvent[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('INPUT_INVALID', 'expected an Alertmanager webhook payload (a JSON object with "alerts")');
  }
  const parsed = AmPayload.safeParse(body);
  if (!parsed.success) {
    throw new AppError('INPUT_INVALID', `Alertmanager payload: ${zodProblem(parsed.error, { field: 'field ', whole: 'body' })}`);
  }
  return parsed.data.alerts.map((alert, i) => {
    const labels = alert.labels;
    const name = labels.alertname?.trim();
    if (!name) throw new AppError('INPUT_INVALID', `Alertmanager payload: field alerts.${i}.labels.alertname: is required`);
    const startsAt = parseTime(alert.startsAt);
    if (startsAt === undefined) {
      throw new AppError('INPUT_INVALID', `Alertmanager payload: field alerts.${i}.startsAt: not an RFC 3339 time`);
    }
    const endsAt = alert.status === 'resolved' ? parseTime(alert.endsAt) : undefined;
    for (const [field, ms] of [['startsAt', startsAt], ['endsAt', endsAt]] as const) {
      const bad = ms === undefined ? undefined : implausibleTime(ms, defaults.now);
      if (bad) throw new AppError('INPUT_INVALID', `Alertmanager payload: field alerts.${i}.${field}: ${bad}`);
    }
    const severity = (labels.severity ?? '').toLowerCase();
    const status = alert.status === 'resolved' ? 'CLEAR' : severity === 'critical' || severity === 'page' ? 'CRITICAL' : 'WARNING';
    const fingerprint = alert.fingerprint || alertmanagerFingerprint(labels);
    const instance = labels.instance;
    const event: AlertEvent = {
      server_id: labels.server_id || (instance ? instanceHost(instance) : '') || defaults.serverId,
      name,
      context: labels.context || labels.job || name,
      chart: labels.chart ?? instance ?? '',
      status,
      source: 'alertmanager',
      source_alert_id: fingerprint,
      event_key: `${fingerprint}:${alert.startsAt}:${alert.status}`,
      occurred_at: eventTime(alert.status === 'resolved' ? (endsAt ?? defaults.now) : startsAt, defaults.now),
    };
    event.labels = labels;
    if (alert.annotations && Object.keys(alert.annotations).length > 0) event.annotations = alert.annotations;
    const info = alert.annotations?.summary ?? alert.annotations?.description;
    if (info) event.info = info.slice(0, 4_000);
    return event;
  });
}
