import { z } from 'zod';
import { hostname } from 'node:os';
import { AppError, zodProblem } from '../errors.js';
import { eventTime, implausibleTime } from './event-time.js';
import type { AlertEvent } from '../model/alert.js';
import { alertStatusOf, transitionKey } from './netdata-transition.js';

/**
 * Netdata's push path: the variables alarm-notify.sh gives `custom_sender()` (contrib/netdata/
 * health_alarm_notify.conf posts them form-urlencoded; JSON with the same names works too). Every value may arrive
 * as a string. Netdata 1.37 sends `context` empty, so the chart id stands in for it (as in the alarm log).
 */

const scalar = (max: number) =>
  z.union([z.string().max(max), z.number().finite()]).transform((v) => String(v).trim());
const digits = scalar(30).pipe(z.string().regex(/^\d*$/, 'must be a non-negative integer'));

const NetdataNotification = z.looseObject({
  name: scalar(500).pipe(z.string().min(1, 'is required').regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters')),
  chart: scalar(500).pipe(z.string().min(1, 'is required')),
  status: scalar(50).pipe(z.string().min(1, 'is required')),
  context: scalar(500).optional(),
  host: scalar(500).optional(),
  server_id: scalar(200).optional(),
  unique_id: digits.optional(),
  alarm_id: digits.optional(),
  when: digits.optional(),
  value: scalar(100).optional(),
  units: scalar(100).optional(),
  info: scalar(4_000).optional(),
});

export type NetdataPushResult = { kind: 'event'; event: AlertEvent } | { kind: 'ignored'; reason: string };

function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null; // "nan" on a first transition
}

/**
 * Translates one custom_sender notification. Statuses other than WARNING/CRITICAL/CLEAR and the payloads of
 * `alarm-notify.sh test` are ignored (answered 202, nothing stored). Event key: `<server>:<alarm_id>:<unique_id>`.
 */
export function parseNetdataNotification(
  body: unknown,
  defaults: { serverId: string; now: number; /** `?server_id=` on the webhook URL wins over the payload */ serverIdOverride?: string },
): NetdataPushResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('INPUT_INVALID', 'expected Netdata custom_sender variables (form-urlencoded or a JSON object)');
  }
  const parsed = NetdataNotification.safeParse(body);
  if (!parsed.success) throw new AppError('INPUT_INVALID', `Netdata notification: ${zodProblem(parsed.error, { field: 'field ', whole: 'body' })}`);
  const n = parsed.data;
  if (n.name === 'test_alarm' && n.chart === 'test.chart') return { kind: 'ignored', reason: 'alarm-notify.sh test notification' };
  const status = alertStatusOf(n.status);
  if (!status) return { kind: 'ignored', reason: `status ${n.status} is not a firing or a clear` };
  // The Netdata of this machine reports its hostname: its events belong to the agent's own id, as the poller's do,
  // so push and poll share issues and event keys.
  const host = n.host && n.host !== hostname() ? n.host : '';
  const serverId = defaults.serverIdOverride || n.server_id || host || defaults.serverId;
  const when = n.when ? Number(n.when) : 0;
  const badTime = when > 0 ? implausibleTime(when * 1000, defaults.now) : undefined;
  if (badTime) throw new AppError('INPUT_INVALID', `Netdata notification: field when (epoch seconds): ${badTime}`);
  const event: AlertEvent = {
    server_id: serverId,
    name: n.name,
    context: n.context || n.chart,
    chart: n.chart,
    status,
    value: numberOrNull(n.value),
    source: 'netdata',
    occurred_at: when > 0 ? eventTime(when * 1000, defaults.now) : defaults.now,
  };
  if (n.units) event.units = n.units;
  if (n.info) event.info = n.info;
  if (n.alarm_id) event.source_alert_id = n.alarm_id;
  if (n.unique_id) event.event_key = transitionKey(serverId, n.alarm_id ?? '', n.unique_id);
  return { kind: 'event', event };
}
