import { AppError } from '../errors.js';
import type { Database, Row } from './database.js';

/** Candidate column names of the legacy one-row-per-firing `alerts` table, in order of preference. */
export const LEGACY_COLUMNS = {
  id: ['id', 'alert_id', 'rowid'],
  server: ['server_id', 'server', 'host', 'hostname'],
  name: ['name', 'alert_name', 'alert', 'title'],
  context: ['context'],
  chart: ['chart'],
  status: ['status', 'severity', 'level', 'state'],
  value: ['value'],
  units: ['units', 'unit'],
  info: ['info', 'description', 'message', 'summary'],
  time: ['created_at', 'fired_at', 'timestamp', 'occurred_at', 'time', 'date'],
} as const;

export type LegacyField = keyof typeof LEGACY_COLUMNS;
export type LegacyColumnMap = Partial<Record<LegacyField, string>>;

/** Reads the legacy `alerts` table read-only, in firing order; it is never modified or dropped. */
export class LegacyAlertsRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async columnMap(): Promise<LegacyColumnMap> {
    const cols = await this.#db.all(`SELECT name FROM pragma_table_info('alerts')`);
    if (cols.length === 0) throw new AppError('NOT_FOUND', 'there is no legacy "alerts" table in this database: nothing to migrate');
    const names = new Set(cols.map((c) => String(c.name).toLowerCase()));
    const map: LegacyColumnMap = {};
    for (const [field, candidates] of Object.entries(LEGACY_COLUMNS) as [LegacyField, readonly string[]][]) {
      const found = candidates.find((c) => names.has(c));
      if (found) map[field] = found;
    }
    if (!map.id) map.id = 'rowid';
    const missing = (['name', 'time'] as const).filter((f) => !map[f]);
    if (missing.length) {
      throw new AppError(
        'INPUT_INVALID',
        `the legacy alerts table has no column for ${missing.join(' and ')} (looked for ${missing.map((f) => LEGACY_COLUMNS[f].join('/')).join('; ')})`,
      );
    }
    return map;
  }

  async count(): Promise<number> {
    const row = await this.#db.get('SELECT COUNT(*) AS n FROM alerts');
    return Number(row?.n ?? 0);
  }

  /** One page in (time, id) order, after the given position (keyset pagination keeps large tables cheap). */
  async page(map: LegacyColumnMap, after: { time: unknown; id: unknown } | undefined, limit: number): Promise<Row[]> {
    const q = (c: string) => (c === 'rowid' ? 'rowid' : `"${c.replace(/"/g, '""')}"`);
    const select = Object.entries(map).map(([field, col]) => `${q(col)} AS ${field}`).join(', ');
    const order = `${q(map.time!)}, ${q(map.id!)}`;
    if (!after) return this.#db.all(`SELECT ${select} FROM alerts ORDER BY ${order} LIMIT ?`, [limit]);
    return this.#db.all(
      `SELECT ${select} FROM alerts WHERE (${q(map.time!)}, ${q(map.id!)}) > (?, ?) ORDER BY ${order} LIMIT ?`,
      [after.time as string, after.id as string, limit],
    );
  }

  async migratedCount(): Promise<number> {
    const row = await this.#db.get(`SELECT COUNT(*) AS n FROM ingest_keys WHERE source = 'opsagent' AND event_key LIKE 'legacy-alerts:%'`);
    return Number(row?.n ?? 0);
  }
}
