import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database, SqlExecutor, SqlValue } from './database.js';

export type OutboxChannel = 'webhook' | 'bot';

/** A row to insert; dedup_key makes the insert idempotent. The payload is JSON the notify stage defines. */
export interface OutboxInsert {
  kind: string;
  channel: OutboxChannel;
  dedup_key: string;
  issue_id: string | null;
  action_id: string | null;
  payload: unknown;
}

/** A claimed row; the payload is parsed JSON, still to be validated by its owner. */
export interface OutboxRow {
  id: number;
  channel: OutboxChannel;
  attempts: number;
  created_at: number;
  payload: unknown;
}

const OutboxRowSchema = z.object({
  id: z.number(),
  channel: z.enum(['webhook', 'bot']),
  attempts: z.number(),
  created_at: z.number(),
  payload: z.string(),
});

const CHUNK = 400; // ids per IN (...) list, well under SQLite's parameter limit

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export interface OutboxCounts {
  pending: number;
  sent: number;
  failed: number;
}

export interface DigestCounts {
  opened: number;
  resolved: number;
  stillOpen: number;
  criticalOpen: { id: string; title: string; server_id: string; alert_count: number }[];
  noisiest: { id: string; title: string; server_id: string; alert_count: number; status: string }[];
}

export interface DigestActions {
  available: boolean;
  executed: { action_type: string; executed: number; succeeded: number; verified: number; not_verified: number }[];
  pendingApprovals: { id: string; action_type: string; issue_id: string; expires_at: number | null }[];
}

/** All SQL on the Discord outbox (notifications), handled interaction ids, and the digest's reads. */
export class NotificationRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  // ---- inside the caller's write transaction ----------------------------------------------------

  /** Queues a notification; false when one with the same dedup_key exists (already queued or sent). */
  async enqueue(tx: SqlExecutor, n: OutboxInsert, now: number): Promise<boolean> {
    const r = await tx.run(
      `INSERT OR IGNORE INTO notifications (kind, channel, dedup_key, issue_id, action_id, payload, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      [n.kind, n.channel, n.dedup_key, n.issue_id, n.action_id, JSON.stringify(n.payload), now, now],
    );
    return r.changes === 1;
  }

  /** True when Discord was (or will be) told about this issue, so its resolution is worth announcing. */
  async wasAnnounced(tx: SqlExecutor, issueId: string): Promise<boolean> {
    const row = await tx.get(`SELECT 1 AS yes FROM notifications WHERE issue_id = ? AND kind NOT IN ('issue_resolved', 'digest') LIMIT 1`, [issueId]);
    return row !== undefined;
  }

  /** The summary of the issue's latest analysis comment (for "🤖 Analysis: … Manual intervention required."). */
  async latestAnalysisSummary(tx: SqlExecutor, issueId: string): Promise<string | undefined> {
    const r = await tx.get(
      `SELECT content, metadata FROM issue_comments WHERE issue_id = ? AND comment_type = 'analysis' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [issueId],
    );
    if (!r) return undefined;
    try {
      const meta = JSON.parse(String(r.metadata ?? 'null')) as unknown;
      const summary = meta && typeof meta === 'object' ? (meta as Record<string, unknown>).summary : undefined;
      if (typeof summary === 'string' && summary.trim() !== '') return summary.trim();
    } catch {
      // not JSON: fall back to the comment text
    }
    const first = String(r.content).split('\n')[0] ?? '';
    return first.replace(/^Summary:\s*/, '').trim() || undefined;
  }

  // ---- the sender -------------------------------------------------------------------------------

  /**
   * Claims up to `limit` due rows of a channel for leaseMs: a claimed row is not due again until the lease ends,
   * so a sender that dies mid-send leaves its rows to be retried, and two agents on one database never claim the
   * same row. Rows whose payload is not JSON are marked failed instead of blocking the queue.
   */
  async claimDue(channel: OutboxChannel, now: number, leaseMs: number, limit: number): Promise<{ token: string; items: OutboxRow[] }> {
    const token = randomUUID();
    const rows = await this.#db.transaction(async (tx) => {
      const due = await tx.all(
        `SELECT id FROM notifications WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
        [channel, now, limit],
      );
      const ids = due.map((r) => Number(r.id));
      for (const part of chunks(ids)) {
        await tx.run(`UPDATE notifications SET claim_token = ?, next_attempt_at = ? WHERE id IN (${marks(part.length)})`, [token, now + leaseMs, ...part]);
      }
      return ids.length === 0 ? [] : tx.all(`SELECT id, channel, attempts, created_at, payload FROM notifications WHERE claim_token = ? ORDER BY id`, [token]);
    });
    const items: OutboxRow[] = [];
    const broken: number[] = [];
    for (const row of rows) {
      const r = OutboxRowSchema.parse(row);
      try {
        items.push({ ...r, payload: JSON.parse(r.payload) as unknown });
      } catch {
        broken.push(r.id);
      }
    }
    if (broken.length > 0) await this.markFailed(broken, 'payload is not a valid notification');
    return { token, items };
  }

  async markSent(ids: number[], token: string, now: number, messageId: string | null): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.run(
          `UPDATE notifications SET status = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1, last_error = NULL
           WHERE claim_token = ? AND status = 'pending' AND id IN (${marks(part.length)})`,
          [now, messageId, token, ...part],
        );
      }
    });
  }

  /** Gives claimed rows back, due at nextAttemptAt; a 429 is not a failed attempt, a 5xx is. */
  async release(ids: number[], token: string, nextAttemptAt: number, options: { countAttempt: boolean; error?: string }): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.run(
          `UPDATE notifications SET next_attempt_at = ?, claim_token = NULL, attempts = attempts + ?, last_error = COALESCE(?, last_error)
           WHERE claim_token = ? AND status = 'pending' AND id IN (${marks(part.length)})`,
          [nextAttemptAt, options.countAttempt ? 1 : 0, options.error ?? null, token, ...part],
        );
      }
    });
  }

  async markFailed(ids: number[], error: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.run(`UPDATE notifications SET status = 'failed', last_error = ? WHERE id IN (${marks(part.length)})`, [error, ...part]);
      }
    });
  }

  /** When the next pending row of a channel becomes due (undefined when none is pending). */
  async nextDueAt(channel: OutboxChannel): Promise<number | undefined> {
    const row = await this.#db.get(`SELECT MIN(next_attempt_at) AS at FROM notifications WHERE status = 'pending' AND channel = ?`, [channel]);
    return row && row.at !== null && row.at !== undefined ? Number(row.at) : undefined;
  }

  async countDue(channel: OutboxChannel, now: number): Promise<number> {
    const row = await this.#db.get(`SELECT COUNT(*) AS n FROM notifications WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?`, [channel, now]);
    return Number(row?.n ?? 0);
  }

  async counts(): Promise<OutboxCounts> {
    const rows = await this.#db.all('SELECT status, COUNT(*) AS n FROM notifications GROUP BY status');
    const out: OutboxCounts = { pending: 0, sent: 0, failed: 0 };
    for (const r of rows) if (r.status === 'pending' || r.status === 'sent' || r.status === 'failed') out[r.status] = Number(r.n);
    return out;
  }

  async list(filter: { status?: string; limit?: number } = {}): Promise<Record<string, unknown>[]> {
    const args: SqlValue[] = [];
    let where = '';
    if (filter.status) {
      where = 'WHERE status = ?';
      args.push(filter.status);
    }
    return this.#db.all(
      `SELECT id, kind, channel, dedup_key, issue_id, action_id, status, attempts, created_at, sent_at, message_id, last_error
       FROM notifications ${where} ORDER BY id LIMIT ?`,
      [...args, filter.limit ?? 1_000],
    );
  }

  async hasKey(dedupKey: string): Promise<boolean> {
    return (await this.#db.get('SELECT 1 AS yes FROM notifications WHERE dedup_key = ?', [dedupKey])) !== undefined;
  }

  /** Queues a notification in its own transaction (the digest, or events whose cause already committed). */
  async enqueueNow(n: OutboxInsert, now: number): Promise<boolean> {
    return this.#db.transaction((tx) => this.enqueue(tx, n, now));
  }

  // ---- interactions -------------------------------------------------------------------------------

  /** Records an interaction id; false when it was seen before (a replay). */
  async claimInteraction(interactionId: string, userId: string | null, customId: string | null, now: number): Promise<boolean> {
    const r = await this.#db.run(
      'INSERT OR IGNORE INTO discord_interactions (interaction_id, user_id, custom_id, outcome, received_at) VALUES (?, ?, ?, NULL, ?)',
      [interactionId, userId, customId, now],
    );
    return r.changes === 1;
  }

  async setInteractionOutcome(interactionId: string, outcome: string): Promise<void> {
    await this.#db.run('UPDATE discord_interactions SET outcome = ? WHERE interaction_id = ?', [outcome, interactionId]);
  }

  // ---- digest reads -------------------------------------------------------------------------------

  async digestCounts(fromMs: number, toMs: number): Promise<DigestCounts> {
    const one = async (sql: string, args: SqlValue[]) => Number((await this.#db.get(sql, args))?.n ?? 0);
    const opened = await one('SELECT COUNT(*) AS n FROM issues WHERE first_seen_at >= ? AND first_seen_at < ?', [fromMs, toMs]);
    const resolved = await one('SELECT COUNT(*) AS n FROM issues WHERE resolved_at >= ? AND resolved_at < ?', [fromMs, toMs]);
    const stillOpen = await one(`SELECT COUNT(*) AS n FROM issues WHERE status IN ('open', 'investigating')`, []);
    const pick = (r: Record<string, unknown>) => ({
      id: String(r.id),
      title: String(r.title),
      server_id: String(r.server_id),
      alert_count: Number(r.alert_count ?? 0),
    });
    const criticalOpen = (
      await this.#db.all(
        `SELECT id, title, server_id, alert_count FROM issues WHERE status IN ('open', 'investigating') AND severity = 'critical'
         ORDER BY last_seen_at DESC LIMIT 10`,
      )
    ).map(pick);
    const noisiest = (
      await this.#db.all(
        `SELECT id, title, server_id, alert_count, status FROM issues WHERE last_seen_at >= ? ORDER BY alert_count DESC, last_seen_at DESC LIMIT 5`,
        [fromMs],
      )
    ).map((r) => ({ ...pick(r), status: String(r.status) }));
    return { opened, resolved, stillOpen, criticalOpen, noisiest };
  }

  /** Executed actions by type with outcome and verification, and pending approvals (empty without an actions table). */
  async digestActions(fromMs: number, toMs: number): Promise<DigestActions> {
    if (!(await this.hasTable('actions'))) return { available: false, executed: [], pendingApprovals: [] };
    const executed = await this.#db.all(
      `SELECT action_type,
              COUNT(*) AS executed,
              SUM(CASE WHEN success = 1 THEN 1 ELSE 0 END) AS succeeded,
              SUM(CASE WHEN verification = 'verified' THEN 1 ELSE 0 END) AS verified,
              SUM(CASE WHEN verification = 'not_verified' THEN 1 ELSE 0 END) AS not_verified
       FROM actions WHERE executed_at >= ? AND executed_at < ? AND action_type <> 'notify_human'
       GROUP BY action_type ORDER BY executed DESC`,
      [fromMs, toMs],
    );
    const pending = await this.#db.all(
      `SELECT id, action_type, issue_id, expires_at FROM actions WHERE status = 'pending_approval' ORDER BY created_at LIMIT 20`,
    );
    return {
      available: true,
      executed: executed.map((r) => ({
        action_type: String(r.action_type),
        executed: Number(r.executed ?? 0),
        succeeded: Number(r.succeeded ?? 0),
        verified: Number(r.verified ?? 0),
        not_verified: Number(r.not_verified ?? 0),
      })),
      pendingApprovals: pending.map((r) => ({
        id: String(r.id),
        action_type: String(r.action_type),
        issue_id: String(r.issue_id),
        expires_at: r.expires_at === null || r.expires_at === undefined ? null : Number(r.expires_at),
      })),
    };
  }

  /** Whether a table exists (the digest reads actions only when the remediation stage created its table). */
  async hasTable(name: string): Promise<boolean> {
    return (await this.#db.get(`SELECT 1 AS yes FROM sqlite_master WHERE type = 'table' AND name = ?`, [name])) !== undefined;
  }
}
