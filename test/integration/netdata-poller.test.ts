import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { NetdataPoller } from '../../src/sources/netdata-poller.js';
import type { Issue } from '../../src/model/issue.js';
import { NETDATA_MISSING, netdataBinary, startNetdata, type TestNetdata } from '../helpers/netdata.js';
import { openTempStore } from '../helpers/temp-store.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

/** Real isolated Netdata 1.37 (test/fixtures/netdata), polled every 300 ms. */

const available = netdataBinary() !== undefined;
if (!available) console.warn(NETDATA_MISSING);

const CPU = { metric: 'opsagent_test.cpu_usage', alarm: 'opsagent_test_cpu_usage' };
const DISK = { metric: 'opsagent_test.disk_usage', alarm: 'opsagent_test_disk_usage' };
const SERVER = 'nd-test';

type TempStore = Awaited<ReturnType<typeof openTempStore>>;

function poller(nd: TestNetdata, store: TempStore, serverId = SERVER): NetdataPoller {
  const p = new NetdataPoller({
    url: nd.url,
    serverId,
    pollIntervalMs: 300,
    timeoutMs: 2_000,
    maxBackoffMs: 600,
    tracker: store.tracker,
    cursors: store.issues,
    logger: silentLogger(),
  });
  onTestFinished(() => p.stop());
  return p;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 6_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function issueOf(store: TempStore, name: string, pred: (i: Issue) => boolean): Promise<Issue> {
  return until(`${name} issue`, async () => {
    const all = await store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] });
    return all.find((i) => i.title === name && pred(i));
  });
}

describe.skipIf(skipWithout(available))('Netdata poller against a real Netdata', () => {
  requirePeerForAll(available, NETDATA_MISSING);
  it('turns two alarms into two issues, escalates, resolves on CLEAR and reopens on a re-raise', async () => {
    const nd = await startNetdata();
    const store = await openTempStore();
    const p = poller(nd, store);
    p.start();

    await Promise.all([nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING'), nd.raise(DISK.metric, DISK.alarm, 85, 'WARNING')]);
    const cpu = await issueOf(store, CPU.alarm, (i) => i.status === 'open');
    const disk = await issueOf(store, DISK.alarm, (i) => i.status === 'open');
    expect(cpu.id).not.toBe(disk.id);
    expect(cpu).toMatchObject({ server_id: SERVER, severity: 'warning', source: 'netdata', alert_count: 1 });
    // context comes from the alarm log (the seed's fingerprint of name:context:chart)
    expect(cpu.alert_fingerprint).toBe('5dbd228694367e77');
    expect(disk.alert_fingerprint).toBe('1cd87623bf7b1534');

    await nd.raise(CPU.metric, CPU.alarm, 95, 'CRITICAL');
    const escalated = await issueOf(store, CPU.alarm, (i) => i.severity === 'critical');
    expect(escalated).toMatchObject({ id: cpu.id, status: 'open', alert_count: 2 });

    await nd.raise(CPU.metric, CPU.alarm, 10, 'CLEAR');
    const resolved = await issueOf(store, CPU.alarm, (i) => i.status === 'resolved');
    expect(resolved.id).toBe(cpu.id);
    expect(resolved.resolved_at).not.toBeNull();

    await nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING');
    const reopened = await issueOf(store, CPU.alarm, (i) => i.status === 'open');
    expect(reopened).toMatchObject({ id: cpu.id, alert_count: 3 });
    expect(reopened.metadata.reopen_count).toBe(1);
    expect((await store.issues.list({ statuses: ['open', 'resolved'] })).length).toBe(2);
    expect(p.health()).toMatchObject({ state: 'ok', server_id: SERVER, generation: 1 });
  });

  it('bootstraps raised alarms and, stopped and restarted mid-stream, neither repeats nor misses a transition', async () => {
    const nd = await startNetdata();
    const store = await openTempStore();
    await nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING'); // raised before the agent ever looked

    const first = poller(nd, store);
    first.start();
    const boot = await issueOf(store, CPU.alarm, () => true);
    expect(boot).toMatchObject({ status: 'open', severity: 'warning', alert_count: 1, alert_fingerprint: '5dbd228694367e77' });
    await first.stop();

    // transitions while nobody polls
    await nd.raise(CPU.metric, CPU.alarm, 95, 'CRITICAL');
    await nd.raise(DISK.metric, DISK.alarm, 95, 'CRITICAL');

    const second = poller(nd, store);
    second.start();
    await issueOf(store, DISK.alarm, () => true);
    const cpu = await issueOf(store, CPU.alarm, (i) => i.severity === 'critical');
    expect(cpu).toMatchObject({ id: boot.id, alert_count: 2 });
    await second.stop();

    // a third start on the same cursor: nothing new, nothing counted twice
    const third = poller(nd, store);
    await third.pollOnce();
    await third.pollOnce();
    expect(third.health()).toMatchObject({ state: 'ok', events_ingested: 0 });
    const after = await store.issues.get(boot.id);
    expect(after?.alert_count).toBe(2);
    const comments = await store.issues.comments(boot.id);
    expect(comments.filter((c) => c.comment_type === 'alert_fired')).toHaveLength(2);
  });

  it('recovers from a Netdata restarted on a fresh state, and continues across a restart that kept its state', async () => {
    const nd = await startNetdata();
    const store = await openTempStore();
    const p = poller(nd, store);
    p.start();
    await nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING');
    const cpu = await issueOf(store, CPU.alarm, (i) => i.status === 'open');

    await nd.restart({ keepState: true }); // same log and ids
    await nd.raise(DISK.metric, DISK.alarm, 85, 'WARNING');
    await issueOf(store, DISK.alarm, (i) => i.status === 'open');
    await until('a poll after the restart', async () => (p.health().state === 'ok' ? true : undefined));
    expect(p.health().generation).toBe(1);

    await nd.restart({ keepState: false }); // alarm log and ids wiped
    await until('the re-bootstrap', async () => (p.health().generation === 2 ? true : undefined), 10_000);
    await nd.raise(CPU.metric, CPU.alarm, 10, 'CLEAR');
    const resolved = await issueOf(store, CPU.alarm, (i) => i.status === 'resolved');
    expect(resolved.id).toBe(cpu.id);
    await nd.raise(CPU.metric, CPU.alarm, 95, 'CRITICAL');
    const reopened = await issueOf(store, CPU.alarm, (i) => i.status === 'open' && i.severity === 'critical');
    expect(reopened.id).toBe(cpu.id);
    expect(p.health()).toMatchObject({ state: 'ok', generation: 2 });
  });

  it('reports an unreachable Netdata in its health, never throws, and comes back when it answers', async () => {
    const nd = await startNetdata();
    const store = await openTempStore();
    const p = poller(nd, store);
    await p.pollOnce();
    expect(p.health().state).toBe('ok');
    await nd.stop();
    await p.pollOnce();
    expect(p.health()).toMatchObject({ state: 'unreachable', consecutive_failures: 1 });
    expect(String(p.health().error)).toContain(`Netdata at ${nd.url} is unreachable`);
    await nd.restart({ keepState: true });
    await p.pollOnce();
    expect(p.health()).toMatchObject({ state: 'ok', consecutive_failures: 0 });
  });
});
