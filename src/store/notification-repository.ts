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

/** A claimed card row (issue_cards): the state is parsed JSON, validated by the notify stage. */
export interface CardRow {
  issue_id: string;
  state: unknown;
  /** The version this claim shows; newer changes leave the card pending. */
  version: number;
  channel: OutboxChannel | null;
  message_id: string | null;
  group_size: number;
  posted_at: number | null;
  attempts: number;
}

const CardRowSchema = z.object({
  issue_id: z.string(),
  state: z.string(),
  version: z.number(),
  channel: z.enum(['webhook', 'bot']).nullable(),
  message_id: z.string().nullable(),
  group_size: z.number(),
  posted_at: z.number().nullable(),
  attempts: z.number(),
});

function toCardRow(row: Record<string, unknown>): CardRow {
  const r = CardRowSchema.parse(row);
  let state: unknown;
  try {
    state = JSON.parse(r.state) as unknown;
  } catch {
    state = undefined;
  }
  return { ...r, state };
}

const CARD_COLUMNS = 'issue_id, state, version, channel, message_id, group_size, posted_at, attempts';

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
    if ((await tx.get('SELECT 1 AS yes FROM issue_cards WHERE issue_id = ?', [issueId])) !== undefined) return true;
    const row = await tx.get(`SELECT 1 AS yes FROM notifications WHERE issue_id = ? AND kind NOT IN ('issue_resolved', 'digest') LIMIT 1`, [issueId]);
    return row !== undefined;
  }

  /** The card's stored state (parsed JSON, unvalidated), or undefined when the issue has none. */
  async cardState(tx: SqlExecutor, issueId: string): Promise<unknown> {
    const row = await tx.get('SELECT state FROM issue_cards WHERE issue_id = ?', [issueId]);
    if (!row) return undefined;
    try {
      return JSON.parse(String(row.state)) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes a card's new state: the first write creates it (one per issue: issue_id is the key, so a second agent's
   * insert becomes an update), every later one bumps its version so the sender edits the message once with the
   * latest state. settleAt: undefined keeps the timer, null clears it.
   */
  async writeCard(tx: SqlExecutor, issueId: string, state: unknown, now: number, options: { dueAt?: number; settleAt?: number | null } = {}): Promise<void> {
    const keepSettle = options.settleAt === undefined ? 1 : 0;
    await tx.run(
      `INSERT INTO issue_cards (issue_id, state, version, shown_version, due_at, settle_at, created_at, updated_at)
       VALUES (?, ?, 1, 0, ?, ?, ?, ?)
       ON CONFLICT (issue_id) DO UPDATE SET state = excluded.state, version = version + 1,
         due_at = CASE WHEN version > shown_version THEN MIN(due_at, excluded.due_at) ELSE excluded.due_at END,
         settle_at = CASE WHEN ? = 1 THEN settle_at ELSE excluded.settle_at END, updated_at = excluded.updated_at`,
      [issueId, JSON.stringify(state), options.dueAt ?? now, options.settleAt ?? null, now, now, keepSettle],
    );
  }

  /**
   * A firing of an issue with a card: the count and value change on the card with one UPDATE, no read. Such an edit
   * is not urgent: it waits until laterAt unless a real change is already pending, so 10,000 firings cost a few edits.
   * A storm summary shows no counts: its cards' state is updated without an edit.
   */
  cardFired(tx: SqlExecutor, issueId: string, alertCount: number, value: string | undefined, laterAt: number, now: number): void {
    tx.queue(
      `UPDATE issue_cards SET
         state = CASE WHEN ? IS NULL THEN json_set(state, '$.issue.alert_count', ?) ELSE json_set(state, '$.issue.alert_count', ?, '$.issue.value', ?) END,
         due_at = CASE WHEN version > shown_version OR group_size > 1 THEN due_at ELSE ? END,
         version = CASE WHEN group_size > 1 THEN version ELSE version + 1 END, updated_at = ?
       WHERE issue_id = ?`,
      [value ?? null, alertCount, alertCount, value ?? null, laterAt, now, issueId],
    );
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

  // ---- cards (live messages) ------------------------------------------------------------------------

  /**
   * Claims up to `limit` cards with a pending change that is due, for leaseMs (as claimDue: two agents never claim
   * one card, so they never post two live messages for one issue). unposted: only cards without a message yet.
   */
  async claimCards(now: number, leaseMs: number, limit: number, options: { unposted?: boolean } = {}): Promise<{ token: string; cards: CardRow[] }> {
    const token = randomUUID();
    const rows = await this.#db.transaction(async (tx) => {
      const due = await tx.all(
        `SELECT issue_id FROM issue_cards
         WHERE version > shown_version AND due_at <= ? AND (claim_until IS NULL OR claim_until <= ?) ${options.unposted ? 'AND message_id IS NULL' : ''}
         ORDER BY (message_id IS NULL) DESC, due_at, issue_id LIMIT ?`,
        [now, now, limit],
      );
      const ids = due.map((r) => String(r.issue_id));
      for (const part of chunks(ids)) {
        await tx.run(`UPDATE issue_cards SET claim_token = ?, claim_until = ? WHERE issue_id IN (${marks(part.length)})`, [token, now + leaseMs, ...part]);
      }
      return ids.length === 0 ? [] : tx.all(`SELECT ${CARD_COLUMNS} FROM issue_cards WHERE claim_token = ? ORDER BY created_at, issue_id`, [token]);
    });
    return { token, cards: rows.map(toCardRow) };
  }

  /** Cards waiting for their first message (a storm folds them into a summary). */
  async countUnpostedCards(now: number): Promise<number> {
    const row = await this.#db.get(
      `SELECT COUNT(*) AS n FROM issue_cards WHERE version > shown_version AND message_id IS NULL AND due_at <= ? AND (claim_until IS NULL OR claim_until <= ?)`,
      [now, now],
    );
    return Number(row?.n ?? 0);
  }

  /** Every card a (storm summary) message shows, to render it whole. */
  async cardsOfMessage(messageId: string): Promise<CardRow[]> {
    return (await this.#db.all(`SELECT ${CARD_COLUMNS} FROM issue_cards WHERE message_id = ? ORDER BY created_at, issue_id`, [messageId])).map(toCardRow);
  }

  /**
   * Records what Discord now shows: each card's claimed version, and the message it lives in (a new post sets it).
   * Cards of the message that were not claimed but are shown whole by this edit are marked shown up to `others`.
   */
  async markCardsShown(
    shown: { issue_id: string; version: number }[],
    token: string,
    where: { channel: OutboxChannel; messageId: string; groupSize: number; posted: boolean },
    now: number,
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const c of shown) {
        await tx.run(
          `UPDATE issue_cards SET shown_version = MAX(shown_version, ?), channel = ?, message_id = ?, group_size = ?,
             posted_at = CASE WHEN ? = 1 THEN ? ELSE posted_at END, attempts = 0, last_error = NULL,
             claim_token = CASE WHEN claim_token = ? THEN NULL ELSE claim_token END, claim_until = CASE WHEN claim_token = ? THEN NULL ELSE claim_until END
           WHERE issue_id = ?`,
          [c.version, where.channel, where.messageId, where.groupSize, where.posted ? 1 : 0, now, token, token, c.issue_id],
        );
      }
    });
  }

  /**
   * Gives claimed cards back, due at dueAt. freshMessage: the message is gone (deleted, or too old to edit), so the
   * next send posts a new one and keeps its id.
   */
  async releaseCards(ids: string[], token: string, dueAt: number, options: { countAttempt: boolean; error?: string; freshMessage?: boolean }): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.run(
          `UPDATE issue_cards SET due_at = ?, claim_token = NULL, claim_until = NULL, attempts = attempts + ?, last_error = COALESCE(?, last_error),
             message_id = CASE WHEN ? = 1 THEN NULL ELSE message_id END, group_size = CASE WHEN ? = 1 THEN 1 ELSE group_size END
           WHERE claim_token = ? AND issue_id IN (${marks(part.length)})`,
          [dueAt, options.countAttempt ? 1 : 0, options.error ?? null, options.freshMessage ? 1 : 0, options.freshMessage ? 1 : 0, token, ...part],
        );
      }
    });
  }

  /**
   * The message is gone (deleted, or too old to edit): every card it showed is posted afresh, with its latest state.
   * Cards that showed everything get a version bump so they are pending again.
   */
  async dropMessage(messageId: string, now: number): Promise<void> {
    await this.#db.run(
      `UPDATE issue_cards SET message_id = NULL, group_size = 1, due_at = ?, version = CASE WHEN version > shown_version THEN version ELSE version + 1 END
       WHERE message_id = ?`,
      [now, messageId],
    );
  }

  /** A card Discord refused (400): that version is given up (logged), a later change tries again. */
  async giveUpCards(ids: string[], token: string, error: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.run(
          `UPDATE issue_cards SET shown_version = version, claim_token = NULL, claim_until = NULL, last_error = ? WHERE claim_token = ? AND issue_id IN (${marks(part.length)})`,
          [error, token, ...part],
        );
      }
    });
  }

  /** Cards whose settle timer ran out (a flapping issue quiet for the settle time). */
  async cardsToSettle(now: number): Promise<{ issue_id: string; settle_at: number; state: unknown }[]> {
    const rows = await this.#db.all('SELECT issue_id, settle_at, state FROM issue_cards WHERE settle_at IS NOT NULL AND settle_at <= ? LIMIT 100', [now]);
    return rows.map((r) => {
      let state: unknown;
      try {
        state = JSON.parse(String(r.state)) as unknown;
      } catch {
        state = undefined;
      }
      return { issue_id: String(r.issue_id), settle_at: Number(r.settle_at), state };
    });
  }

  /** Writes the settled state, unless the card changed (and re-armed its timer) in between: a compare-and-set. */
  async settleCard(issueId: string, expectedSettleAt: number, state: unknown, now: number): Promise<boolean> {
    const r = await this.#db.run(
      `UPDATE issue_cards SET state = ?, version = version + 1, settle_at = NULL, due_at = ?, updated_at = ? WHERE issue_id = ? AND settle_at = ?`,
      [JSON.stringify(state), now, now, issueId, expectedSettleAt],
    );
    return r.changes === 1;
  }

  /** When the next card work is due: a pending edit, an expired claim, or a settle timer (undefined: none). */
  async nextCardDueAt(): Promise<number | undefined> {
    const row = await this.#db.get(
      `SELECT MIN(at) AS at FROM (
         SELECT MAX(due_at, COALESCE(claim_until, 0)) AS at FROM issue_cards WHERE version > shown_version
         UNION ALL SELECT settle_at AS at FROM issue_cards WHERE settle_at IS NOT NULL)`,
    );
    return row && row.at !== null && row.at !== undefined ? Number(row.at) : undefined;
  }

  async cardCounts(): Promise<{ cards: number; pending: number; posted: number }> {
    const row = await this.#db.get(
      'SELECT COUNT(*) AS cards, SUM(CASE WHEN version > shown_version THEN 1 ELSE 0 END) AS pending, SUM(CASE WHEN message_id IS NOT NULL THEN 1 ELSE 0 END) AS posted FROM issue_cards',
    );
    return { cards: Number(row?.cards ?? 0), pending: Number(row?.pending ?? 0), posted: Number(row?.posted ?? 0) };
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

  /** Whether any digest was ever queued (a fresh install has none, so it sends no catch-up digest). */
  async hasDigest(): Promise<boolean> {
    return (await this.#db.get(`SELECT 1 AS yes FROM notifications WHERE kind = 'digest' LIMIT 1`)) !== undefined;
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
