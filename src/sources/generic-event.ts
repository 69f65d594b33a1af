import { z } from 'zod';
import { AppError } from '../errors.js';
import type { AlertEvent } from '../model/alert.js';
import { eventTime, implausibleTime } from './event-time.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** A generic AlertEvent as clients send it to POST /api/v1/alerts and `alerts-ingest` (DESIGN §1). */
const GenericEvent = z.strictObject({
  server_id: text(200).optional(),
  name: text(200).regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters'),
  context: text(200).optional(),
  chart: text(200).optional(),
  status: z.enum(['WARNING', 'CRITICAL', 'CLEAR']),
  value: z.number().finite().nullable().optional(),
  units: z.string().max(50).optional(),
  info: z.string().max(4_000).optional(),
  source: z.literal('opsagent').optional(),
  source_alert_id: z.string().max(200).optional(),
  event_key: text(200).optional(),
  event_id: text(200).optional(), // alias of event_key
  occurred_at: z
    .union([z.number().int().positive(), z.iso.datetime({ offset: true })])
    .optional(),
});

export const MAX_EVENTS_PER_BATCH = 10_000;

function describePath(index: number | undefined, path: PropertyKey[]): string {
  const where = index === undefined ? 'event' : `event #${index + 1}`;
  return path.length ? `${where}, field ${path.map(String).join('.')}` : where;
}

/**
 * Validates a generic event or array of events, all or nothing: the first problem is reported as one line naming
 * the event and field. Events without context/chart use the name (a generic alert has no chart).
 */
export function parseGenericEvents(body: unknown, defaults: { serverId: string; now: number }): AlertEvent[] {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new AppError('INPUT_INVALID', 'no events: expected an event object or a non-empty array of events');
  if (list.length > MAX_EVENTS_PER_BATCH) {
    throw new AppError('INPUT_INVALID', `too many events in one batch: ${list.length} (at most ${MAX_EVENTS_PER_BATCH})`);
  }
  return list.map((item, i) => {
    const index = Array.isArray(body) ? i : undefined;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new AppError('INPUT_INVALID', `${describePath(index, [])}: expected a JSON object`);
    }
    const parsed = GenericEvent.safeParse(item);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw new AppError('INPUT_INVALID', `${describePath(index, first.path)}: ${first.message}`);
    }
    const e = parsed.data;
    if (e.event_key && e.event_id && e.event_key !== e.event_id) {
      throw new AppError('INPUT_INVALID', `${describePath(index, ['event_id'])}: differs from event_key; send one of them`);
    }
    const occurred = typeof e.occurred_at === 'string' ? Date.parse(e.occurred_at) : (e.occurred_at ?? defaults.now);
    const badTime = implausibleTime(occurred, defaults.now);
    if (badTime) throw new AppError('INPUT_INVALID', `${describePath(index, ['occurred_at'])}: ${badTime}`);
    const occurredAt = eventTime(occurred, defaults.now);
    const event: AlertEvent = {
      server_id: e.server_id ?? defaults.serverId,
      name: e.name,
      context: e.context ?? e.name,
      chart: e.chart ?? e.context ?? e.name,
      status: e.status,
      source: 'opsagent',
      occurred_at: occurredAt,
    };
    if (e.value !== undefined) event.value = e.value;
    if (e.units !== undefined) event.units = e.units;
    if (e.info !== undefined) event.info = e.info;
    if (e.source_alert_id !== undefined) event.source_alert_id = e.source_alert_id;
    const key = e.event_key ?? e.event_id;
    if (key !== undefined) event.event_key = key;
    return event;
  });
}
