import { z } from 'zod';
import type { Database, Row, SqlExecutor, SqlValue } from './database.js';

export type AnalysisReason = 'created' | 'escalated' | 'reopened' | 'manual';
export type AnalysisJobStatus = 'pending' | 'running' | 'done' | 'failed';

const JobRow = z.object({
  id: z.number(),
  issue_id: z.string(),
  reason: z.enum(['created', 'escalated', 'reopened', 'manual']),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  attempts: z.number(),
  claimed_by: z.string().nullable(),
  analyzer: z.string().nullable(),
  llm_started_at: z.number().nullable(),
  comment_id: z.number().nullable(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  error: z.string().nullable(),
  proposals_handled_at: z.number().nullable().optional(),
});
export type AnalysisJob = z.infer<typeof JobRow>;

function toJob(row: Row): AnalysisJob {
  return JobRow.parse(row);
}

/** A job left 'running' by a crash gets this many attempts in all, so a job that crashes the agent cannot loop. */
export const MAX_ATTEMPTS = 2;

/** Which jobs an agent that shares its database with other agents takes first. */
export interface ClaimPreference {
  /** The server ids whose issues this agent can investigate on the spot (its own, the Netdata servers it polls). */
  ownServers: () => string[];
  /** How long another server's job waits for its own agent before this one takes it (0: no waiting). */
  othersAfterMs: number;
}

/** The pending job to claim: the given one, else the oldest one this agent may take now. */
function nextPendingQuery(now: number, jobId: number | undefined, preference: ClaimPreference | undefined): [string, SqlValue[]] {
  if (jobId !== undefined) return [`SELECT id FROM analysis_jobs WHERE status = 'pending' AND id = ?`, [jobId]];
  const own = preference && preference.othersAfterMs > 0 ? preference.ownServers() : [];
  if (own.length === 0) return [`SELECT id FROM analysis_jobs WHERE status = 'pending' ORDER BY id LIMIT 1`, []];
  return [
    `SELECT j.id FROM analysis_jobs j LEFT JOIN issues i ON i.id = j.issue_id
     WHERE j.status = 'pending' AND (i.server_id IN (${own.map(() => '?').join(', ')}) OR j.created_at <= ?)
     ORDER BY j.id LIMIT 1`,
    [...own, now - preference!.othersAfterMs],
  ];
}

/** All SQL on analysis_jobs. */
export class AnalysisRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Inside the caller's transaction: queues an analysis unless one is already pending or running for the issue
   * (the partial unique index decides, so concurrent ingesters cannot queue two). Returns the job id or undefined.
   */
  /** Queues a job with the change that calls for it, no answer awaited (one already waiting or running is kept). */
  queueJob(tx: SqlExecutor, issueId: string, reason: AnalysisReason, now: number): void {
    tx.queue(`INSERT INTO analysis_jobs (issue_id, reason, status, created_at) VALUES (?, ?, 'pending', ?) ON CONFLICT DO NOTHING`, [issueId, reason, now]);
  }

  async enqueue(tx: SqlExecutor, issueId: string, reason: AnalysisReason, now: number): Promise<number | undefined> {
    const r = await tx.run(
      `INSERT INTO analysis_jobs (issue_id, reason, status, created_at) VALUES (?, ?, 'pending', ?)
       ON CONFLICT DO NOTHING`,
      [issueId, reason, now],
    );
    return r.changes === 1 ? r.lastInsertRowid : undefined;
  }

  /**
   * Atomically takes the oldest pending job (or the given one), marking it running. With a preference (agents sharing
   * one database), jobs of other servers' issues are taken only once they have waited `othersAfterMs`: the agent on
   * that machine can look at its processes and disks, this one only at the chart.
   */
  async claim(agentId: string, now: number, jobId?: number, preference?: ClaimPreference): Promise<AnalysisJob | undefined> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(...nextPendingQuery(now, jobId, preference));
      if (!row) return undefined;
      await tx.run(
        `UPDATE analysis_jobs SET status = 'running', attempts = attempts + 1, claimed_by = ?, started_at = ?, error = NULL
         WHERE id = ? AND status = 'pending'`,
        [agentId, now, Number(row.id)],
      );
      const claimed = await tx.get('SELECT * FROM analysis_jobs WHERE id = ?', [Number(row.id)]);
      return claimed ? toJob(claimed) : undefined;
    });
  }

  /**
   * After a restart: jobs this agent left running were interrupted. Each gets one more try; a job that was already
   * retried is failed instead, so no analysis runs more than twice and none is lost silently.
   */
  async recoverInterrupted(agentId: string, now: number): Promise<{ retried: number; failed: number }> {
    return this.#db.transaction(async (tx) => {
      const failed = await tx.run(
        `UPDATE analysis_jobs SET status = 'failed', finished_at = ?, error = 'interrupted twice (agent stopped or crashed while analysing)'
         WHERE status = 'running' AND claimed_by = ? AND attempts >= ?`,
        [now, agentId, MAX_ATTEMPTS],
      );
      const retried = await tx.run(
        `UPDATE analysis_jobs SET status = 'pending', error = 'interrupted; retrying' WHERE status = 'running' AND claimed_by = ?`,
        [agentId],
      );
      return { retried: retried.changes, failed: failed.changes };
    });
  }

  /**
   * Claims the analysis of one issue for a run right now (the CLI): takes its pending job over, or starts a manual
   * one. Returns undefined when an analysis of the issue is already running.
   */
  async claimForIssue(issueId: string, agentId: string, now: number): Promise<AnalysisJob | undefined> {
    return this.#db.transaction(async (tx) => {
      const active = await tx.get(`SELECT * FROM analysis_jobs WHERE issue_id = ? AND status IN ('pending', 'running')`, [issueId]);
      if (active && active.status === 'running') return undefined;
      let id: number;
      if (active) {
        id = Number(active.id);
        await tx.run(
          `UPDATE analysis_jobs SET status = 'running', reason = 'manual', attempts = attempts + 1, claimed_by = ?, started_at = ?, error = NULL WHERE id = ?`,
          [agentId, now, id],
        );
      } else {
        const r = await tx.run(
          `INSERT INTO analysis_jobs (issue_id, reason, status, attempts, claimed_by, created_at, started_at) VALUES (?, 'manual', 'running', 1, ?, ?, ?)`,
          [issueId, agentId, now, now],
        );
        id = r.lastInsertRowid;
      }
      const row = await tx.get('SELECT * FROM analysis_jobs WHERE id = ?', [id]);
      return row ? toJob(row) : undefined;
    });
  }

  /** Marks that this job spends LLM budget; counted by llmAnalysesSince. */
  async markLlmStarted(jobId: number, now: number): Promise<void> {
    await this.#db.run(`UPDATE analysis_jobs SET analyzer = 'llm', llm_started_at = ? WHERE id = ?`, [now, jobId]);
  }

  async llmAnalysesSince(sinceMs: number): Promise<number> {
    const row = await this.#db.get('SELECT COUNT(*) AS n FROM analysis_jobs WHERE llm_started_at > ?', [sinceMs]);
    return Number(row?.n ?? 0);
  }

  /** Marks a job done; pass the transaction that wrote its comment so the two commit together. */
  async finish(exec: SqlExecutor, jobId: number, outcome: { analyzer: string; commentId: number | null; now: number; note?: string }): Promise<void> {
    await exec.run(
      `UPDATE analysis_jobs SET status = 'done', analyzer = ?, comment_id = ?, finished_at = ?, error = ? WHERE id = ?`,
      [outcome.analyzer, outcome.commentId, outcome.now, outcome.note ?? null, jobId],
    );
  }

  async markProposalsHandled(jobId: number, now: number): Promise<void> {
    await this.#db.run('UPDATE analysis_jobs SET proposals_handled_at = ? WHERE id = ? AND proposals_handled_at IS NULL', [now, jobId]);
  }

  /** Recorded analyses (finished after sinceMs) whose proposals never reached the remediation stage, oldest first. */
  async awaitingHandoff(sinceMs: number, limit: number): Promise<{ jobId: number; issueId: string; commentId: number; metadata: unknown }[]> {
    const rows = await this.#db.all(
      `SELECT j.id AS job_id, j.issue_id, j.comment_id, c.metadata FROM analysis_jobs j JOIN issue_comments c ON c.id = j.comment_id
       WHERE j.status = 'done' AND j.comment_id IS NOT NULL AND j.proposals_handled_at IS NULL AND j.finished_at > ?
         -- only an issue's latest analysis: an older one describes a state that has moved on
         AND NOT EXISTS (SELECT 1 FROM analysis_jobs k WHERE k.issue_id = j.issue_id AND k.id > j.id AND k.status = 'done' AND k.comment_id IS NOT NULL)
       ORDER BY j.id LIMIT ?`,
      [sinceMs, limit],
    );
    return rows.map((r) => {
      let metadata: unknown = null;
      try {
        metadata = typeof r.metadata === 'string' ? (JSON.parse(r.metadata) as unknown) : null;
      } catch {
        metadata = null;
      }
      return { jobId: Number(r.job_id), issueId: String(r.issue_id), commentId: Number(r.comment_id), metadata };
    });
  }

  async fail(jobId: number, error: string, now: number): Promise<void> {
    await this.#db.run(`UPDATE analysis_jobs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?`, [now, error.slice(0, 2_000), jobId]);
  }

  async get(jobId: number): Promise<AnalysisJob | undefined> {
    const row = await this.#db.get('SELECT * FROM analysis_jobs WHERE id = ?', [jobId]);
    return row ? toJob(row) : undefined;
  }

  async activeFor(issueId: string): Promise<AnalysisJob | undefined> {
    const row = await this.#db.get(`SELECT * FROM analysis_jobs WHERE issue_id = ? AND status IN ('pending', 'running')`, [issueId]);
    return row ? toJob(row) : undefined;
  }

  async list(filter: { issueId?: string; status?: AnalysisJobStatus } = {}): Promise<AnalysisJob[]> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.issueId) {
      where.push('issue_id = ?');
      args.push(filter.issueId);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const rows = await this.#db.all(`SELECT * FROM analysis_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, args);
    return rows.map(toJob);
  }

  async countByStatus(): Promise<Record<AnalysisJobStatus, number>> {
    const rows = await this.#db.all('SELECT status, COUNT(*) AS n FROM analysis_jobs GROUP BY status');
    const counts: Record<AnalysisJobStatus, number> = { pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) if (typeof r.status === 'string' && r.status in counts) counts[r.status as AnalysisJobStatus] = Number(r.n);
    return counts;
  }
}
