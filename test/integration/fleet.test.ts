import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { runCli } from '../helpers/cli.js';
import { requirePeer, requirePeerForAll, skipWithout } from '../helpers/peers.js';
import { NETDATA_MISSING, netdataBinary, startNetdata } from '../helpers/netdata.js';
import { SQLD_MISSING, sqldBinary, startSqld } from '../helpers/sqld.js';
import { tempDir } from '../helpers/temp-store.js';

const available = sqldBinary() !== undefined;

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A fleet as users run it: two daemons, each with its own server id and home, sharing one real sqld database. Each
 * gets its own machine's alerts over its HTTP ingest (standing in for its own Netdata).
 */
describe.skipIf(skipWithout(available))('a fleet: two daemons on one sqld database', () => {
  requirePeerForAll(available, SQLD_MISSING);

  it('keeps exact counts per server, analyses each issue once and on its own server, and shows every server', async () => {
    const sqld = await startSqld();
    onTestFinished(() => sqld.stop());
    const agents: RunningAgent[] = [];
    for (const serverId of ['fleet-a', 'fleet-b']) {
      const home = tempDir();
      const config = defaultConfig({
        opsagent: { serverId },
        netdata: { url: '' },
        server: { host: '127.0.0.1', port: 0 },
        database: { url: sqld.url, authToken: sqld.token },
      });
      const agent = await startAgent(config, createLogger({ level: 'silent', pretty: false }), { home });
      onTestFinished(() => agent.stop());
      agents.push(agent);
    }
    const post = (agent: RunningAgent, body: unknown) =>
      fetch(`${agent.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const t0 = Date.now() - 60_000;
    const sends: Promise<Response>[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [k, agent] of agents.entries()) {
        const server_id = k === 0 ? 'fleet-a' : 'fleet-b';
        sends.push(post(agent, { server_id, name: `load_${i % 3}`, status: 'WARNING', value: 90, occurred_at: t0 + i * 100, event_id: `${server_id}-${i}` }));
      }
    }
    const answers = await Promise.all(sends);
    expect(answers.map((r) => r.status).every((s) => s === 202)).toBe(true);

    // Exact counts per server, whichever daemon reads them.
    const { issues, counts, servers } = (await (await fetch(`${agents[1]!.url}/api/v1/issues?limit=50`)).json()) as {
      issues: { id: string; server_id: string; alert_count: number }[];
      counts: Record<string, number>;
      servers: { server_id: string; open: number; investigating: number }[];
    };
    // every server with its counts (what the dashboard shows as server links above the list)
    expect(servers.map((s) => [s.server_id, s.open + s.investigating])).toEqual([['fleet-a', 3], ['fleet-b', 3]]);
    const perServer = (id: string) => issues.filter((i) => i.server_id === id).map((i) => i.alert_count).sort();
    expect(perServer('fleet-a')).toEqual([13, 13, 14]);
    expect(perServer('fleet-b')).toEqual([13, 13, 14]);
    expect((counts.open ?? 0) + (counts.investigating ?? 0)).toBe(6); // an agent moves an issue to investigating while it analyses
    const onlyB = (await (await fetch(`${agents[0]!.url}/api/v1/issues?server=fleet-b`)).json()) as { issues: { server_id: string }[] };
    expect(onlyB.issues.map((i) => i.server_id)).toEqual(['fleet-b', 'fleet-b', 'fleet-b']);

    // One analysis per issue, claimed by the agent of the issue's own server (the other may take it only after 2 min).
    const db = agents[0]!.store.db;
    await until('every analysis', async () => Number((await db.get(`SELECT COUNT(*) AS n FROM analysis_jobs WHERE status = 'done'`))!.n) === 6);
    const jobs = await db.all('SELECT j.issue_id, j.claimed_by, i.server_id FROM analysis_jobs j JOIN issues i ON i.id = j.issue_id');
    expect(jobs).toHaveLength(6);
    for (const job of jobs) expect(job.claimed_by).toBe(job.server_id);
    const analyses = await db.all(`SELECT issue_id, COUNT(*) AS n FROM issue_comments WHERE comment_type = 'analysis' GROUP BY issue_id`);
    expect(analyses.map((r) => Number(r.n))).toEqual([1, 1, 1, 1, 1, 1]);

    // /healthz of each names the one database (without its token) and its latency.
    for (const agent of agents) {
      const health = (await (await fetch(`${agent.url}/healthz`)).json()) as { store: { ok: boolean; location: string; latency_ms: number } };
      expect(health.store).toMatchObject({ ok: true, location: sqld.url, latency_ms: expect.any(Number) });
      expect(JSON.stringify(health)).not.toContain(sqld.token);
    }

    // The CLI on any machine of the fleet sees every server, with a filter.
    const env = { TURSO_AUTH_TOKEN: sqld.token, OPSAGENT_HOME: tempDir() };
    const list = await runCli(['issues-list', '--db', sqld.url], { env });
    expect(list.stdout).toContain('servers (--server <id> to filter): fleet-a 3 active / 0 resolved · fleet-b 3 active / 0 resolved');
  }, 60_000);

  it.skipIf(skipWithout(netdataBinary() !== undefined))('polls each agent\'s own real Netdata into one database, each issue under its own server', async () => {
    requirePeer(netdataBinary() !== undefined, NETDATA_MISSING);
    const sqld = await startSqld();
    onTestFinished(() => sqld.stop());
    const agents: RunningAgent[] = [];
    const netdatas = [];
    for (const serverId of ['nd-a', 'nd-b']) {
      const nd = await startNetdata();
      onTestFinished(() => nd.stop());
      netdatas.push(nd);
      const config = defaultConfig({
        opsagent: { serverId },
        netdata: { url: nd.url, pollInterval: 0.3 },
        server: { host: '127.0.0.1', port: 0 },
        database: { url: sqld.url, authToken: sqld.token },
        analysis: { enabled: false },
      });
      const agent = await startAgent(config, createLogger({ level: 'silent', pretty: false }), { home: tempDir() });
      onTestFinished(() => agent.stop());
      agents.push(agent);
    }
    await netdatas[0]!.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 95, 'CRITICAL');
    await netdatas[1]!.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 96, 'CRITICAL');
    const db = agents[0]!.store.db;
    await until('both Netdata alarms', async () => (await db.all(`SELECT id FROM issues WHERE title = 'opsagent_test_cpu_usage'`)).length === 2);
    const rows = await db.all(`SELECT server_id, alert_count, severity FROM issues WHERE title = 'opsagent_test_cpu_usage' ORDER BY server_id`);
    expect(rows).toEqual([
      { server_id: 'nd-a', alert_count: 1, severity: 'critical' },
      { server_id: 'nd-b', alert_count: 1, severity: 'critical' },
    ]);
  }, 90_000);
});
