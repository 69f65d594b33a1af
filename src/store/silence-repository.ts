import { z } from 'zod';
import { checkMatcher, type Matcher } from '../model/matchers.js';
import type { MaintenanceWindow, WindowSchedule } from '../model/maintenance-window.js';
import type { Silence } from '../model/silence.js';
import { toIssue } from './issue-repository.js';
import type { Issue } from '../model/issue.js';
import type { Database, Query, Row, SqlExecutor } from './database.js';

/** Silences, windows and acknowledgements read in one exchange (SilenceRepository.snapshot). */
export interface SilenceSnapshot {
  version: number;
  silences: Silence[];
  windows: StoredWindow[];
  acks: Map<string, { acknowledged_by: string; acknowledged_at: number }>;
  /** The rows of the caller's extra queries, in order. */
  extra: Row[][];
}

const SilenceRow = z.object({
  id: z.string(),
  kind: z.enum(['silence', 'snooze']),
  matchers: z.string(),
  starts_at: z.number(),
  ends_at: z.number().nullable(),
  until_resolved_issue_id: z.string().nullable(),
  issue_id: z.string().nullable(),
  created_by: z.string(),
  comment: z.string(),
  created_at: z.number(),
  expired_at: z.number().nullable(),
  expired_by: z.string().nullable(),
  end_noted_at: z.number().nullable(),
});

const WindowRow = z.object({
  id: z.string(),
  name: z.string(),
  matchers: z.string(),
  schedule: z.string(),
  created_by: z.string(),
  comment: z.string(),
  created_at: z.number(),
  removed_at: z.number().nullable(),
  removed_by: z.string().nullable(),
});

/** Matchers read back are re-checked: a row edited by hand with a broken regex matches nothing rather than throwing. */
function parseMatcherJson(text: string): Matcher[] {
  try {
    const list = z.array(z.object({ field: z.string(), op: z.string(), value: z.string() })).parse(JSON.parse(text));
    return list.map((m) => checkMatcher(m));
  } catch {
    return [{ field: 'server', op: '=', value: '\u0000unusable matchers' }];
  }
}

export function toSilence(row: Row): Silence {
  const r = SilenceRow.parse(row);
  return { ...r, matchers: parseMatcherJson(r.matchers) };
}

export type StoredWindow = MaintenanceWindow & { created_at: number; removed_at: number | null; removed_by: string | null };

function toWindow(row: Row): StoredWindow {
  const r = WindowRow.parse(row);
  return { ...r, matchers: parseMatcherJson(r.matchers), schedule: JSON.parse(r.schedule) as WindowSchedule, origin: 'api' };
}

const ACTIVE = `('open','investigating')`;

/** Silences, API maintenance windows and their state, acknowledgements and reminder rounds. All SQL of issue 16 lives here. */
export class SilenceRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  // ---- silences ----

  /** Moves with every change to the set of silences and windows (not with time passing). */
  async version(tx: SqlExecutor): Promise<number> {
    return Number((await tx.get('SELECT version FROM silences_version WHERE id = 1'))?.version ?? 0);
  }

  /** Changes this process made to silences and windows (a reader's cache is stale after one, whatever the TTL). */
  localWrites = 0;

  async #bump(tx: SqlExecutor): Promise<void> {
    this.localWrites++;
    await tx.run('UPDATE silences_version SET version = version + 1 WHERE id = 1');
  }

  /** Silences not ended by hand nor announced as ended: the caller filters them by time and issue. */
  async candidates(tx: SqlExecutor): Promise<Silence[]> {
    return (await tx.all('SELECT * FROM silences WHERE end_noted_at IS NULL AND expired_at IS NULL')).map(toSilence);
  }

  async insert(tx: SqlExecutor, s: Silence): Promise<void> {
    await this.#bump(tx);
    await tx.run(
      `INSERT INTO silences (id, kind, matchers, starts_at, ends_at, until_resolved_issue_id, issue_id, created_by, comment, created_at, expired_at, expired_by, end_noted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [s.id, s.kind, JSON.stringify(s.matchers), s.starts_at, s.ends_at, s.until_resolved_issue_id, s.issue_id, s.created_by, s.comment, s.created_at, s.expired_at, s.expired_by, s.end_noted_at],
    );
  }

  async get(id: string, tx: SqlExecutor = this.#db): Promise<Silence | undefined> {
    const row = await tx.get('SELECT * FROM silences WHERE id = ?', [id]);
    return row ? toSilence(row) : undefined;
  }

  async idsStartingWith(prefix: string): Promise<string[]> {
    const rows = await this.#db.all(`SELECT id FROM silences WHERE id >= ? AND id < ? ORDER BY id LIMIT 2`, [prefix, `${prefix}\uffff`]);
    return rows.map((r) => String(r.id));
  }

  /** Silences that have not ended (pending or active), or every silence with `all`; newest first. */
  async list(now: number, options: { all?: boolean; limit?: number } = {}): Promise<(Silence & { until_issue_status: string | null })[]> {
    const rows = await this.#db.all(
      `SELECT s.*, i.status AS until_issue_status FROM silences s LEFT JOIN issues i ON i.id = s.until_resolved_issue_id
       ${options.all ? '' : `WHERE s.expired_at IS NULL AND (s.ends_at > :now OR (s.ends_at IS NULL AND i.status IN ${ACTIVE}))`}
       ORDER BY s.created_at DESC, s.id DESC LIMIT :limit`,
      { now, limit: options.limit ?? 500 },
    );
    return rows.map((r) => ({ ...toSilence(r), until_issue_status: r.until_issue_status == null ? null : String(r.until_issue_status) }));
  }

  /** Silences that have ended (by hand, by time, or their issue resolved) and whose end nobody has announced yet. */
  async endedUnnoted(now: number): Promise<Silence[]> {
    const rows = await this.#db.all(
      `SELECT s.* FROM silences s LEFT JOIN issues i ON i.id = s.until_resolved_issue_id
       WHERE s.end_noted_at IS NULL
         AND (s.expired_at IS NOT NULL OR s.ends_at <= :now OR (s.ends_at IS NULL AND (i.status IS NULL OR i.status NOT IN ${ACTIVE})))
       LIMIT 100`,
      { now },
    );
    return rows.map(toSilence);
  }

  /** The claim of a silence's end message: true for exactly one caller across every process on the database. */
  async claimEnd(tx: SqlExecutor, id: string, now: number): Promise<boolean> {
    const claimed = (await tx.run('UPDATE silences SET end_noted_at = ? WHERE id = ? AND end_noted_at IS NULL', [now, id])).changes === 1;
    if (claimed) await this.#bump(tx);
    return claimed;
  }

  /** Ends a silence by hand (compare-and-set: a silence already expired stays as it was). */
  async expire(tx: SqlExecutor, id: string, by: string, now: number): Promise<boolean> {
    const r = await tx.run('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ? AND expired_at IS NULL AND (ends_at IS NULL OR ends_at > ?)', [now, by, id, now]);
    if (r.changes === 1) await this.#bump(tx);
    return r.changes === 1;
  }

  // ---- maintenance windows made through the API ----

  async insertWindow(tx: SqlExecutor, w: StoredWindow): Promise<void> {
    await this.#bump(tx);
    await tx.run(
      'INSERT INTO maintenance_windows (id, name, matchers, schedule, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [w.id, w.name, JSON.stringify(w.matchers), JSON.stringify(w.schedule), w.created_by, w.comment, w.created_at],
    );
  }

  async windows(tx: SqlExecutor = this.#db, options: { all?: boolean } = {}): Promise<StoredWindow[]> {
    const rows = await tx.all(`SELECT * FROM maintenance_windows ${options.all ? '' : 'WHERE removed_at IS NULL'} ORDER BY created_at, id`);
    return rows.map(toWindow);
  }

  async getWindow(id: string): Promise<StoredWindow | undefined> {
    const row = await this.#db.get('SELECT * FROM maintenance_windows WHERE id = ?', [id]);
    return row ? toWindow(row) : undefined;
  }

  async removeWindow(tx: SqlExecutor, id: string, by: string, now: number): Promise<boolean> {
    const removed = (await tx.run('UPDATE maintenance_windows SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL', [now, by, id])).changes === 1;
    if (removed) await this.#bump(tx);
    return removed;
  }

  async windowState(tx: SqlExecutor, windowId: string): Promise<{ active: boolean; occurrence_end: number | null } | undefined> {
    const row = await tx.get('SELECT active, occurrence_end FROM maintenance_window_state WHERE window_id = ?', [windowId]);
    return row ? { active: Number(row.active) === 1, occurrence_end: row.occurrence_end == null ? null : Number(row.occurrence_end) } : undefined;
  }

  /** Records that a window is open until `end`; true when this call moved it from closed (or unknown) to open. */
  async markWindowOpen(tx: SqlExecutor, windowId: string, end: number, now: number): Promise<boolean> {
    const r = await tx.run(
      `INSERT INTO maintenance_window_state (window_id, active, occurrence_end, updated_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (window_id) DO UPDATE SET active = 1, occurrence_end = excluded.occurrence_end, updated_at = excluded.updated_at
       WHERE maintenance_window_state.active = 0 OR maintenance_window_state.occurrence_end IS NOT excluded.occurrence_end`,
      [windowId, end, now],
    );
    return r.changes === 1;
  }

  /** The claim of a window's end message: moves it from open to closed; true for exactly one caller. */
  async claimWindowClosed(tx: SqlExecutor, windowId: string, now: number): Promise<boolean> {
    return (await tx.run('UPDATE maintenance_window_state SET active = 0, updated_at = ? WHERE window_id = ? AND active = 1', [now, windowId])).changes === 1;
  }

  async openWindowIds(tx: SqlExecutor = this.#db): Promise<string[]> {
    return (await tx.all('SELECT window_id FROM maintenance_window_state WHERE active = 1')).map((r) => String(r.window_id));
  }

  // ---- acknowledgements ----

  async ack(tx: SqlExecutor, issueId: string, by: string, now: number): Promise<{ acknowledged_by: string; acknowledged_at: number } | undefined> {
    const before = await this.ackOf(issueId, tx);
    await tx.run(
      `INSERT INTO issue_acks (issue_id, acknowledged_by, acknowledged_at) VALUES (?, ?, ?)
       ON CONFLICT (issue_id) DO UPDATE SET acknowledged_by = excluded.acknowledged_by, acknowledged_at = excluded.acknowledged_at`,
      [issueId, by, now],
    );
    return before;
  }

  async unack(tx: SqlExecutor, issueId: string): Promise<boolean> {
    return (await tx.run('DELETE FROM issue_acks WHERE issue_id = ?', [issueId])).changes === 1;
  }

  async ackOf(issueId: string, tx: SqlExecutor = this.#db): Promise<{ acknowledged_by: string; acknowledged_at: number } | undefined> {
    const row = await tx.get('SELECT acknowledged_by, acknowledged_at FROM issue_acks WHERE issue_id = ?', [issueId]);
    return row ? { acknowledged_by: String(row.acknowledged_by), acknowledged_at: Number(row.acknowledged_at) } : undefined;
  }

  /**
   * What a listing shows of silences, in one exchange with the database (a round trip on Turso): the version, the
   * silences and windows in force, the acknowledgements of up to 500 issues, and the caller's `extra` queries.
   */
  async snapshot(issueIds: readonly string[], extra: readonly Query[] = []): Promise<SilenceSnapshot> {
    const ids = issueIds.slice(0, 500);
    const [version, silences, windows, acks, ...extraRows] = await this.#db.readMany([
      { sql: 'SELECT version FROM silences_version WHERE id = 1' },
      { sql: 'SELECT * FROM silences WHERE end_noted_at IS NULL AND expired_at IS NULL' },
      { sql: 'SELECT * FROM maintenance_windows WHERE removed_at IS NULL ORDER BY created_at, id' },
      { sql: ids.length > 0 ? `SELECT * FROM issue_acks WHERE issue_id IN (${ids.map(() => '?').join(',')})` : 'SELECT * FROM issue_acks WHERE 0', args: ids },
      ...extra,
    ]);
    const out = new Map<string, { acknowledged_by: string; acknowledged_at: number }>();
    for (const r of acks!) out.set(String(r.issue_id), { acknowledged_by: String(r.acknowledged_by), acknowledged_at: Number(r.acknowledged_at) });
    if (issueIds.length > ids.length) for (const [k, v] of await this.acksOf(issueIds.slice(500))) out.set(k, v);
    return { version: Number(version![0]?.version ?? 0), silences: silences!.map(toSilence), windows: windows!.map(toWindow), acks: out, extra: extraRows };
  }

  async acksOf(issueIds: readonly string[]): Promise<Map<string, { acknowledged_by: string; acknowledged_at: number }>> {
    const out = new Map<string, { acknowledged_by: string; acknowledged_at: number }>();
    for (let i = 0; i < issueIds.length; i += 500) {
      const chunk = issueIds.slice(i, i + 500);
      const rows = await this.#db.all(`SELECT * FROM issue_acks WHERE issue_id IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const r of rows) out.set(String(r.issue_id), { acknowledged_by: String(r.acknowledged_by), acknowledged_at: Number(r.acknowledged_at) });
    }
    return out;
  }

  // ---- issues the silences look at ----

  /** Active issues, for what a silence or window covers (bounded: a silence over thousands of issues lists the first). */
  async activeIssues(tx: SqlExecutor = this.#db, limit = 2_000): Promise<Issue[]> {
    const rows = await tx.all(`SELECT * FROM issues WHERE status IN ${ACTIVE} ORDER BY last_seen_at DESC LIMIT ?`, [limit]);
    return rows.map(toIssue);
  }

  /** Open critical issues nobody acknowledged, first seen before `before`. */
  async unacknowledgedCritical(tx: SqlExecutor, before: number): Promise<Issue[]> {
    const rows = await tx.all(
      `SELECT i.* FROM issues i LEFT JOIN issue_acks a ON a.issue_id = i.id
       WHERE i.status IN ${ACTIVE} AND i.severity = 'critical' AND a.issue_id IS NULL AND i.first_seen_at <= ?
       ORDER BY i.first_seen_at LIMIT 500`,
      [before],
    );
    return rows.map(toIssue);
  }

  /** One reminder round per interval: true for the one caller that claims it. */
  async claimReminderRound(tx: SqlExecutor, roundStart: number, now: number): Promise<boolean> {
    return (await tx.run('INSERT INTO reminder_rounds (round_start, claimed_at) VALUES (?, ?) ON CONFLICT (round_start) DO NOTHING', [roundStart, now])).changes === 1;
  }

  async setReminderCount(tx: SqlExecutor, roundStart: number, n: number): Promise<void> {
    await tx.run('UPDATE reminder_rounds SET issue_count = ? WHERE round_start = ?', [n, roundStart]);
  }
}
