import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { NETDATA_MISSING, netdataBinary, startNetdata, type TestNetdata } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { checkAccounting, dbFacts, requestPlanner, rng, SEED, send, sleep, until, workers } from './support.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

const available = netdataBinary() !== undefined;
if (!available) console.warn(NETDATA_MISSING);

const CPU = { metric: 'opsagent_test.cpu_usage', alarm: 'opsagent_test_cpu_usage' };
const DISK = { metric: 'opsagent_test.disk_usage', alarm: 'opsagent_test_disk_usage' };

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** PIDs whose parent chain leads to `root` (read from /proc), with their command lines. */
function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid === pid && !found.has(child)) {
        found.set(child, cmdline(child) ?? '');
        walk(child);
      }
    }
  };
  walk(root);
  return found;
}

/** kill -9 of our Netdata, then its leftover children (only those we recorded, still running the same command). */
async function killNetdata(nd: TestNetdata): Promise<void> {
  const pid = nd.pid();
  expect(cmdline(pid)).toContain(nd.dir);
  const kids = descendants(pid);
  process.kill(pid, 'SIGKILL');
  await until('netdata to die', () => cmdline(pid) === undefined || undefined, 5_000);
  await sleep(300);
  for (const [kid, cmd] of kids) if (cmd && cmdline(kid) === cmd) process.kill(kid, 'SIGKILL');
}

describe.skipIf(skipWithout(available))('Netdata killed and restarted mid-storm', () => {
  requirePeerForAll(available, NETDATA_MISSING);
  it('the poller recovers after a kill -9 (state kept) and a fresh restart, and counts each transition once', async () => {
    const started = Date.now();
    const nd = await startNetdata();
    const dir = tempDir('opsagent-fault-nd-');
    const dbPath = join(dir, 'opsagent.db');
    const config = defaultConfig({
      netdata: { url: nd.url, pollInterval: 0.2, timeoutMs: 1_000 },
      opsagent: { serverId: 'nd-fault' },
      server: { host: '127.0.0.1', port: 0 },
      analysis: { enabled: false },
      discord: { enabled: false },
    });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${dbPath}`, home: dir });
    onTestFinished(() => agent.stop());
    const pollerName = `netdata:${nd.url}`;
    const pollerHealth = async () => ((await (await fetch(`${agent.url}/healthz`)).json()) as { sources: Record<string, { state: string; generation?: number }> }).sources[pollerName];

    // an HTTP storm runs during the whole scenario
    const random = rng(SEED + 2);
    const next = requestPlanner('nd', random, { names: 8 });
    const planned = new Map<string, boolean>();
    const acked = new Set<string>();
    const refused: string[] = [];
    let stormOver = false;
    const storm = workers(4, async () => {
      while (!stormOver) {
        const req = next();
        for (const [source, key, firing] of req.keys) planned.set(`${source}|${key}`, firing);
        const r = await send(agent.url, req);
        if (r.ok) for (const [source, key] of req.keys) acked.add(`${source}|${key}`);
        else refused.push(String(r.status));
      }
    });

    const cpuIssue = async () => (await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] })).filter((i) => i.title === CPU.alarm);
    const diskIssue = async () => (await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] })).filter((i) => i.title === DISK.alarm);

    await nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING');
    const [cpu] = await until('the CPU issue', async () => ((await cpuIssue()).length === 1 ? cpuIssue() : undefined));

    // 1: kill -9, a poll or two fail, restart on the kept state, new transitions arrive
    await killNetdata(nd);
    await until('the poller to notice', async () => (await pollerHealth())?.state === 'unreachable' || undefined, 10_000);
    await nd.restart({ keepState: true });
    await nd.raise(CPU.metric, CPU.alarm, 95, 'CRITICAL');
    await nd.raise(DISK.metric, DISK.alarm, 85, 'WARNING');
    await until('the escalation and the disk issue', async () => ((await cpuIssue())[0]?.severity === 'critical' && (await diskIssue()).length === 1) || undefined, 15_000);

    // 2: restarted on a fresh state (alarm log and ids wiped): the poller re-bootstraps, nothing counted twice
    await nd.restart({ keepState: false });
    await until('the re-bootstrap', async () => ((await pollerHealth())?.generation ?? 0) >= 2 || undefined, 15_000);
    await nd.raise(CPU.metric, CPU.alarm, 10, 'CLEAR');
    await until('the resolution', async () => (await cpuIssue())[0]?.status === 'resolved' || undefined, 15_000);
    await nd.raise(CPU.metric, CPU.alarm, 85, 'WARNING');
    await until('the reopen', async () => (await cpuIssue())[0]?.status === 'open' || undefined, 15_000);
    await sleep(1_000); // a few more polls: a double count would show now
    stormOver = true;
    await storm;

    const [cpuAfter] = await cpuIssue();
    const [diskAfter] = await diskIssue();
    expect(await cpuIssue()).toHaveLength(1);
    expect(await diskIssue()).toHaveLength(1);
    expect(cpuAfter).toMatchObject({ id: cpu!.id, status: 'open', alert_count: 3, severity: 'critical' }); // WARNING, CRITICAL, (CLEAR), WARNING
    expect(diskAfter).toMatchObject({ alert_count: 1 });
    expect(refused).toEqual([]);
    const pollerState = await pollerHealth();
    expect(pollerState).toMatchObject({ state: 'ok' });

    await agent.stop();
    const facts = dbFacts(dbPath);
    const accounting = checkAccounting(facts, acked, planned);
    expect(facts.integrity).toBe('ok');
    expect(accounting.lost).toEqual([]);
    // netdata's own keys are not in the client's plan; everything else must be
    expect(accounting.unknown.every((k) => k.startsWith('netdata|'))).toBe(true);
    expect(accounting.miscounted.filter((m) => !m.startsWith(cpu!.id) && !m.startsWith(diskAfter!.id))).toEqual([]);
    expect(facts.activeDuplicates).toBe(0);

    recordPart({
      part: 'fault-netdata',
      title: 'Netdata killed (-9) and restarted with its state, then restarted fresh, during an HTTP storm',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        seed: SEED + 2,
        netdataOutages: 2,
        pollerGenerations: pollerState?.generation ?? 0,
        netdataTransitions: 4,
        cpuIssueAlertCount: cpuAfter!.alert_count ?? 0,
        httpEventsAcknowledgedMeanwhile: acked.size,
        acknowledgedEventsLost: accounting.lost.length,
        integrityCheck: facts.integrity,
      },
    });
  });
});
