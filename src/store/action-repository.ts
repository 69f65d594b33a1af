import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ACTION_MOVES, ACTION_STATUSES, type ActionMove, type ActionRecord, type ActionStatus, type MoveResult, type MoveTarget } from '../model/action.js';
import type { ActionType } from '../model/action-catalog.js';
import { AppError } from '../errors.js';
import type { Database, Query, Row, SqlExecutor, SqlValue } from './database.js';

const ActionRow = z.object({
  id: z.string(),
  issue_id: z.string(),
  server_id: z.string(),
  action_type: z.string(),
  risk: z.enum(['low', 'medium', 'high']),
  params: z.string(),
  params_hash: z.string(),
  reason: z.string(),
  status: z.enum(ACTION_STATUSES),
  decision_reason: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.number().nullable(),
  analysis_comment_id: z.number().nullable(),
  created_at: z.number(),
  expires_at: z.number().nullable(),
  executed_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  output: z.string().nullable(),
  success: z.number().nullable(),
  dry_run: z.number(),
  verification: z.enum(['pending', 'verified', 'not_verified']).nullable(),
  verify_deadline: z.number().nullable(),
  verified_at: z.number().nullable(),
  held_by_silence: z.string().nullable().optional(),
});

export function toAction(row: Row): ActionRecord {
  const r = ActionRow.parse(row);
  let params: Record<string, unknown> = {};
  try {
    const p = JSON.parse(r.params) as unknown;
    if (p && typeof p === 'object' && !Array.isArray(p)) params = p as Record<string, unknown>;
  } catch {
    // an unparsable row keeps {} and fails catalog re-validation before it could ever run
  }
  return { ...r, action_type: r.action_type as ActionType, params, success: r.success === null ? null : r.success === 1, dry_run: r.dry_run === 1 };
}

/** JSON with sorted keys, so the same parameters always give the same text and hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function paramsHash(params: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 16);
}

export function newActionId(now: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
  return `act-${now}-${suffix}`;
}

/** Statuses that mean "this action was (or is about to be) taken or refused by a human": the cooldown looks at these. */
const COOLDOWN_STATUSES: ActionStatus[] = ['pending_approval', 'approved', 'executing', 'succeeded', 'failed', 'rejected'];

export interface ActionFilter {
  statuses?: ActionStatus[];
  issueId?: string;
  limit?: number;
}

export interface ActionStatRow {
  action_type: string;
  executed: number;
  succeeded: number;
  verified: number;
  not_verified: number;
}

/** Columns a move sets besides `status` (which only the move itself sets). */
type Fields = Partial<Omit<ActionRecord, 'id' | 'status'>>;

function toSql(key: string, value: unknown): SqlValue {
  if (key === 'params') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SqlValue;
}

/** All SQL on `actions`. Methods taking `tx` run inside a caller's write transaction. */
export class ActionRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  async insert(tx: SqlExecutor, a: ActionRecord): Promise<void> {
    const keys = Object.keys(a) as (keyof ActionRecord)[];
    await tx.run(
      `INSERT INTO actions (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`,
      keys.map((k) => toSql(k, a[k])),
    );
  }

  /**
   * Applies a named move of the action lifecycle (model/action.ts) as one compare-and-set: the row changes only while
   * it is in one of the move's starting statuses. This is what makes approvals single-use and claims exclusive across
   * requests, processes and agents sharing one database. A move that finds the row elsewhere changes nothing.
   */
  async move<M extends ActionMove>(tx: SqlExecutor, id: string, move: M, to: MoveTarget<M>, fields: Fields = {}): Promise<MoveResult> {
    const { from } = ACTION_MOVES[move];
    const entries = Object.entries({ ...fields, status: to });
    const r = await tx.run(
      `UPDATE actions SET ${entries.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
      [...entries.map(([k, v]) => toSql(k, v)), id, ...from],
    );
    if (r.changes === 1) return { moved: true };
    const row = await tx.get('SELECT status FROM actions WHERE id = ?', [id]);
    return { moved: false, now: row ? (String(row.status) as ActionStatus) : undefined };
  }

  async getIn(tx: SqlExecutor, id: string): Promise<ActionRecord | undefined> {
    const row = await tx.get('SELECT * FROM actions WHERE id = ?', [id]);
    return row ? toAction(row) : undefined;
  }

  async get(id: string): Promise<ActionRecord | undefined> {
    return this.getIn(this.#db, id);
  }

  /** Executed (or executing) remediations of this agent since a time; the sliding hourly window. */
  async countExecutedSince(tx: SqlExecutor, serverId: string, sinceMs: number): Promise<number> {
    const row = await tx.get(
      `SELECT COUNT(*) AS n FROM actions WHERE server_id = ? AND executed_at > ? AND action_type != 'notify_human'`,
      [serverId, sinceMs],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * The same action (type + params) on the issue that counts for the cooldown: one still waiting for (or holding) an
   * approval whatever its age — a second pending copy would only be a second thing to approve — else the latest one
   * since a time.
   */
  async findRecentSame(tx: SqlExecutor, issueId: string, type: string, hash: string, sinceMs: number): Promise<ActionRecord | undefined> {
    const row = await tx.get(
      `SELECT * FROM actions WHERE issue_id = ? AND action_type = ? AND params_hash = ?
         AND (status IN ('pending_approval', 'approved')
              OR (created_at > ? AND status IN (${COOLDOWN_STATUSES.map(() => '?').join(', ')})))
       ORDER BY CASE WHEN status IN ('pending_approval', 'approved') THEN 0 ELSE 1 END, created_at DESC LIMIT 1`,
      [issueId, type, hash, sinceMs, ...COOLDOWN_STATUSES],
    );
    return row ? toAction(row) : undefined;
  }

  /** Settles a pending verification once; false when another process (or the resolve hook) got there first. */
  async settleVerification(tx: SqlExecutor, id: string, verification: 'verified' | 'not_verified', atMs: number): Promise<boolean> {
    const r = await tx.run(`UPDATE actions SET verification = ?, verified_at = ? WHERE id = ? AND verification = 'pending'`, [verification, atMs, id]);
    return r.changes === 1;
  }

  async pendingVerifications(tx: SqlExecutor, issueId: string): Promise<ActionRecord[]> {
    const rows = await tx.all(`SELECT * FROM actions WHERE issue_id = ? AND verification = 'pending' ORDER BY executed_at`, [issueId]);
    return rows.map(toAction);
  }

  async dueVerifications(nowMs: number, serverId: string, limit = 100): Promise<ActionRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM actions WHERE verification = 'pending' AND verify_deadline <= ? AND server_id = ? ORDER BY verify_deadline LIMIT ?`,
      [nowMs, serverId, limit],
    );
    return rows.map(toAction);
  }

  async dueExpiries(nowMs: number, limit = 100): Promise<ActionRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM actions WHERE status = 'pending_approval' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      [nowMs, limit],
    );
    return rows.map(toAction);
  }

  async approvedFor(serverId: string, limit = 20): Promise<ActionRecord[]> {
    const rows = await this.#db.all(`SELECT * FROM actions WHERE status = 'approved' AND server_id = ? ORDER BY decided_at LIMIT ?`, [serverId, limit]);
    return rows.map(toAction);
  }

  /** Actions stuck in 'executing' by a crash: the process that claimed them is gone. */
  async staleExecuting(serverId: string, beforeMs: number): Promise<ActionRecord[]> {
    const rows = await this.#db.all(`SELECT * FROM actions WHERE status = 'executing' AND server_id = ? AND executed_at < ?`, [serverId, beforeMs]);
    return rows.map(toAction);
  }

  async list(filter: ActionFilter = {}): Promise<ActionRecord[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      args.push(...filter.statuses);
    }
    if (filter.issueId) {
      where.push('issue_id = ?');
      args.push(filter.issueId);
    }
    const rows = await this.#db.all(
      `SELECT * FROM actions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...args, filter.limit ?? 50],
    );
    return rows.map(toAction);
  }

  /** The actions decided for one analysis (its comment id): non-empty means that analysis was handed off already. */
  async listForAnalysis(commentId: number): Promise<ActionRecord[]> {
    const rows = await this.#db.all('SELECT * FROM actions WHERE analysis_comment_id = ? ORDER BY created_at ASC, id ASC', [commentId]);
    return rows.map(toAction);
  }

  async listForIssue(issueId: string): Promise<ActionRecord[]> {
    const q = ActionRepository.forIssueQuery(issueId);
    return ActionRepository.fromRows(await this.#db.all(q.sql, q.args));
  }

  /** listForIssue as a query, for a caller that reads it in the same exchange as others (a round trip on Turso). */
  static forIssueQuery(issueId: string): Query {
    return { sql: 'SELECT * FROM actions WHERE issue_id = ? ORDER BY created_at ASC, id ASC', args: [issueId] };
  }

  static fromRows(rows: Row[]): ActionRecord[] {
    return rows.map(toAction);
  }

  /** Resolves a full id or a unique prefix (with or without `act-`). */
  async resolveId(idOrPrefix: string): Promise<string> {
    const exact = await this.#db.get('SELECT id FROM actions WHERE id = ?', [idOrPrefix]);
    if (exact) return String(exact.id);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(idOrPrefix)) throw new AppError('NOT_FOUND', `no action with id "${idOrPrefix}"`);
    const prefix = idOrPrefix.startsWith('act-') ? idOrPrefix : `act-${idOrPrefix}`;
    const rows = await this.#db.all('SELECT id FROM actions WHERE id >= ? AND id < ? ORDER BY id LIMIT 11', [prefix, `${prefix}\uffff`]);
    if (rows.length === 1) return String(rows[0]!.id);
    if (rows.length === 0) throw new AppError('NOT_FOUND', `no action with id "${idOrPrefix}"`);
    throw new AppError('AMBIGUOUS_ID', `action id "${idOrPrefix}" is ambiguous; it matches ${rows.length > 10 ? 'more than 10 actions' : `${rows.length} actions`}: ${rows.slice(0, 10).map((r) => String(r.id)).join(', ')}`);
  }

  /** Per action type: executed, succeeded and verified since a time (issues-stats). notify_human is not a remediation. */
  async stats(sinceMs: number): Promise<ActionStatRow[]> {
    const rows = await this.#db.all(
      `SELECT action_type,
              COUNT(*) AS executed,
              SUM(CASE WHEN success = 1 THEN 1 ELSE 0 END) AS succeeded,
              SUM(CASE WHEN verification = 'verified' THEN 1 ELSE 0 END) AS verified,
              SUM(CASE WHEN verification = 'not_verified' THEN 1 ELSE 0 END) AS not_verified
       FROM actions
       WHERE executed_at > ? AND status IN ('succeeded', 'failed') AND action_type != 'notify_human'
       GROUP BY action_type ORDER BY executed DESC, action_type`,
      [sinceMs],
    );
    return rows.map((r) => ({
      action_type: String(r.action_type),
      executed: Number(r.executed),
      succeeded: Number(r.succeeded ?? 0),
      verified: Number(r.verified ?? 0),
      not_verified: Number(r.not_verified ?? 0),
    }));
  }
}
