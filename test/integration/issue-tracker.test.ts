import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../../src/main.js';
import type { AlertEvent } from '../../src/model/alert.js';
import { requireBackend, testedBackends } from '../helpers/backends.js';
import { openTempStore } from '../helpers/temp-store.js';

let clock = 1_700_000_000_000;
const firing = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 85, units: '%',
  source: 'opsagent', occurred_at: (clock += 1000), ...over,
});

describe('the libSQL adapter (through a file: URL)', () => {
  it('runs the same lifecycle and serializes concurrent writes', async () => {
    const store = await openTempStore({ driver: 'libsql' });
    expect(store.db.kind).toBe('libsql');
    await Promise.all(Array.from({ length: 20 }, () => store.tracker.ingest([firing({ server_id: 'lib' })])));
    const [issue] = await store.issues.list();
    expect(issue!.alert_count).toBe(20);
    const clear = await store.tracker.ingest([firing({ server_id: 'lib', status: 'CLEAR', occurred_at: (clock += 60_000) })]);
    expect(clear[0]!.outcome).toBe('resolved');
  });
});

describe.each(testedBackends())('on $label', (backend) => {
  requireBackend(backend);

  describe('issue tracker', () => {
    it('keeps an alert\'s labels on the issue and the latest annotations its firings carried', async () => {
      const store = await openTempStore({ backend: backend.name });
      const labels = { alertname: 'HighLoad', instance: 'web-1:9100', team: 'ops' };
      const [created] = await store.tracker.ingest([firing({ source: 'alertmanager', labels, annotations: { summary: 'load 4' } })]);
      await store.tracker.ingest([firing({ source: 'alertmanager', labels })]); // no annotations: the last set stays
      let issue = await store.issues.get(created!.issue_id!);
      expect(issue!.metadata).toMatchObject({ labels, annotations: { summary: 'load 4' } });
      await store.tracker.ingest([firing({ source: 'alertmanager', labels, annotations: { summary: 'load 9', runbook_url: 'https://rb/x' } })]);
      issue = await store.issues.get(created!.issue_id!);
      expect(issue!.alert_count).toBe(3);
      expect(issue!.metadata.annotations).toEqual({ summary: 'load 9', runbook_url: 'https://rb/x' });
    });

    it('groups 1,000 firings of one alert into one issue with alert_count 1000 and a bounded timeline', async () => {
      const store = await openTempStore({ backend: backend.name });
      const events = Array.from({ length: 1000 }, () => firing());
      for (let i = 0; i < events.length; i += 100) await store.tracker.ingest(events.slice(i, i + 100));
      const [issue, ...others] = await store.issues.list();
      expect(others).toHaveLength(0);
      expect(issue).toMatchObject({ alert_count: 1000, status: 'open', severity: 'warning', title: 'cpu_usage', source: 'opsagent' });
      const comments = await store.issues.comments(issue!.id);
      expect(comments[0]!.content).toBe('Alert first detected: cpu_usage = 85%');
      expect(comments[22]!.content).toBe('Alert fired again (#23): cpu_usage = 85%');
      expect(comments).toHaveLength(100 + 9); // 100 single firings, then one roll-up per 100
      expect(comments.at(-1)!.content).toMatch(/^Alert fired 100 more times \(#901–#1000\)/);
    });

    it('keeps the same alert on two servers as two issues', async () => {
      const store = await openTempStore({ backend: backend.name });
      await store.tracker.ingest([firing({ server_id: 'a' }), firing({ server_id: 'b' }), firing({ server_id: 'a' })]);
      const issues = await store.issues.list();
      expect(issues.map((i) => [i.server_id, i.alert_count]).sort()).toEqual([['a', 2], ['b', 1]]);
    });

    it('escalates, resolves, reopens within the window and records it all in order', async () => {
      const store = await openTempStore({ backend: backend.name });
      const [created] = await store.tracker.ingest([firing()]);
      await store.tracker.ingest([firing({ status: 'CRITICAL', value: 95 })]);
      await store.tracker.ingest([firing({ status: 'WARNING', value: 85 })]);
      let issue = await store.issues.get(created!.issue_id!);
      expect(issue!.severity).toBe('critical'); // never silently drops while open

      const clearAt = (clock += 1000);
      await store.tracker.ingest([firing({ status: 'CLEAR', value: 10, occurred_at: clearAt })]);
      issue = await store.issues.get(created!.issue_id!);
      expect(issue).toMatchObject({ status: 'resolved', resolved_at: clearAt });

      const [again] = await store.tracker.ingest([firing({ occurred_at: clearAt + 10 * 60_000 })]);
      expect(again).toMatchObject({ outcome: 'reopened', issue_id: created!.issue_id, status: 'open', alert_count: 4 });

      const comments = await store.issues.comments(created!.issue_id!);
      expect(comments.map((c) => [c.comment_type, c.content])).toEqual([
        ['alert_fired', 'Alert first detected: cpu_usage = 85%'],
        ['alert_fired', 'Alert fired again (#2): cpu_usage = 95%'],
        ['status_change', 'Severity escalated from warning to critical: cpu_usage = 95%'],
        ['alert_fired', 'Alert fired again (#3): cpu_usage = 85%'],
        ['status_change', 'Status changed to resolved: Alert condition cleared'],
        ['status_change', 'Status changed to open: Alert fired again 10 min after it was resolved (reopened)'],
        ['alert_fired', 'Alert fired again (#4): cpu_usage = 85%'],
      ]);
    });

    it('opens a new issue when the alert returns after the reopen window', async () => {
      const store = await openTempStore({ backend: backend.name });
      const first = firing();
      const clearAt = (clock += 1000);
      await store.tracker.ingest([first, firing({ status: 'CLEAR', occurred_at: clearAt })]);
      const [r] = await store.tracker.ingest([firing({ occurred_at: clearAt + 61 * 60_000 })]);
      expect(r!.outcome).toBe('created');
      expect(await store.issues.list({ statuses: ['open', 'resolved'] })).toHaveLength(2);
    });

    it('never reopens on an event older than the resolution, but still counts it', async () => {
      const store = await openTempStore({ backend: backend.name });
      const t = (clock += 10_000);
      await store.tracker.ingest([firing({ occurred_at: t }), firing({ status: 'CLEAR', occurred_at: t + 5000 })]);
      const [late] = await store.tracker.ingest([firing({ occurred_at: t + 2000 })]);
      expect(late).toMatchObject({ outcome: 'late', status: 'resolved', alert_count: 2 });
    });

    it('applies an event with the same event_key once, even across batches', async () => {
      const store = await openTempStore({ backend: backend.name });
      const e = firing({ event_key: 'nd:42' });
      const first = await store.tracker.ingest([e, { ...e }]);
      const second = await store.tracker.ingest([{ ...e }]);
      expect(first.map((r) => r.outcome)).toEqual(['created', 'duplicate']);
      expect(second[0]!.outcome).toBe('duplicate');
      expect((await store.issues.list())[0]!.alert_count).toBe(1);
    });

    it('marks an issue flapping after 5 resolve/reopen transitions in an hour', async () => {
      const store = await openTempStore({ backend: backend.name });
      const changes: string[] = [];
      store.tracker.afterCommit((cs) => cs.forEach((c) => c.flappingStarted && changes.push(c.kind)));
      for (let i = 0; i < 3; i++) {
        await store.tracker.ingest([firing()]);
        await store.tracker.ingest([firing({ status: 'CLEAR' })]);
      }
      const [issue] = await store.issues.list({ statuses: ['resolved'] });
      expect(issue!.metadata.flapping).toBe(true);
      expect(changes).toHaveLength(1);
    });

    it('commits concurrent callers together without reordering one issue\'s events', async () => {
      const store = await openTempStore({ backend: backend.name });
      const batches = Array.from({ length: 50 }, (_, i) =>
        store.tracker.ingest([firing({ status: i === 49 ? 'CRITICAL' : 'WARNING' }), firing({ server_id: `srv-${i % 5}` })]),
      );
      await Promise.all(batches);
      const issues = await store.issues.list({ limit: 100 });
      const main = issues.find((i) => i.server_id === 'web-1')!;
      expect(main).toMatchObject({ alert_count: 50, severity: 'critical' });
      expect(issues.filter((i) => i.server_id.startsWith('srv-')).reduce((n, i) => n + i.alert_count, 0)).toBe(50);
      const counts = (await store.issues.comments(main.id)).filter((c) => c.comment_type === 'alert_fired').map((c) => c.metadata!.count);
      expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('lets a human comment, change status, and refuses a second active issue for the same alert', async () => {
      const store = await openTempStore({ backend: backend.name });
      const [r] = await store.tracker.ingest([firing()]);
      await store.tracker.addComment(r!.issue_id!, { author_type: 'human', author_name: 'alice', comment_type: 'note', content: 'Human restarted api-server' });
      await store.tracker.setStatus(r!.issue_id!, 'resolved', { author: { type: 'human', name: 'alice' } });
      // a human resolution is stamped with the wall clock: the alert comes back two hours later
      const [second] = await store.tracker.ingest([firing({ occurred_at: Date.now() + 2 * 3_600_000 })]);
      expect(second!.outcome).toBe('created');
      await expect(store.tracker.setStatus(r!.issue_id!, 'open', { author: { type: 'human', name: 'alice' } })).rejects.toThrow(/another issue is already active/);
      const notes = (await store.issues.comments(r!.issue_id!)).filter((c) => c.author_type === 'human');
      expect(notes.map((c) => c.content)).toEqual(['Human restarted api-server', 'Status changed to resolved: set by alice']);
    });

    it('archives issues resolved more than N days ago as closed', async () => {
      const store = await openTempStore({ backend: backend.name });
      const old = Date.now() - 40 * 86_400_000;
      await store.tracker.ingest([firing({ occurred_at: old }), firing({ status: 'CLEAR', occurred_at: old + 1000 })]);
      await store.tracker.ingest([firing({ server_id: 'fresh', occurred_at: Date.now() - 1000 }), firing({ server_id: 'fresh', status: 'CLEAR', occurred_at: Date.now() })]);
      expect(await store.tracker.archive(30)).toBe(1);
      expect((await store.issues.list({ statuses: ['closed'] })).map((i) => i.server_id)).toEqual(['web-1']);
    });

    it('resolves unique id prefixes and lists candidates when ambiguous', async () => {
      const store = await openTempStore({ backend: backend.name });
      const [a] = await store.tracker.ingest([firing({ server_id: 'x' })]);
      await store.tracker.ingest([firing({ server_id: 'y' })]);
      expect(await store.issues.resolveId(a!.issue_id!)).toBe(a!.issue_id);
      expect(await store.issues.resolveId(a!.issue_id!.slice(0, -2))).toBe(a!.issue_id);
      await expect(store.issues.resolveId('issue-')).rejects.toThrow(/ambiguous; it matches 2 issues/);
      await expect(store.issues.resolveId('issue-nope')).rejects.toThrow(/no issue with id/);
    });
  });

  describe('group commit', () => {
    it('takes every caller, including those arriving just as a flush ends', async () => {
      const store = await openTempStore({ backend: backend.name });
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 100 }, () => store.tracker.ingest([firing({ server_id: 'gc' })])));
      }
      expect((await store.issues.list())[0]!.alert_count).toBe(500);
    });

    it('adds up firings of one issue within a group exactly, around an escalation, a clear and a reopen', async () => {
      const store = await openTempStore({ backend: backend.name });
      const t0 = Date.now() - 60_000;
      const at = (i: number, status: AlertEvent['status'] = 'WARNING') => firing({ server_id: 'agg', status, occurred_at: t0 + i * 1000 });
      await store.tracker.ingest([at(1)]); // created and cached
      const results = await Promise.all([
        store.tracker.ingest([at(2)]),
        store.tracker.ingest([at(3), at(4)]),
        store.tracker.ingest([at(5, 'CRITICAL')]),
        store.tracker.ingest([at(6)]),
        store.tracker.ingest([at(7, 'CLEAR')]),
        store.tracker.ingest([at(8)]),
        store.tracker.ingest([at(9), at(10)]),
      ]);
      expect(results.flat().map((r) => [r.outcome, r.alert_count])).toEqual([
        ['fired', 2], ['fired', 3], ['fired', 4], ['escalated', 5], ['fired', 6], ['resolved', 6], ['reopened', 7], ['fired', 8], ['fired', 9],
      ]);
      const issue = await store.issues.get(results[0]![0]!.issue_id!);
      expect(issue).toMatchObject({ status: 'open', severity: 'critical', alert_count: 9, last_seen_at: t0 + 10_000 });
      const fired = (await store.issues.comments(issue!.id)).filter((c) => c.comment_type === 'alert_fired').map((c) => c.metadata?.count);
      expect(fired).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('refuses only the caller that fails, and runs after-commit callbacks only for what was committed', async () => {
      const store = await openTempStore({ backend: backend.name });
      const announced: string[] = [];
      store.tracker.onChanges(async (_tx, changes) => () => announced.push(...changes.map((c) => c.issue.server_id)));
      const ok1 = store.tracker.ingest([firing({ server_id: 'g1' })]);
      const bad = store.tracker.ingest([firing({ server_id: 'g2' })], {
        inTransaction: async (tx) => {
          await tx.run("INSERT INTO source_cursors (source_id, cursor, updated_at) VALUES ('bad', 'x', 0)");
          throw new Error('the cursor step failed');
        },
      });
      const ok2 = store.tracker.ingest([firing({ server_id: 'g3' }), firing({ server_id: 'g3' })]);
      const settled = await Promise.allSettled([ok1, bad, ok2]);
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((settled[1] as PromiseRejectedResult).reason)).toContain('the cursor step failed');
      const issues = await store.issues.list();
      expect(issues.map((i) => [i.server_id, i.alert_count]).sort()).toEqual([['g1', 1], ['g3', 2]]);
      expect(await store.db.get("SELECT cursor FROM source_cursors WHERE source_id = 'bad'")).toBeUndefined();
      expect(announced.sort()).toEqual(['g1', 'g3', 'g3']);
      // The cache was dropped with the rolled-back attempt: the next firings still count from the database.
      const [next] = await store.tracker.ingest([firing({ server_id: 'g3' })]);
      expect(next).toMatchObject({ outcome: 'fired', alert_count: 3 });
    });
  });

  describe('two trackers on one database (two agents or processes)', () => {
    it('never counts a firing on an issue the other resolved, and reads escalations from the database', async () => {
      const a = await openTempStore({ backend: backend.name });
      const b = await openStore(a.config, { dbUrl: a.url });
      onTestFinished(() => b.db.close());
      const t0 = Date.now() - 60_000;
      const [created] = await a.tracker.ingest([firing({ server_id: 'shared', occurred_at: t0 })]);
      await a.tracker.ingest([firing({ server_id: 'shared', occurred_at: t0 + 1000 })]); // a now knows the issue as active
      await b.tracker.ingest([firing({ server_id: 'shared', status: 'CRITICAL', occurred_at: t0 + 2000 })]);
      await b.tracker.ingest([firing({ server_id: 'shared', status: 'CLEAR', occurred_at: t0 + 3000 })]);
      const [again] = await a.tracker.ingest([firing({ server_id: 'shared', occurred_at: t0 + 4000 })]);
      expect(again).toMatchObject({ outcome: 'reopened', issue_id: created!.issue_id, alert_count: 4 });
      const [more] = await a.tracker.ingest([firing({ server_id: 'shared', status: 'CRITICAL', occurred_at: t0 + 5000 })]);
      expect(more).toMatchObject({ outcome: 'fired', alert_count: 5 }); // already critical: no second escalation
      expect(await a.issues.get(created!.issue_id!)).toMatchObject({ status: 'open', severity: 'critical', alert_count: 5 });
    });

    it('reports exact counts when the other tracker counted firings of an issue both know as active', async () => {
      const a = await openTempStore({ backend: backend.name });
      const b = await openStore(a.config, { dbUrl: a.url });
      onTestFinished(() => b.db.close());
      const t0 = Date.now() - 60_000;
      const at = (i: number) => firing({ server_id: 'shared', occurred_at: t0 + i * 1000 });
      await a.tracker.ingest([at(0), at(1)]); // a caches the active issue with count 2
      await b.tracker.ingest([at(2)]); // b reads it from the database, then caches it too
      await b.tracker.ingest([at(3), at(4)]);
      const [fromA] = await a.tracker.ingest([at(5)]); // a's cached count (2) is stale: 6 is only right if a reads back
      expect(fromA).toMatchObject({ outcome: 'fired', alert_count: 6 });
      const [nextA] = await a.tracker.ingest([at(6)]); // nobody else wrote since: the cache is exact again
      expect(nextA).toMatchObject({ alert_count: 7 });
      const [fromB] = await b.tracker.ingest([at(7)]);
      expect(fromB).toMatchObject({ alert_count: 8 });
      const issue = await a.issues.get(fromA!.issue_id!);
      expect(issue).toMatchObject({ alert_count: 8, last_seen_at: t0 + 7000 });
      const fired = (await a.issues.comments(issue!.id)).filter((c) => c.comment_type === 'alert_fired').map((c) => c.metadata?.count);
      expect(fired).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // one comment per firing, numbered without gaps or repeats
    });
  });
});
