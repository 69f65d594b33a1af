import { z } from 'zod';
import type { Row, SqlExecutor } from './database.js';

/** One row of alert_activations (migrations/0008): the activation of one label set, live or last seen. */
export interface ActivationRow {
  source: string;
  fingerprint: string;
  server_id: string;
  name: string;
  context: string;
  chart: string;
  issue_fingerprint: string;
  issue_id: string | null;
  starts_at: number;
  ends_at: number;
  /** null while live. */
  ended: 'resolved' | 'expired' | null;
  updated_at: number;
}

const RowSchema = z.object({
  source: z.string(),
  fingerprint: z.string(),
  server_id: z.string(),
  name: z.string(),
  context: z.string(),
  chart: z.string(),
  issue_fingerprint: z.string(),
  issue_id: z.string().nullable(),
  starts_at: z.number(),
  ends_at: z.number(),
  ended: z.enum(['resolved', 'expired']).nullable(),
  updated_at: z.number(),
});

function toRow(row: Row): ActivationRow {
  return RowSchema.parse(row);
}

/** All SQL on alert_activations. Methods taking `tx` run inside a caller's write transaction. */
export class ActivationRepository {
  async get(tx: SqlExecutor, source: string, fingerprint: string): Promise<ActivationRow | undefined> {
    const row = await tx.get('SELECT * FROM alert_activations WHERE source = ? AND fingerprint = ?', [source, fingerprint]);
    return row ? toRow(row) : undefined;
  }

  async put(tx: SqlExecutor, r: ActivationRow): Promise<void> {
    await tx.run(
      `INSERT INTO alert_activations (source, fingerprint, server_id, name, context, chart, issue_fingerprint, issue_id, starts_at, ends_at, ended, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, fingerprint) DO UPDATE SET server_id = excluded.server_id, name = excluded.name,
         context = excluded.context, chart = excluded.chart, issue_fingerprint = excluded.issue_fingerprint,
         issue_id = excluded.issue_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at, ended = excluded.ended,
         updated_at = excluded.updated_at`,
      [r.source, r.fingerprint, r.server_id, r.name, r.context, r.chart, r.issue_fingerprint, r.issue_id, r.starts_at, r.ends_at, r.ended, r.updated_at],
    );
  }

  /** Whether another label set of the same issue is still live (then its issue stays open when this one ends). */
  async otherLive(tx: SqlExecutor, r: Pick<ActivationRow, 'source' | 'fingerprint' | 'server_id' | 'issue_fingerprint'>): Promise<boolean> {
    const row = await tx.get(
      `SELECT 1 AS live FROM alert_activations WHERE server_id = ? AND issue_fingerprint = ? AND ended IS NULL
         AND NOT (source = ? AND fingerprint = ?) LIMIT 1`,
      [r.server_id, r.issue_fingerprint, r.source, r.fingerprint],
    );
    return row !== undefined;
  }

  /** Live activations whose endsAt has passed: the sweeper expires them. */
  async due(db: SqlExecutor, now: number, limit: number): Promise<ActivationRow[]> {
    const rows = await db.all('SELECT * FROM alert_activations WHERE ended IS NULL AND ends_at <= ? ORDER BY ends_at LIMIT ?', [now, limit]);
    return rows.map(toRow);
  }

  /** The activations behind one issue (issues-show: since when, last re-sent, ends at), newest first. */
  async forIssue(db: SqlExecutor, issueId: string, limit = 20): Promise<ActivationRow[]> {
    const rows = await db.all('SELECT * FROM alert_activations WHERE issue_id = ? ORDER BY updated_at DESC LIMIT ?', [issueId, limit]);
    return rows.map(toRow);
  }
}
