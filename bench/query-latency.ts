import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultConfig } from '../src/config/load.js';
import { openStore } from '../src/main.js';
import { loadIssueDetail } from '../src/pipeline/issue-detail.js';

export interface LatencyResult {
  query: string;
  p50Ms: number;
  p99Ms: number;
  runs: number;
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

async function measure(query: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<LatencyResult> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { query, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), runs };
}

/** Fills a database with `issues` issues and `comments` comments through plain SQL (the schema is the real one). */
export function fill(path: string, issues: number, comments: number): string[] {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const ids: string[] = [];
  const now = Date.now();
  const statuses = ['open', 'investigating', 'resolved', 'resolved', 'resolved', 'closed', 'closed', 'closed', 'closed', 'closed'];
  const insertIssue = db.prepare(
    `INSERT INTO issues (id, server_id, alert_fingerprint, title, description, severity, status, source, first_seen_at, last_seen_at, resolved_at, alert_count, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'netdata', ?, ?, ?, ?, ?)`,
  );
  const insertComment = db.prepare(
    `INSERT INTO issue_comments (issue_id, author_type, comment_type, content, metadata, created_at) VALUES (?, 'agent', 'alert_fired', ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < issues; i++) {
      const id = `issue-${now - i * 1000}-${i.toString(36).padStart(6, '0')}`;
      ids.push(id);
      const status = statuses[i % statuses.length]!;
      const first = now - (issues - i) * 60_000;
      insertIssue.run(
        id, `server-${i % 500}`, `fp${i.toString(16).padStart(14, "0")}`, `alert_${i % 300}`, 'bench issue',
        i % 7 === 0 ? 'critical' : 'warning', status, first, first + 30_000, status === 'open' || status === 'investigating' ? null : first + 60_000,
        1 + (i % 50), JSON.stringify({ fingerprint_inputs: { name: `alert_${i % 300}`, context: 'ctx', chart: 'chart' } }),
      );
    }
    const perIssue = Math.floor(comments / issues);
    for (let i = 0; i < issues; i++) {
      for (let c = 0; c < perIssue; c++) insertComment.run(ids[i]!, `Alert fired again (#${c + 2}): alert = 85%`, `{"count":${c + 2}}`, now - (issues - i) * 60_000 + c);
    }
  })();
  db.close();
  return ids;
}

/** p50/p99 of issues-list, issues-show and the stats on a database of 100,000 issues and 1,000,000 comments. */
export async function runQueryLatencyBench(options: { issues?: number; comments?: number } = {}): Promise<{ fillSeconds: number; results: LatencyResult[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-bench-q-'));
  try {
    const path = join(dir, 'big.db');
    const store0 = await openStore(defaultConfig(), { dbUrl: `file:${path}` });
    await store0.db.close();
    const t = performance.now();
    const ids = fill(path, options.issues ?? 100_000, options.comments ?? 1_000_000);
    const fillSeconds = Math.round((performance.now() - t) / 100) / 10;
    const store = await openStore(defaultConfig(), { dbUrl: `file:${path}` });
    const results = [
      await measure('issues-list (open+investigating, newest 50)', 200, () => store.issues.list({ limit: 50 })),
      await measure('issues-list --status all (newest 50)', 200, () => store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'], limit: 50 })),
      await measure('issues-list --server X --severity critical', 200, (i) => store.issues.list({ serverId: `server-${i % 500}`, severity: 'critical', statuses: ['open', 'investigating', 'resolved', 'closed'] })),
      await measure('issues-show (issue + 10 comments)', 500, (i) => loadIssueDetail(store.issues, ids[(i * 7919) % ids.length]!)),
      await measure('issues-stats alert frequency (7 days)', 50, () => store.issues.alertFrequency(Date.now() - 7 * 86_400_000)),
      await measure('issues-stats alert frequency (all time)', 20, () => store.issues.alertFrequency(0)),
      await measure('counts by status', 50, () => store.issues.countByStatus()),
    ];
    await store.db.close();
    return { fillSeconds, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
