import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Issue, IssueComment, IssueMetadata, IssueStatus, NewComment, Severity } from '../model/issue.js';
import type { Database, Query, Row, SqlExecutor, SqlValue } from './database.js';

const json = z.string().nullable().transform((text, ctx) => {
  if (text === null || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'metadata is not valid JSON' });
    return z.NEVER;
  }
});

const IssueRow = z.object({
  id: z.string(),
  server_id: z.string(),
  alert_fingerprint: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(['warning', 'critical']),
  status: z.enum(['open', 'investigating', 'resolved', 'closed']),
  source: z.string(),
  source_alert_id: z.string().nullable(),
  first_seen_at: z.number(),
  last_seen_at: z.number(),
  resolved_at: z.number().nullable(),
  alert_count: z.number(),
  metadata: json,
});

const CommentRow = z.object({
  id: z.number(),
  issue_id: z.string(),
  author_type: z.enum(['agent', 'human']),
  author_name: z.string().nullable(),
  comment_type: z.enum(['analysis', 'action', 'status_change', 'alert_fired', 'note']),
  content: z.string(),
  metadata: json,
  created_at: z.number(),
});

export function toIssue(row: Row): Issue {
  const r = IssueRow.parse(row);
  const metadata = (r.metadata && typeof r.metadata === 'object' ? r.metadata : {}) as IssueMetadata;
  return { ...r, metadata };
}

export function toComment(row: Row): IssueComment {
  const r = CommentRow.parse(row);
  return { ...r, metadata: r.metadata && typeof r.metadata === 'object' ? (r.metadata as Record<string, unknown>) : null };
}

export interface IssueFilter {
  statuses?: IssueStatus[];
  severity?: Severity;
  serverId?: string;
  search?: string;
  /** Only issues last seen at or after this time (ms). */
  sinceMs?: number;
  limit?: number;
  offset?: number;
}

export interface ServerCounts {
  server_id: string;
  open: number;
  investigating: number;
  resolved: number;
  closed: number;
}

const SERVER_COUNTS_SQL = `SELECT server_id,
    SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open,
    SUM(CASE WHEN status = 'investigating' THEN 1 ELSE 0 END) AS investigating,
    SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS resolved,
    SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS closed
  FROM issues GROUP BY server_id ORDER BY server_id`;

function toServerCounts(r: Row): ServerCounts {
  return { server_id: String(r.server_id), open: Number(r.open), investigating: Number(r.investigating), resolved: Number(r.resolved), closed: Number(r.closed) };
}

export interface AlertFrequency {
  title: string;
  occurrences: number;
  total_firings: number;
}

/** All SQL on issues and issue_comments. Methods taking `tx` run inside a caller's write transaction. */
export class IssueRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  // ---- inside a write transaction -------------------------------------------------------------

  /** Claims an idempotency key for the issue the event goes to; false when the event was applied before. */
  async claimIngestKey(tx: SqlExecutor, source: string, eventKey: string, issueId: string | null, now: number): Promise<boolean> {
    const r = await tx.run('INSERT OR IGNORE INTO ingest_keys (source, event_key, issue_id, created_at) VALUES (?, ?, ?, ?)', [source, eventKey, issueId, now]);
    return r.changes === 1;
  }

  async setIngestKeyIssue(tx: SqlExecutor, source: string, eventKey: string, issueId: string | null): Promise<void> {
    await tx.run('UPDATE ingest_keys SET issue_id = ? WHERE source = ? AND event_key = ?', [issueId, source, eventKey]);
  }

  /** One more firing of an issue believed active; false when it is no longer open/investigating. */
  async countFiringIfActive(tx: SqlExecutor, issueId: string, occurredAt: number): Promise<boolean> {
    // No RETURNING on purpose: UPDATE … RETURNING of an indexed column makes SQLite take a two-pass plan, ~4× slower
    // than the plain update (plus a primary-key read when the caller needs the fresh values).
    const r = await tx.run(
      `UPDATE issues SET alert_count = alert_count + 1, last_seen_at = MAX(last_seen_at, ?) WHERE id = ? AND status IN ('open', 'investigating')`,
      [occurredAt, issueId],
    );
    return r.changes === 1;
  }

  /** Firings already known to belong to an active issue in this transaction, written at once (queued). */
  addFirings(tx: SqlExecutor, issueId: string, firings: number, lastSeenAt: number): void {
    tx.queue('UPDATE issues SET alert_count = alert_count + ?, last_seen_at = MAX(last_seen_at, ?) WHERE id = ?', [firings, lastSeenAt, issueId]);
  }

  // ---- queued writes for a remote database: no answer awaited, the database decides through guards ----

  /**
   * Claims idempotency keys, queued, a few hundred per statement: a key already claimed fails the transaction
   * (StaleWriteError), and the caller decides again with answers awaited. Duplicates are rare; the common delivery
   * costs no round trip and no statement of its own.
   */
  queueIngestKeys(tx: SqlExecutor, keys: readonly { source: string; eventKey: string; issueId: string | null }[], now: number): void {
    for (let i = 0; i < keys.length; i += 500) {
      const part = keys.slice(i, i + 500);
      tx.queue(
        `INSERT OR IGNORE INTO ingest_keys (source, event_key, issue_id, created_at) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`,
        part.flatMap((k) => [k.source, k.eventKey, k.issueId, now]),
        { expectChanges: part.length },
      );
    }
  }

  /**
   * One more firing of an issue this process believes active with `expectedCount` firings, queued and guarded: when
   * the issue is no longer active or another process counted meanwhile, the transaction fails (StaleWriteError).
   */
  queueFiringIfUnchanged(tx: SqlExecutor, issueId: string, expectedCount: number, occurredAt: number): void {
    tx.queue(
      `UPDATE issues SET alert_count = alert_count + 1, last_seen_at = MAX(last_seen_at, ?)
       WHERE id = ? AND status IN ('open', 'investigating') AND alert_count = ?`,
      [occurredAt, issueId, expectedCount],
      { expectChanges: 1 },
    );
  }

  queueInsert(tx: SqlExecutor, issue: Issue): void {
    tx.queue(
      `INSERT INTO issues (id, server_id, alert_fingerprint, title, description, severity, status, source, source_alert_id,
         first_seen_at, last_seen_at, resolved_at, alert_count, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        issue.id, issue.server_id, issue.alert_fingerprint, issue.title, issue.description, issue.severity, issue.status,
        issue.source, issue.source_alert_id, issue.first_seen_at, issue.last_seen_at, issue.resolved_at, issue.alert_count,
        JSON.stringify(issue.metadata),
      ],
    );
  }

  /**
   * Updates an issue, queued. With `expect` (the status and count the caller read, maybe outside the transaction) the
   * write is guarded: a row that changed meanwhile fails the transaction (StaleWriteError).
   */
  queueUpdate(tx: SqlExecutor, issueId: string, fields: Partial<Omit<Issue, 'id'>>, expect?: Pick<Issue, 'status' | 'alert_count'>): void {
    const entries = Object.entries(fields);
    if (entries.length === 0) return;
    const sets = entries.map(([k]) => `${k} = ?`).join(', ');
    const values = entries.map(([k, v]) => (k === 'metadata' ? JSON.stringify(v) : (v as SqlValue)));
    if (!expect) return tx.queue(`UPDATE issues SET ${sets} WHERE id = ?`, [...values, issueId]);
    tx.queue(`UPDATE issues SET ${sets} WHERE id = ? AND status = ? AND alert_count = ?`, [...values, issueId, expect.status, expect.alert_count], { expectChanges: 1 });
  }

  queueComment(tx: SqlExecutor, issueId: string, comment: NewComment, now: number): void {
    tx.queue(
      `INSERT INTO issue_comments (issue_id, author_type, author_name, comment_type, content, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        issueId, comment.author_type, comment.author_name ?? null, comment.comment_type, comment.content,
        comment.metadata ? JSON.stringify(comment.metadata) : null, now,
      ],
    );
  }

  /**
   * The active issue and the latest resolved one of each (server, fingerprint), read in one exchange: what a group
   * commit on a remote database decides from before it writes (its writes are guarded by what it read).
   */
  async lookupMany(keys: readonly { serverId: string; fingerprint: string }[]): Promise<{ active: Issue | undefined; resolved: Issue | undefined }[]> {
    const results = await this.#db.readMany(
      keys.map((k) => ({
        sql: `SELECT * FROM issues WHERE server_id = ? AND alert_fingerprint = ? AND status IN ('open', 'investigating')
              UNION ALL
              SELECT * FROM (SELECT * FROM issues WHERE server_id = ? AND alert_fingerprint = ? AND status = 'resolved' ORDER BY resolved_at DESC LIMIT 1)`,
        args: [k.serverId, k.fingerprint, k.serverId, k.fingerprint],
      })),
    );
    return results.map((rows) => {
      const issues = rows.map(toIssue);
      return { active: issues.find((i) => i.status === 'open' || i.status === 'investigating'), resolved: issues.find((i) => i.status === 'resolved') };
    });
  }

  /** The values of an issue another process may have changed since this one last read it. */
  async firingState(tx: SqlExecutor, issueId: string): Promise<Pick<Issue, 'alert_count' | 'last_seen_at' | 'status' | 'severity'> | undefined> {
    const row = await tx.get('SELECT alert_count, last_seen_at, status, severity FROM issues WHERE id = ?', [issueId]);
    if (!row) return undefined;
    return {
      alert_count: Number(row.alert_count),
      last_seen_at: Number(row.last_seen_at),
      status: row.status === 'investigating' ? 'investigating' : 'open',
      severity: row.severity === 'critical' ? 'critical' : 'warning',
    };
  }

  async findActive(tx: SqlExecutor, serverId: string, fingerprint: string): Promise<Issue | undefined> {
    const row = await tx.get(
      `SELECT * FROM issues WHERE server_id = ? AND alert_fingerprint = ? AND status IN ('open', 'investigating')`,
      [serverId, fingerprint],
    );
    return row ? toIssue(row) : undefined;
  }

  async findLatestResolved(tx: SqlExecutor, serverId: string, fingerprint: string): Promise<Issue | undefined> {
    const row = await tx.get(
      `SELECT * FROM issues WHERE server_id = ? AND alert_fingerprint = ? AND status = 'resolved'
       ORDER BY resolved_at DESC LIMIT 1`,
      [serverId, fingerprint],
    );
    return row ? toIssue(row) : undefined;
  }

  /** One more firing: the exact count, the newest time, and severity that only ever rises while open. */
  async recordFiring(tx: SqlExecutor, issueId: string, occurredAt: number, severity: Severity): Promise<void> {
    await tx.run(
      `UPDATE issues SET alert_count = alert_count + 1, last_seen_at = MAX(last_seen_at, ?), severity = ? WHERE id = ?`,
      [occurredAt, severity, issueId],
    );
  }

  /** Only the annotations key: other metadata (flapping transitions) may be newer in the row than in a cache. */
  queueAnnotations(tx: SqlExecutor, issueId: string, annotations: Record<string, string>): void {
    tx.queue(`UPDATE issues SET metadata = json_set(COALESCE(metadata, '{}'), '$.annotations', json(?)) WHERE id = ?`, [JSON.stringify(annotations), issueId]);
  }

  async update(tx: SqlExecutor, issueId: string, fields: Partial<Omit<Issue, 'id'>>): Promise<void> {
    const entries = Object.entries(fields);
    if (entries.length === 0) return;
    const sets = entries.map(([k]) => `${k} = ?`).join(', ');
    const values = entries.map(([k, v]) => (k === 'metadata' ? JSON.stringify(v) : (v as SqlValue)));
    await tx.run(`UPDATE issues SET ${sets} WHERE id = ?`, [...values, issueId]);
  }

  async addComment(tx: SqlExecutor, issueId: string, comment: NewComment, now: number): Promise<number> {
    const r = await tx.run(
      `INSERT INTO issue_comments (issue_id, author_type, author_name, comment_type, content, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        issueId, comment.author_type, comment.author_name ?? null, comment.comment_type, comment.content,
        comment.metadata ? JSON.stringify(comment.metadata) : null, now,
      ],
    );
    return r.lastInsertRowid;
  }

  async getIn(tx: SqlExecutor, id: string): Promise<Issue | undefined> {
    const row = await tx.get('SELECT * FROM issues WHERE id = ?', [id]);
    return row ? toIssue(row) : undefined;
  }

  // ---- reads -------------------------------------------------------------------------------------

  async get(id: string): Promise<Issue | undefined> {
    return this.getIn(this.#db, id);
  }

  /** Resolves a full id or a unique prefix (with or without the `issue-` part); lists candidates when ambiguous. */
  async resolveId(idOrPrefix: string): Promise<string> {
    const exact = await this.#db.get('SELECT id FROM issues WHERE id = ?', [idOrPrefix]);
    if (exact) return String(exact.id);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(idOrPrefix)) throw new AppError('NOT_FOUND', `no issue with id "${idOrPrefix}"`);
    const prefix = idOrPrefix.startsWith('issue-') ? idOrPrefix : `issue-${idOrPrefix}`;
    const rows = await this.#db.all('SELECT id FROM issues WHERE id >= ? AND id < ? ORDER BY id LIMIT 11', [prefix, `${prefix}\uffff`]);
    if (rows.length === 1) return String(rows[0]!.id);
    if (rows.length === 0) throw new AppError('NOT_FOUND', `no issue with id "${idOrPrefix}"`);
    const shown = rows.slice(0, 10).map((r) => String(r.id));
    throw new AppError(
      'AMBIGUOUS_ID',
      `issue id "${idOrPrefix}" is ambiguous; it matches ${rows.length > 10 ? 'more than 10 issues' : `${rows.length} issues`}: ${shown.join(', ')}`,
    );
  }

  /**
   * Newest activity first. Each status is read in index order (status, last_seen_at, id) with its own LIMIT and the
   * pages are merged here: one `status IN (…)` query would sort every matching row first.
   */
  async list(filter: IssueFilter = {}): Promise<Issue[]> {
    const { queries, merge } = this.#listQueries(filter);
    return merge(await this.#db.readMany(queries)); // one exchange (one round trip to a remote database)
  }

  #listQueries(filter: IssueFilter): { queries: Query[]; merge: (pages: Row[][]) => Issue[] } {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.severity) {
      where.push('severity = ?');
      args.push(filter.severity);
    }
    if (filter.serverId) {
      where.push('server_id = ?');
      args.push(filter.serverId);
    }
    if (filter.sinceMs !== undefined) {
      where.push('last_seen_at >= ?');
      args.push(filter.sinceMs);
    }
    if (filter.search) {
      where.push(`(title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' OR server_id LIKE ? ESCAPE '\\')`);
      const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      args.push(pattern, pattern, pattern);
    }
    const limit = filter.limit ?? 50;
    const offset = filter.offset ?? 0;
    const statuses = [...new Set(filter.statuses ?? ['open', 'investigating'])];
    const extra = where.length ? ` AND ${where.join(' AND ')}` : '';
    // With a server filter, that server's rows (index on server_id) are fewer than one status's: `+status` steers
    // the planner away from the status index.
    const statusColumn = filter.serverId ? '+status' : 'status';
    const queries = statuses.map((status) => ({
      sql: `SELECT * FROM issues WHERE ${statusColumn} = ?${extra} ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
      args: [status, ...args, limit + offset],
    }));
    const merge = (pages: Row[][]): Issue[] => {
      const rows = pages.flat();
      rows.sort((a, b) => Number(b.last_seen_at) - Number(a.last_seen_at) || (String(b.id) < String(a.id) ? -1 : String(b.id) > String(a.id) ? 1 : 0));
      return rows.slice(offset, offset + limit).map(toIssue);
    };
    return { queries, merge };
  }

  /**
   * An issue by full id or unique prefix with its comments, in one exchange; undefined when the id matches no issue or
   * several (resolveId then says which).
   */
  async findWithComments(idOrPrefix: string): Promise<{ issue: Issue; comments: IssueComment[] } | undefined> {
    const prefix = idOrPrefix.startsWith('issue-') ? idOrPrefix : `issue-${idOrPrefix}`;
    const target = `WITH target AS (SELECT COALESCE(
        (SELECT id FROM issues WHERE id = ?),
        (SELECT CASE WHEN COUNT(*) = 1 THEN MAX(id) END FROM (SELECT id FROM issues WHERE id >= ? AND id < ? LIMIT 2))) AS id)`;
    const args = [idOrPrefix, prefix, `${prefix}\uffff`];
    const [issueRows, commentRows] = await this.#db.readMany([
      { sql: `${target} SELECT * FROM issues WHERE id = (SELECT id FROM target)`, args },
      { sql: `${target} SELECT * FROM issue_comments WHERE issue_id = (SELECT id FROM target) ORDER BY created_at ASC, id ASC`, args },
    ]);
    const row = issueRows?.[0];
    return row ? { issue: toIssue(row), comments: (commentRows ?? []).map(toComment) } : undefined;
  }

  /** Issues per server and status, for the fleet view (every server that has an issue). */
  async countByServer(): Promise<ServerCounts[]> {
    const rows = await this.#db.all(SERVER_COUNTS_SQL);
    return rows.map(toServerCounts);
  }

  /** list() and the per-server counts in one exchange: what `issues-list` and the dashboard show. */
  async listWithServers(filter: IssueFilter = {}): Promise<{ issues: Issue[]; servers: ServerCounts[] }> {
    const { queries, merge } = this.#listQueries(filter);
    const pages = await this.#db.readMany([...queries, { sql: SERVER_COUNTS_SQL }]);
    return { issues: merge(pages.slice(0, queries.length)), servers: pages[queries.length]!.map(toServerCounts) };
  }

  async countByStatus(): Promise<Record<IssueStatus, number>> {
    const rows = await this.#db.all('SELECT status, COUNT(*) AS n FROM issues GROUP BY status');
    const counts: Record<IssueStatus, number> = { open: 0, investigating: 0, resolved: 0, closed: 0 };
    for (const r of rows) if (typeof r.status === 'string' && r.status in counts) counts[r.status as IssueStatus] = Number(r.n);
    return counts;
  }

  async comments(issueId: string, options: { limit?: number } = {}): Promise<IssueComment[]> {
    const rows = await this.#db.all(
      'SELECT * FROM issue_comments WHERE issue_id = ? ORDER BY created_at ASC, id ASC LIMIT ?',
      [issueId, options.limit ?? 100_000],
    );
    return rows.map(toComment);
  }

  async latestComment(issueId: string, commentType: string): Promise<IssueComment | undefined> {
    const row = await this.#db.get(
      'SELECT * FROM issue_comments WHERE issue_id = ? AND comment_type = ? ORDER BY created_at DESC, id DESC LIMIT 1',
      [issueId, commentType],
    );
    return row ? toComment(row) : undefined;
  }

  /** The seed's "Get Alert Frequency", comparing milliseconds with milliseconds: issues first seen in the window. */
  async alertFrequency(sinceMs: number, limit = 20): Promise<AlertFrequency[]> {
    const rows = await this.#db.all(
      `SELECT title, COUNT(*) AS occurrences, SUM(alert_count) AS total_firings
       FROM issues WHERE first_seen_at > ? GROUP BY title ORDER BY total_firings DESC, title ASC LIMIT ?`,
      [sinceMs, limit],
    );
    return rows.map((r) => ({ title: String(r.title), occurrences: Number(r.occurrences), total_firings: Number(r.total_firings) }));
  }

  async issuesPerServer(sinceMs: number): Promise<{ server_id: string; issues: number; open: number }[]> {
    const rows = await this.#db.all(
      `SELECT server_id, COUNT(*) AS issues, SUM(CASE WHEN status IN ('open','investigating') THEN 1 ELSE 0 END) AS open
       FROM issues WHERE last_seen_at > ? GROUP BY server_id ORDER BY issues DESC`,
      [sinceMs],
    );
    return rows.map((r) => ({ server_id: String(r.server_id), issues: Number(r.issues), open: Number(r.open) }));
  }

  async getCursor(sourceId: string): Promise<string | undefined> {
    const row = await this.#db.get('SELECT cursor FROM source_cursors WHERE source_id = ?', [sourceId]);
    return row ? String(row.cursor) : undefined;
  }

  async setCursor(tx: SqlExecutor, sourceId: string, cursor: string, now: number): Promise<void> {
    await tx.run(
      `INSERT INTO source_cursors (source_id, cursor, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (source_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      [sourceId, cursor, now],
    );
  }

  /** Resolved issues whose resolution is older than the cutoff, for archiving. */
  async resolvedBefore(tx: SqlExecutor, cutoffMs: number, limit: number): Promise<Issue[]> {
    const rows = await tx.all(`SELECT * FROM issues WHERE status = 'resolved' AND resolved_at < ? ORDER BY resolved_at LIMIT ?`, [cutoffMs, limit]);
    return rows.map(toIssue);
  }
}
