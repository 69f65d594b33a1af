import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

const WORKER = join(PACKAGE_ROOT, 'dist/test/fixtures/ingest-worker.js');

function runWorker(args: string[]): { done: Promise<number | null>; acks: string[]; kill: () => void } {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('ack ')) acks.push(l.slice(4));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { done, acks, kill: () => child.kill('SIGKILL') };
}

describe('one database file, many writers', () => {
  it('keeps exactly one open issue and the exact count with many parallel ingests in one process', async () => {
    const store = await openTempStore();
    const event = (i: number) => ({
      server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING' as const,
      source: 'opsagent' as const, event_key: `p-${i}`, occurred_at: Date.now(),
    });
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.tracker.ingest([event(i)])));
    const issues = await store.issues.list();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.alert_count).toBe(500);
  });

  it('keeps exactly one open issue and the exact count with two OS processes on one file', async () => {
    const dir = tempDir();
    const db = join(dir, 'shared.db');
    const a = runWorker([db, 'a', '400', '1']);
    const b = runWorker([db, 'b', '400', '4']);
    expect(await a.done).toBe(0);
    expect(await b.done).toBe(0);
    const sqlite = new Database(db, { readonly: true });
    try {
      const rows = sqlite.prepare(`SELECT status, alert_count FROM issues`).all();
      expect(rows).toEqual([{ status: 'open', alert_count: 800 }]);
    } finally {
      sqlite.close();
    }
  });

  it('survives SIGKILL mid-ingest: integrity ok and every acknowledged event present', async () => {
    const dir = tempDir();
    const db = join(dir, 'crash.db');
    const worker = runWorker([db, 'c', '0', '10']);
    const deadline = Date.now() + 20_000;
    while (worker.acks.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    worker.kill();
    await worker.done;
    const acked = [...worker.acks];
    expect(acked.length).toBeGreaterThanOrEqual(300);

    const sqlite = new Database(db);
    try {
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      const keys = new Set((sqlite.prepare(`SELECT event_key FROM ingest_keys WHERE source = 'opsagent'`).all() as { event_key: string }[]).map((r) => r.event_key));
      expect(acked.filter((k) => !keys.has(k))).toEqual([]);
      const row = sqlite.prepare(`SELECT COUNT(*) AS issues, SUM(alert_count) AS firings FROM issues`).get() as { issues: number; firings: number };
      expect(row.issues).toBe(1);
      expect(row.firings).toBe(keys.size); // the count is exact: every committed event counted once
    } finally {
      sqlite.close();
    }
  });
});

describe('the seed\'s example queries run against our schema', () => {
  it('answers open issues, full history, by severity and alert frequency', async () => {
    const store = await openTempStore();
    const now = Date.now();
    const e = (name: string, status: 'WARNING' | 'CRITICAL' | 'CLEAR', at: number) => ({
      server_id: 'my-server', name, context: `system.${name}`, chart: `system.${name}`, status, source: 'opsagent' as const, occurred_at: at,
    });
    await store.tracker.ingest([e('cpu_usage', 'WARNING', now - 5000), e('cpu_usage', 'CRITICAL', now - 4000), e('ram_usage', 'WARNING', now - 3000), e('ram_usage', 'CLEAR', now - 2000)]);
    const db = store.db;
    const open = await db.all(`SELECT * FROM issues WHERE server_id = 'my-server' AND status IN ('open', 'investigating') ORDER BY last_seen_at DESC`);
    expect(open.map((r) => r.title)).toEqual(['cpu_usage']);
    const id = String(open[0]!.id);
    const history = await db.all(`SELECT i.*, c.* FROM issues i LEFT JOIN issue_comments c ON i.id = c.issue_id WHERE i.id = ? ORDER BY c.created_at ASC`, [id]);
    expect(history.map((r) => r.comment_type)).toEqual(['alert_fired', 'alert_fired', 'status_change']);
    const critical = await db.all(`SELECT * FROM issues WHERE server_id = 'my-server' AND severity = 'critical' AND status != 'resolved'`);
    expect(critical).toHaveLength(1);
    // The seed compares ms with datetime(); ours compares milliseconds with milliseconds.
    const frequency = await db.all(
      `SELECT title, COUNT(*) as occurrences, SUM(alert_count) as total_firings FROM issues
       WHERE first_seen_at > (CAST(strftime('%s', 'now', '-7 days') AS INTEGER) * 1000) GROUP BY title ORDER BY total_firings DESC`,
    );
    expect(frequency).toEqual([{ title: 'cpu_usage', occurrences: 1, total_firings: 2 }, { title: 'ram_usage', occurrences: 1, total_firings: 1 }]);
    expect(await store.issues.alertFrequency(now - 7 * 86_400_000)).toEqual(frequency);
    const closed = await db.run(`UPDATE issues SET status = 'closed' WHERE status = 'resolved' AND resolved_at < (CAST(strftime('%s', 'now') AS INTEGER) * 1000)`);
    expect(closed.changes).toBe(1);
  });

  it('enforces one active issue per alert per server in the database itself', async () => {
    const store = await openTempStore();
    const insert = (id: string) =>
      store.db.run(
        `INSERT INTO issues (id, server_id, alert_fingerprint, title, severity, status, source, first_seen_at, last_seen_at) VALUES (?, 's', 'f', 't', 'warning', 'open', 'opsagent', 1, 1)`,
        [id],
      );
    await insert('issue-1-aaaaaa');
    await expect(insert('issue-1-bbbbbb')).rejects.toThrow(/UNIQUE/);
  });

  it('never touches a legacy alerts table when migrating', async () => {
    const store = await openTempStore();
    const tables = await store.db.all(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
    expect(tables.map((t) => t.name)).not.toContain('alerts');
  });
});
