import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database, SqlExecutor } from './database.js';

/** A row to insert in channel_outbox; (channel, dedup_key) makes the insert idempotent. */
export interface ChannelOutboxInsert {
  channel: string;
  kind: string;
  dedup_key: string;
  issue_id: string | null;
  action_id: string | null;
  payload: unknown;
}

/** The claimed head row of a channel; the payload is parsed JSON, validated by the notify stage. */
export interface ChannelOutboxRow {
  id: number;
  channel: string;
  kind: string;
  issue_id: string | null;
  attempts: number;
  created_at: number;
  payload: unknown;
  token: string;
}

const RowSchema = z.object({
  id: z.number(),
  channel: z.string(),
  kind: z.string(),
  issue_id: z.string().nullable(),
  attempts: z.number(),
  created_at: z.number(),
  payload: z.string(),
});

/** channel_outbox, channel_messages and channel_interactions (migration 0009). */
export class ChannelRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Inside the change's transaction; a second insert of the same (channel, dedup_key) is ignored. */
  async enqueue(tx: SqlExecutor, n: ChannelOutboxInsert, now: number): Promise<void> {
    await tx.run(
      `INSERT OR IGNORE INTO channel_outbox (channel, kind, dedup_key, issue_id, action_id, payload, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [n.channel, n.kind, n.dedup_key, n.issue_id, n.action_id, JSON.stringify(n.payload), now, now],
    );
  }

  /**
   * Claims the channel's oldest pending row when it is due (not leased by another sender, not backing off). Only the
   * head is ever claimed, so one channel's rows go out in order and one at a time, whichever agent sends them.
   */
  async claimHead(channel: string, now: number, leaseMs: number): Promise<ChannelOutboxRow | undefined> {
    const token = randomUUID();
    const row = await this.#db.transaction(async (tx) => {
      const head = await tx.get(
        `SELECT id, channel, kind, issue_id, attempts, created_at, payload, next_attempt_at FROM channel_outbox
         WHERE channel = ? AND status = 'pending' ORDER BY id LIMIT 1`,
        [channel],
      );
      if (!head || Number(head.next_attempt_at) > now) return undefined;
      await tx.run('UPDATE channel_outbox SET claim_token = ?, next_attempt_at = ? WHERE id = ?', [token, now + leaseMs, head.id as number]);
      return head;
    });
    if (!row) return undefined;
    const r = RowSchema.parse(row);
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch {
      payload = undefined;
    }
    return { ...r, payload, token };
  }

  /**
   * Claims the channel's oldest pending rows (a storm summary), up to limit, when the head is due; only rows of the
   * given kinds, stopping at the first other one, so order is kept.
   */
  async claimHeadRun(channel: string, now: number, leaseMs: number, limit: number, kinds: readonly string[]): Promise<ChannelOutboxRow[]> {
    const token = randomUUID();
    const rows = await this.#db.transaction(async (tx) => {
      const head = await tx.all(
        `SELECT id, channel, kind, issue_id, attempts, created_at, payload, next_attempt_at FROM channel_outbox
         WHERE channel = ? AND status = 'pending' ORDER BY id LIMIT ?`,
        [channel, limit],
      );
      const run: typeof head = [];
      for (const r of head) {
        if (Number(r.next_attempt_at) > now || !kinds.includes(String(r.kind))) break;
        run.push(r);
      }
      for (const r of run) await tx.run('UPDATE channel_outbox SET claim_token = ?, next_attempt_at = ? WHERE id = ?', [token, now + leaseMs, r.id as number]);
      return run;
    });
    return rows.map((row) => {
      const r = RowSchema.parse(row);
      let payload: unknown;
      try {
        payload = JSON.parse(r.payload);
      } catch {
        payload = undefined;
      }
      return { ...r, payload, token };
    });
  }

  /** When the head row of the channel may go next (undefined: nothing pending). */
  async headDueAt(channel: string): Promise<number | undefined> {
    const row = await this.#db.get(`SELECT next_attempt_at AS at FROM channel_outbox WHERE channel = ? AND status = 'pending' ORDER BY id LIMIT 1`, [channel]);
    return row ? Number(row.at) : undefined;
  }

  async pendingCount(channel: string): Promise<number> {
    const row = await this.#db.get(`SELECT COUNT(*) AS n FROM channel_outbox WHERE channel = ? AND status = 'pending'`, [channel]);
    return Number(row?.n ?? 0);
  }

  async markSent(id: number, token: string, now: number): Promise<void> {
    await this.#db.run(`UPDATE channel_outbox SET status = 'sent', sent_at = ?, claim_token = NULL, last_error = NULL WHERE id = ? AND claim_token = ?`, [now, id, token]);
  }

  /** Back to pending, due at `at` (a 429's wait, a backoff, or now). */
  async release(id: number, token: string, at: number, options: { countAttempt: boolean; error?: string }): Promise<void> {
    await this.#db.run(
      `UPDATE channel_outbox SET next_attempt_at = ?, claim_token = NULL, attempts = attempts + ?, last_error = COALESCE(?, last_error)
       WHERE id = ? AND claim_token = ?`,
      [at, options.countAttempt ? 1 : 0, options.error ?? null, id, token],
    );
  }

  /** The channel refused this row for good (a body it will never take): it is skipped, the next one goes. */
  async markFailed(id: number, error: string): Promise<void> {
    await this.#db.run(`UPDATE channel_outbox SET status = 'failed', claim_token = NULL, last_error = ? WHERE id = ?`, [error.slice(0, 1_000), id]);
  }

  async messageRef(issueId: string, channel: string): Promise<string | undefined> {
    const row = await this.#db.get('SELECT message_ref FROM channel_messages WHERE issue_id = ? AND channel = ?', [issueId, channel]);
    return typeof row?.message_ref === 'string' ? row.message_ref : undefined;
  }

  async saveMessageRef(issueId: string, channel: string, ref: string, now: number): Promise<void> {
    await this.#db.run(
      `INSERT INTO channel_messages (issue_id, channel, message_ref, posted_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (issue_id, channel) DO UPDATE SET message_ref = excluded.message_ref, posted_at = excluded.posted_at, updated_at = excluded.updated_at`,
      [issueId, channel, ref, now, now],
    );
  }

  async touchMessage(issueId: string, channel: string, now: number): Promise<void> {
    await this.#db.run('UPDATE channel_messages SET updated_at = ? WHERE issue_id = ? AND channel = ?', [now, issueId, channel]);
  }

  /** The live message was deleted in the channel: the next change posts a fresh one. */
  async dropMessageRef(issueId: string, channel: string): Promise<void> {
    await this.#db.run('DELETE FROM channel_messages WHERE issue_id = ? AND channel = ?', [issueId, channel]);
  }

  /** Records a click; false when it was seen before (a replay). */
  async claimInteraction(channel: string, interactionId: string, userId: string | null, now: number): Promise<boolean> {
    const r = await this.#db.run(
      'INSERT OR IGNORE INTO channel_interactions (channel, interaction_id, user_id, outcome, received_at) VALUES (?, ?, ?, NULL, ?)',
      [channel, interactionId, userId, now],
    );
    return r.changes === 1;
  }

  async setInteractionOutcome(channel: string, interactionId: string, outcome: string): Promise<void> {
    await this.#db.run('UPDATE channel_interactions SET outcome = ? WHERE channel = ? AND interaction_id = ?', [outcome, channel, interactionId]);
  }
}
