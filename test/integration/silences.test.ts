import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { runCli } from '../helpers/cli.js';
import { startFakeDiscord, type FakeDiscord } from '../helpers/fake-discord.js';
import { scenarioConfig, startScenarioDaemon, waitFor, type ScenarioDaemon } from '../helpers/scenario-daemon.js';
import { startCpuBurner } from '../helpers/scenario-processes.js';
import { tempDir } from '../helpers/temp-store.js';

// Every test runs `opsagent run` as a child process and drives it only from outside: its HTTP API, the CLI on the
// same database, a fake Discord on 127.0.0.1 and, for the storm, a real runaway process as the culprit.

function rows<T>(dbPath: string, sql: string, ...args: unknown[]): T[] {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

function alert(name: string, over: Record<string, unknown> = {}) {
  return { server_id: 'scenario-host', name, context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, ...over };
}

function titles(discord: FakeDiscord): string[] {
  return discord.messages.flatMap((m) => ((m.body.embeds ?? []) as { title?: string }[]).map((e) => e.title ?? ''));
}

function steering(dir: string): Record<string, string> {
  return { authorization: `Bearer ${readFileSync(join(dir, 'api-token'), 'utf8').trim()}` };
}

async function send(daemon: ScenarioDaemon, events: unknown[]): Promise<void> {
  const res = await daemon.post('/api/v1/alerts', events);
  expect(res.status).toBe(202);
}

describe('silences against the running daemon', () => {
  it('a silenced storm in full mode is counted and recorded, sends nothing, runs nothing; a person may still approve; its end is told once', { timeout: 120_000 }, async () => {
    const discord = await startFakeDiscord();
    const burner = await startCpuBurner('buggy-app');
    const daemon = await startScenarioDaemon({
      ...scenarioConfig({
        netdataUrl: '',
        webhookUrl: discord.webhookUrl,
        permissionLevel: 'full',
        autoRemediate: true,
        actions: { killProcess: { graceMs: 2_000, allowedPids: [burner.pid], allowedNames: ['buggy-app'] } },
      }),
      silences: { checkIntervalSeconds: 0.5 },
    });

    const add = await daemon.cli(['silences-add', '--match', 'server=scenario-host', '--match', 'alertname=~"buggy_.*"', '--for', '2h', '--comment', 'planned deploy', '--by', 'bob', '--json']);
    expect(add.code).toBe(0);
    const silence = JSON.parse(add.stdout) as { id: string; state: string };
    expect(silence.state).toBe('active');

    const storm = Array.from({ length: 200 }, () => alert('buggy_app_cpu_usage'));
    for (let i = 0; i < storm.length; i += 50) await send(daemon, storm.slice(i, i + 50));

    const [issue] = await daemon.issues();
    expect(issue).toMatchObject({ title: 'buggy_app_cpu_usage', alert_count: 200, status: expect.stringMatching(/open|investigating/) });
    // The analysis still runs and proposes killing buggy-app; the proposal is held by the silence, not executed.
    const held = await waitFor('the proposal held by the silence', async () => (await daemon.actions(issue!.id)).find((a) => a.action_type === 'kill_process'), 60_000);
    expect(held).toMatchObject({ status: 'pending_approval', params: { pid: burner.pid, name: 'buggy-app' } });
    expect(rows<{ held_by_silence: string }>(daemon.dbPath, 'SELECT held_by_silence FROM actions WHERE id = ?', held.id)).toEqual([{ held_by_silence: silence.id }]);
    expect(burner.alive()).toBe(true);

    const detail = await daemon.issue(issue!.id);
    const firings = detail.comments.filter((c) => c.comment_type === 'alert_fired');
    expect(firings.length).toBe(101); // one comment each for the first 100, then one roll-up per 100 firings
    expect(firings.every((c) => c.metadata?.silenced_by === silence.id)).toBe(true);
    expect(detail).toMatchObject({ silenced: { id: silence.id, kind: 'silence', by: 'bob', comment: 'planned deploy' } });
    expect(detail.comments.some((c) => c.content.startsWith(`🔕 Held by ${silence.id}: kill_process`))).toBe(true);
    // Nothing was queued for Discord: no card, no approval request, no message.
    expect(rows(daemon.dbPath, 'SELECT id FROM notifications')).toEqual([]);
    expect(rows(daemon.dbPath, 'SELECT issue_id FROM issue_cards')).toEqual([]);
    expect(discord.messages).toEqual([]);

    const listed = await daemon.cli(['issues-list']);
    expect(listed.stdout).toMatch(/silenced until \d{4}-\d{2}-\d{2} /);

    // A person approves explicitly: the held action runs.
    const approve = await daemon.cli(['actions-approve', held.id, '--by', 'alice', '--wait', '20']);
    expect(approve.code).toBe(0);
    await waitFor('buggy-app to be killed', () => !burner.alive(), 20_000);

    // Ending the silence while the issue is still open tells the channel once where it stands.
    const expire = await daemon.cli(['silences-expire', silence.id.slice(0, 20), '--by', 'carol']);
    expect(expire.stdout).toContain(`${silence.id} expired by carol`);
    await waitFor('the end message', () => titles(discord).some((t) => t.startsWith(`🔔 Silence ${silence.id} ended (expired by carol): 1 issue still active`)), 20_000);
    const again = await daemon.cli(['silences-expire', silence.id, '--by', 'carol']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`silence ${silence.id} has already ended (expired by carol)`);
    await new Promise((r) => setTimeout(r, 1_500)); // three more checks
    expect(titles(discord).filter((t) => t.includes(`Silence ${silence.id} ended`))).toHaveLength(1);
    expect((await daemon.issue(issue!.id)) as unknown).toMatchObject({ silenced: null });
  });

  it('acknowledges, snoozes and silences until resolved over HTTP; bad input answers 4xx and changes nothing', { timeout: 60_000 }, async () => {
    const discord = await startFakeDiscord();
    const daemon = await startScenarioDaemon({ ...scenarioConfig({ netdataUrl: '', webhookUrl: discord.webhookUrl, permissionLevel: 'readonly', analysisEnabled: false }) });
    await send(daemon, [alert('disk_full', { context: 'disk.space', chart: 'disk_space._' })]);
    const [issue] = await daemon.issues();
    const auth = steering(daemon.dir);

    const unauthenticated = await daemon.post('/api/v1/silences', { matchers: ['server=x'], duration: '1h' });
    expect(unauthenticated.status).toBe(401);
    const bad: [unknown, number, string][] = [
      [{ matchers: ['alertname=~"disk_(["'], duration: '1h' }, 400, 'invalid regular expression'],
      [{ matchers: ['hostname=web-1'], duration: '1h' }, 400, 'unknown field "hostname"'],
      [{ matchers: ['server=x'], starts_at: '2030-01-01T10:00:00Z', ends_at: '2030-01-01T09:00:00Z' }, 400, 'is not after the start'],
      [{ matchers: ['server=x'], duration: '31d' }, 400, 'at most 30 days'],
      [{ matchers: [], duration: '1h' }, 400, 'at least one matcher'],
      [{ matchers: ['server=x'], duration: '1h', surprise: true }, 400, 'surprise'],
    ];
    for (const [body, status, message] of bad) {
      const res = await daemon.post('/api/v1/silences', body, auth);
      expect(res.status).toBe(status);
      expect((res.body as { message: string }).message).toContain(message);
    }
    const cliBad: [string[], string][] = [
      [['silences-add', '--match', 'hostname=web-1', '--for', '1h'], 'opsagent: matcher "hostname=web-1": unknown field "hostname"'],
      [['silences-add', '--match', 'alertname=~"("', '--for', '1h'], 'invalid regular expression'],
      [['silences-add', '--match', 'server=x', '--for', '40d'], 'opsagent: a silence may last at most 30 days'],
      [['silences-add', '--match', 'server=x', '--until', '2020-01-01T00:00:00Z'], 'the end (2020-01-01T00:00:00.000Z) is not after the start'],
      [['silences-add', '--match', 'server=x', '--starts', '2020-01-01T00:00:00Z', '--until', '2020-01-01T01:00:00Z'], 'is already past'],
      [['silences-add', '--match', 'server=x', '--until', 'tomorrow'], 'use an ISO 8601 time with its zone'],
      [['silences-expire', 'silence-nope'], 'no silence with id "silence-nope"'],
      [['issues-ack', 'issue-nope', '--by', 'alice'], 'issue-nope'],
      [['windows-add', '--name', 'x', '--match', 'server=x', '--days', 'sun', '--start', '02:00', '--end', '04:00', '--tz', 'Mars/Base'], 'unknown time zone "Mars/Base"'],
    ];
    for (const [args, message] of cliBad) {
      const r = await daemon.cli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
    expect(rows(daemon.dbPath, 'SELECT id FROM silences')).toEqual([]);
    expect(rows(daemon.dbPath, 'SELECT id FROM maintenance_windows')).toEqual([]);
    expect(rows(daemon.dbPath, 'SELECT issue_id FROM issue_acks')).toEqual([]);

    // Alertmanager's API v2 spelling works too.
    const am = await daemon.post('/api/v1/silences', { matchers: [{ name: 'team', value: 'db', isRegex: false, isEqual: true }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'amtool', comment: 'x' }, auth);
    expect(am.status).toBe(201);
    expect(am.body).toMatchObject({ matcher_text: ['label.team="db"'], created_by: 'amtool', state: 'active' });
    const id = (am.body as { id: string }).id;
    const del = await fetch(`${daemon.url}/api/v1/silences/${id}`, { method: 'DELETE', headers: { ...auth, 'content-type': 'application/json' }, body: '{"by":"amtool"}' });
    expect(del.status).toBe(200);
    const twice = await daemon.post(`/api/v1/silences/${id}/expire`, { by: 'amtool' }, auth);
    expect(twice.status).toBe(409);

    const ack = await daemon.post(`/api/v1/issues/${issue!.id}/ack`, { by: 'alice' }, auth);
    expect(ack).toMatchObject({ status: 200, body: { issue_id: issue!.id, acknowledged_by: 'alice' } });
    const snooze = await daemon.post(`/api/v1/issues/${issue!.id}/snooze`, { by: 'bob' }, auth);
    expect(snooze).toMatchObject({ status: 201, body: { kind: 'snooze', issue_id: issue!.id, created_by: 'bob' } });
    const untilResolved = await daemon.post(`/api/v1/issues/${issue!.id}/silence`, { by: 'bob', comment: 'known' }, auth);
    expect(untilResolved).toMatchObject({ status: 201, body: { ends_at: null, until_resolved_issue_id: issue!.id } });
    expect((await daemon.post(`/api/v1/issues/${issue!.id}/silence`, { by: 'bob' }, auth)).status).toBe(409);
    const listed = await daemon.get<{ issues: { id: string; acknowledged_by: string; silenced: { kind: string; until: number | null } }[] }>('/api/v1/issues');
    expect(listed.issues[0]).toMatchObject({ id: issue!.id, acknowledged_by: 'alice', silenced: { kind: 'silence', until: null } });
    const show = await daemon.cli(['issues-show', issue!.id]);
    expect(show.stdout).toContain('acknowledged by alice');
    expect(show.stdout).toContain('until it resolves (bob: known)');

    // The issue resolves: the until-resolved silence ends with it, and so does the acknowledgement.
    await send(daemon, [alert('disk_full', { context: 'disk.space', chart: 'disk_space._', status: 'CLEAR' })]);
    const after = await daemon.get<{ acknowledged_by: string | null; silenced: unknown; status: string }>(`/api/v1/issues/${issue!.id}`);
    expect(after).toMatchObject({ status: 'resolved', acknowledged_by: null, silenced: null });
    const unack = await daemon.post(`/api/v1/issues/${issue!.id}/unack`, { by: 'alice' }, auth);
    expect(unack.status).toBe(409);
  });
});

describe('across restarts and daemons', () => {
  function writeConfig(dir: string, discord: FakeDiscord, extra: Record<string, unknown>): string {
    const path = join(dir, `opsagent-${Math.random().toString(36).slice(2, 8)}.yaml`);
    const base = scenarioConfig({ netdataUrl: '', webhookUrl: discord.webhookUrl, permissionLevel: 'readonly', analysisEnabled: false });
    writeFileSync(path, stringify({ ...base, ...extra, database: { url: `file:${join(dir, 'opsagent.db')}` }, server: { host: '127.0.0.1', port: 0 } }));
    return path;
  }

  async function post(url: string, body: unknown): Promise<void> {
    const res = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
  }

  it('a maintenance window that ended while the daemon was down is announced once after the restart', { timeout: 90_000 }, async () => {
    const discord = await startFakeDiscord();
    const dir = tempDir('opsagent-window-');
    const endsAt = Date.now() + 6_000;
    const config = writeConfig(dir, discord, {
      silences: {
        checkIntervalSeconds: 0.5,
        windows: [{ name: 'deploy', matchers: ['server=scenario-host'], starts_at: new Date(Date.now() - 60_000).toISOString(), ends_at: new Date(endsAt).toISOString() }],
      },
    });
    const env = { OPSAGENT_HOME: dir };
    const first = spawnDaemon(config, { env });
    const url = await first.started();
    await post(url, [alert('buggy_app_cpu_usage')]);
    const issues = (await (await fetch(`${url}/api/v1/issues`)).json()) as { issues: { silenced: { kind: string; id: string; until: number } | null }[] };
    expect(issues.issues[0]!.silenced).toMatchObject({ kind: 'window', id: 'config:deploy', until: endsAt });
    await waitFor('the window recorded as open', () => rows<{ active: number }>(join(dir, 'opsagent.db'), 'SELECT active FROM maintenance_window_state')[0]?.active === 1);
    expect((await first.terminate()).code).toBe(0);
    expect(discord.messages).toEqual([]); // a new critical issue inside the window: no card, no message

    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now() + 500)));
    const second = spawnDaemon(config, { env });
    await second.started();
    await waitFor('the window end message', () => titles(discord).some((t) => t === '🔔 Maintenance window "deploy" ended: 1 issue still active'), 20_000);
    expect((await second.terminate()).code).toBe(0);
    const third = spawnDaemon(config, { env });
    await third.started();
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await third.terminate()).code).toBe(0);
    expect(titles(discord).filter((t) => t.includes('Maintenance window'))).toHaveLength(1);
  });

  it('two daemons on one database: one end message per silence, one reminder per round, and an acknowledgement ends them', { timeout: 90_000 }, async () => {
    const discord = await startFakeDiscord();
    const dir = tempDir('opsagent-two-silences-');
    const dbPath = join(dir, 'opsagent.db');
    const extra = { silences: { checkIntervalSeconds: 0.3 }, discord: { webhookUrl: discord.webhookUrl, digest: { enabled: false }, reminderIntervalMinutes: 0.05 } };
    const env = { OPSAGENT_HOME: dir };
    const a = spawnDaemon(writeConfig(dir, discord, extra), { env });
    const urlA = await a.started();
    const b = spawnDaemon(writeConfig(dir, discord, extra), { env });
    await b.started();
    const cli = (args: string[]) => runCli(['--config', writeConfig(dir, discord, extra), '--db', dbPath, ...args], { env });

    const add = await cli(['silences-add', '--match', 'alertname=db_down', '--for', '4s', '--by', 'bob', '--json']);
    expect(add.code).toBe(0);
    const silence = JSON.parse(add.stdout) as { id: string };
    await post(urlA, [alert('db_down', { context: 'db.up', chart: 'db.up' })]);
    await waitFor('the silence end message', () => titles(discord).some((t) => t.startsWith(`🔔 Silence ${silence.id} ended (it ran out): 1 issue still active`)), 20_000);
    await waitFor('two reminder rounds', () => titles(discord).filter((t) => t.startsWith('⏰ Reminder: 1 critical issue')).length >= 2, 30_000);

    const ack = await cli(['issues-ack', ((await (await fetch(`${urlA}/api/v1/issues`)).json()) as { issues: { id: string }[] }).issues[0]!.id, '--by', 'alice']);
    expect(ack.code).toBe(0);
    const reminded = titles(discord).filter((t) => t.startsWith('⏰ Reminder')).length;
    await new Promise((r) => setTimeout(r, 7_000)); // more than two intervals
    expect((await a.terminate()).code).toBe(0);
    expect((await b.terminate()).code).toBe(0);

    const all = titles(discord);
    expect(all.filter((t) => t.includes(`Silence ${silence.id} ended`))).toHaveLength(1);
    // Each round was claimed once across both daemons: one message per round that had issues to list.
    const rounds = rows<{ round_start: number; issue_count: number }>(dbPath, 'SELECT round_start, issue_count FROM reminder_rounds ORDER BY round_start');
    const reminders = all.filter((t) => t.startsWith('⏰ Reminder'));
    expect(reminders.length).toBe(rounds.filter((r) => r.issue_count > 0).length);
    // At most one round in flight when alice acknowledged; none after it.
    expect(reminders.length - reminded).toBeLessThanOrEqual(1);
    expect(rows(dbPath, "SELECT dedup_key FROM notifications WHERE dedup_key LIKE 'reminder:%' GROUP BY dedup_key HAVING COUNT(*) > 1")).toEqual([]);
  });
});
