import type { AlertEvent, AlertStatus } from '../model/alert.js';
import type { Row } from '../store/database.js';

/** Legacy timestamps come as epoch seconds, epoch ms, or date text. */
export function legacyTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return legacyTime(Number(value));
    const iso = value.includes('T') || /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function legacyStatus(value: unknown): AlertStatus {
  const s = String(value ?? '').toLowerCase();
  if (['clear', 'cleared', 'resolved', 'ok', 'normal'].includes(s)) return 'CLEAR';
  if (['critical', 'crit', 'error', 'page', 'high'].includes(s)) return 'CRITICAL';
  return 'WARNING';
}

/** One legacy row -> one event; `undefined` when the row has no usable name or time (reported, skipped). */
export function legacyRowToEvent(row: Row, defaultServerId: string): AlertEvent | undefined {
  const name = typeof row.name === 'string' ? row.name.trim() : row.name == null ? '' : String(row.name);
  const occurred = legacyTime(row.time);
  if (!name || occurred === undefined) return undefined;
  const context = row.context ? String(row.context) : name;
  const event: AlertEvent = {
    server_id: row.server ? String(row.server) : defaultServerId,
    name,
    context,
    chart: row.chart ? String(row.chart) : context,
    status: legacyStatus(row.status),
    source: 'opsagent',
    event_key: `legacy-alerts:${String(row.id)}`,
    occurred_at: occurred,
  };
  const value = typeof row.value === 'number' ? row.value : Number(row.value);
  if (row.value != null && Number.isFinite(value)) event.value = value;
  if (row.units) event.units = String(row.units);
  if (row.info) event.info = String(row.info).slice(0, 4_000);
  return event;
}
