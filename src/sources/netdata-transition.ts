import { z } from 'zod';
import type { AlertEvent, AlertStatus } from '../model/alert.js';
import type { NetdataAlarm, NetdataLogEntry } from './netdata-client.js';

/**
 * Pure translation of Netdata alarm-log transitions into AlertEvents, and the poller's persisted cursor.
 * WARNING/CRITICAL are firings and CLEAR a clear; REMOVED (reload, shutdown), UNDEFINED and UNINITIALIZED are not
 * a statement about the alert, so they produce no event (DESIGN §3).
 */

export function alertStatusOf(status: string): AlertStatus | undefined {
  return status === 'WARNING' || status === 'CRITICAL' || status === 'CLEAR' ? status : undefined;
}

/**
 * Event key of one transition, the same for the poller and the push webhook (`<server>:<alarm_id>:<unique_id>`), so
 * a Netdata both polled and pushing counts each transition once. A Netdata restarted on a fresh state seeds both ids
 * from its start time again, so the pair does not repeat an old one.
 */
export function transitionKey(serverId: string, alarmId: number | string, uniqueId: number | string): string {
  return `${serverId}:${alarmId}:${uniqueId}`;
}

export function transitionToEvent(entry: NetdataLogEntry, serverId: string): AlertEvent | undefined {
  const status = alertStatusOf(entry.status);
  if (!status) return undefined;
  const event: AlertEvent = {
    server_id: serverId,
    name: entry.name,
    // context is empty for some charts; the chart id is what Netdata itself falls back to
    context: entry.context || entry.chart,
    chart: entry.chart,
    status,
    value: entry.value ?? null,
    source: 'netdata',
    source_alert_id: String(entry.alarm_id),
    event_key: transitionKey(serverId, entry.alarm_id, entry.unique_id),
    occurred_at: entry.when * 1000,
  };
  if (entry.units) event.units = entry.units;
  if (entry.info) event.info = entry.info;
  return event;
}

/**
 * A raised alarm found at bootstrap. `entry` is its newest alarm-log transition into the current status (it carries
 * the context and the unique_id); without it the chart's context and the alarm's last change are used.
 */
export function raisedAlarmToEvent(
  alarm: NetdataAlarm,
  entry: NetdataLogEntry | undefined,
  context: string,
  serverId: string,
  nowMs: number,
): AlertEvent | undefined {
  const status = alertStatusOf(alarm.status);
  if (status !== 'WARNING' && status !== 'CRITICAL') return undefined;
  const when = entry?.when ?? alarm.last_status_change;
  const event: AlertEvent = {
    server_id: serverId,
    name: alarm.name,
    context: context || alarm.chart,
    chart: alarm.chart,
    status,
    value: alarm.value ?? null,
    source: 'netdata',
    source_alert_id: String(alarm.id),
    event_key: entry
      ? transitionKey(serverId, entry.alarm_id, entry.unique_id)
      : `${serverId}:${alarm.id}:raised@${alarm.last_status_change ?? 0}`,
    occurred_at: when !== undefined ? when * 1000 : nowMs,
  };
  if (alarm.units) event.units = alarm.units;
  if (alarm.info) event.info = alarm.info;
  return event;
}

/** Newest transition of the alarm into `status` at or before `upTo`, from a log sorted oldest first. */
export function findRaisingEntry(log: NetdataLogEntry[], alarm: NetdataAlarm, upTo: number): NetdataLogEntry | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (e.unique_id <= upTo && e.alarm_id === alarm.id && e.status === alarm.status) return e;
  }
  return undefined;
}

/**
 * Where the poller stopped: the last applied unique_id plus that entry's alarm_id and time. On each poll the entry
 * is read again; if it is gone or different, Netdata restarted on a fresh state (or its log overflowed) and the
 * poller re-bootstraps instead of silently skipping transitions.
 */
export const NetdataCursor = z.strictObject({
  v: z.literal(1),
  generation: z.number().int().min(1),
  id: z.number().int().min(0),
  alarm_id: z.number().int().nullable(),
  when: z.number().int().nullable(),
});
export type NetdataCursor = z.infer<typeof NetdataCursor>;

export function parseCursor(text: string | undefined): NetdataCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = NetdataCursor.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function cursorAt(generation: number, entry: NetdataLogEntry | undefined, id: number): NetdataCursor {
  return { v: 1, generation, id, alarm_id: entry?.alarm_id ?? null, when: entry?.when ?? null };
}

/** True when the log read from `cursor.id - 1` still holds the entry the cursor points at. */
export function cursorStillValid(cursor: NetdataCursor, entries: NetdataLogEntry[]): boolean {
  if (cursor.alarm_id === null) return true; // nothing to compare with (empty log at bootstrap)
  const anchor = entries.find((e) => e.unique_id === cursor.id);
  return anchor !== undefined && anchor.alarm_id === cursor.alarm_id && anchor.when === cursor.when;
}
