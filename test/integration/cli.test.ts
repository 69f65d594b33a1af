import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-store.js';

function setup() {
  const dir = tempDir();
  const db = join(dir, 'cli.db');
  const config = join(dir, 'netdata.yaml');
  writeFileSync(config, 'opsagent:\n  serverId: "cli-host"\n');
  const cli = (args: string[], input?: string) => runCli(['--config', config, '--db', db, ...args], input === undefined ? {} : { input });
  return { dir, db, config, cli };
}

const event = (over: Record<string, unknown> = {}) => ({ name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 85, units: '%', ...over });

describe('the opsagent CLI', () => {
  it('ingests events from stdin, lists them and shows the timeline with why they were grouped', async () => {
    const { cli } = setup();
    const ingest = await cli(['alerts-ingest', '-'], JSON.stringify([event(), event({ value: 90 }), event({ server_id: 'other' })]));
    expect(ingest).toMatchObject({ code: 0, stderr: '' });
    expect(ingest.stdout).toBe('ingested 3 event(s) into 2 issue(s): 2 created, 1 fired\n');

    const list = await cli(['issues-list', '--json']);
    const issues = JSON.parse(list.stdout) as { id: string; server_id: string; alert_count: number }[];
    expect(issues.map((i) => [i.server_id, i.alert_count]).sort()).toEqual([['cli-host', 2], ['other', 1]]);

    const mine = issues.find((i) => i.server_id === 'cli-host')!;
    const show = await cli(['issues-show', mine.id.slice(0, 22)]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Why grouped: fingerprint [0-9a-f]{16} = /);
    expect(show.stdout).toContain('sha256("cpu_usage:system.cpu:system.cpu")[:16]');
    expect(show.stdout).toMatch(/alert_fired: Alert first detected: cpu_usage = 85%\n.*alert_fired: Alert fired again \(#2\): cpu_usage = 90%/);

    const json = JSON.parse((await cli(['issues-show', mine.id, '--json'])).stdout) as { comments: unknown[]; actions: unknown[]; metadata: object };
    expect(json.comments).toHaveLength(2);
    expect(json.metadata).toMatchObject({ fingerprint_inputs: { name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu' } });
  });

  it('stores nothing when one event of a batch is invalid, and names the event and field', async () => {
    const { cli } = setup();
    const r = await cli(['alerts-ingest', '-'], JSON.stringify([event(), event({ status: 'BROKEN' })]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^opsagent: event #2, field status: Invalid option/);
    expect(JSON.parse((await cli(['issues-list', '--status', 'all', '--json'])).stdout)).toEqual([]);
    const garbage = await cli(['alerts-ingest', '-'], '{not json');
    expect(garbage).toMatchObject({ code: 1 });
    expect(garbage.stderr).toMatch(/^opsagent: stdin is not valid JSON/);
    expect((await cli(['alerts-ingest', '/nonexistent/file.json'])).stderr).toMatch(/cannot read \/nonexistent\/file\.json/);
  });

  it('records human notes and status changes, and explains unknown or ambiguous ids', async () => {
    const { cli } = setup();
    await cli(['alerts-ingest', '-'], JSON.stringify([event({ server_id: 'a' }), event({ server_id: 'b' })]));
    const [first] = JSON.parse((await cli(['issues-list', '--json'])).stdout) as { id: string }[];
    expect((await cli(['issues-comment', first!.id, 'Human restarted api-server', '--author', 'alice'])).code).toBe(0);
    expect((await cli(['issues-status', first!.id, 'resolved', '--author', 'alice', '--reason', 'fixed by hand'])).stdout).toBe(`${first!.id} is resolved\n`);
    const shown = (await cli(['issues-show', first!.id])).stdout;
    expect(shown).toContain('note (alice): Human restarted api-server');
    expect(shown).toContain('status_change (alice): Status changed to resolved: fixed by hand');

    const ambiguous = await cli(['issues-show', 'issue-']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/ambiguous; it matches 2 issues: issue-/);
    expect((await cli(['issues-show', 'zzz'])).stderr).toBe('opsagent: no issue with id "zzz"\n');
    const usage = await cli(['issues-status', first!.id, 'done']);
    expect(usage.code).toBe(2);
  });

  it('prints alert frequency statistics and fingerprints', async () => {
    const { cli } = setup();
    await cli(['alerts-ingest', '-'], JSON.stringify([event(), event(), event({ name: 'disk_full' })]));
    const stats = JSON.parse((await cli(['issues-stats', '--days', '7', '--json'])).stdout) as { alert_frequency: unknown[] };
    expect(stats.alert_frequency).toEqual([
      { title: 'cpu_usage', occurrences: 1, total_firings: 2 },
      { title: 'disk_full', occurrences: 1, total_firings: 1 },
    ]);
    expect((await cli(['fingerprint', 'opsagent_test_cpu_usage', 'opsagent_test.cpu', 'opsagent_test.cpu'])).stdout).toBe('5dbd228694367e77\n');
  });

  it('lists every config problem by path', async () => {
    const { dir, cli } = setup();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'opsagent:\n  permissionLevel: root\nserver:\n  prot: 1\n');
    const r = await cli(['config-check', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`opsagent: ${bad} is not valid:`);
    expect(r.stderr).toContain('  opsagent.permissionLevel: Invalid option');
    expect(r.stderr).toContain('  server: Unrecognized key: "prot"');
    const good = await runCli(['config-check', 'config/netdata.yaml']);
    expect(good.stdout).toContain('warning: discord: no webhookUrl');
    expect(good.stdout).toContain('config/netdata.yaml is valid: permissionLevel limited');
  });

  it('migrates a legacy one-row-per-firing alerts table into issues, idempotently, with a dry run first', async () => {
    const { db, cli } = setup();
    const legacy = new Database(db);
    legacy.exec('CREATE TABLE alerts (id INTEGER PRIMARY KEY, host TEXT, alert_name TEXT, chart TEXT, severity TEXT, value REAL, message TEXT, created_at TEXT)');
    const insert = legacy.prepare('INSERT INTO alerts (host, alert_name, chart, severity, value, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 250; i++) insert.run('web-1', 'cpu_usage', 'system.cpu', i === 100 ? 'critical' : 'warning', 80 + (i % 10), 'CPU high', new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString());
    for (let i = 0; i < 50; i++) insert.run('web-2', 'disk_space', 'disk.space', 'warning', 91, 'Disk', `2026-01-02 00:${String(i).padStart(2, '0')}:00`);
    insert.run('web-2', null, 'x', 'warning', 1, null, '2026-01-03');
    legacy.close();

    const dry = JSON.parse((await cli(['migrate-legacy', '--dry-run', '--json'])).stdout) as Record<string, unknown>;
    expect(dry).toMatchObject({ dry_run: true, rows: 301, skipped_rows: 1, alert_groups: 2, already_migrated: 0 });
    expect(JSON.parse((await cli(['issues-list', '--status', 'all', '--json'])).stdout)).toEqual([]);

    const run = await cli(['migrate-legacy']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('migrated 300 firing(s) into 2 issue(s)');
    const again = await cli(['migrate-legacy']);
    expect(again.stdout).toContain('migrated 0 firing(s) into 0 issue(s); 300 row(s) were already migrated');

    const issues = JSON.parse((await cli(['issues-list', '--json'])).stdout) as { server_id: string; alert_count: number; severity: string }[];
    expect(issues.map((i) => [i.server_id, i.alert_count, i.severity]).sort()).toEqual([['web-1', 250, 'critical'], ['web-2', 50, 'warning']]);
    const check = new Database(db, { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n).toBe(301);
    check.close();
  });
});

describe('Discord notifications from the CLI', () => {
  it('queues the live card of a critical issue ingested with the CLI, for the daemon to send', async () => {
    const dir = tempDir();
    const db = join(dir, 'cli.db');
    const config = join(dir, 'netdata.yaml');
    writeFileSync(config, 'opsagent:\n  serverId: "cli-host"\ndiscord:\n  webhookUrl: "http://127.0.0.1:9/api/webhooks/1/t"\n');
    const r = await runCli(['--config', config, '--db', db, 'alerts-ingest', '-'], { input: JSON.stringify(event({ status: 'CRITICAL', value: 99 })) });
    expect(r.code).toBe(0);
    const sqlite = new Database(db, { readonly: true });
    try {
      // The announcement is the issue's live card: queued (version 1, nothing shown yet, no message id) for the daemon.
      expect(sqlite.prepare(`SELECT version, shown_version, message_id FROM issue_cards`).all()).toEqual([{ version: 1, shown_version: 0, message_id: null }]);
      expect(sqlite.prepare(`SELECT COUNT(*) AS n FROM notifications`).get()).toEqual({ n: 0 });
    } finally {
      sqlite.close();
    }
  });
});
