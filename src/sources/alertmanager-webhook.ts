import { z } from 'zod';
import { AppError, zodProblem } from '../errors.js';
import { eventTime, implausibleTime } from './event-time.js';
import type { AlertEvent } from '../model/alert.js';
import { alertmanagerFingerprint, eventFromLabels } from './alert-labels.js';

export { alertmanagerFingerprint, instanceHost } from './alert-labels.js';

/**
 * Prometheus Alertmanager webhook payload v4 (PROTOCOLS.md §5) -> AlertEvents, one per alert in the group, firing and
 * resolved alike, with the label mapping of alert-labels.ts. event_key = fingerprint:startsAt:status (Alertmanager
 * repeats a notification; it counts once).
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
    const fingerprint = alert.fingerprint || alertmanagerFingerprint(labels);
    const event = eventFromLabels(labels, alert.annotations, alert.status === 'resolved', {
      name,
      fingerprint,
      serverId: defaults.serverId,
      occurredAt: eventTime(alert.status === 'resolved' ? (endsAt ?? defaults.now) : startsAt, defaults.now),
    });
    event.event_key = `${fingerprint}:${alert.startsAt}:${alert.status}`;
    return event;
  });
}
