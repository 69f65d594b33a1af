import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal, type ValidProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { openStore, startAgent } from '../../src/main.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { runCli } from '../helpers/cli.js';
import { steeringHeaders } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';

function proposal(type: string, params: unknown): ValidProposal {
  const check = validateProposal({ type, params, reason: 'test' });
  if (!check.ok) throw new Error(check.reason);
  return check.proposal;
}

describe('actions over HTTP and the CLI', () => {
  it('lists, approves (once) and rejects actions over HTTP; the approved kill really happens', async () => {
    const dir = tempDir();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise((resolve) => child.once('exit', (_c, s) => resolve(s)));
    const config = defaultConfig({
      netdata: { url: '' },
      server: { port: 0 },
      opsagent: { serverId: 'api-host', permissionLevel: 'limited', autoRemediate: false },
      analysis: { enabled: false },
      actions: { killProcess: { allowedPids: [child.pid], graceMs: 1_000 }, cleanupDisk: { roots: [dir] }, scanIntervalSeconds: 60 },
    });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
    onTestFinished(() => agent.stop());
    // approve and reject steer the agent: even on loopback they present the local token the daemon wrote
    const api = (path: string, init?: RequestInit) => fetch(`${agent.url}${path}`, { ...init, headers: steeringHeaders(agent) });

    const ingest = await api('/api/v1/alerts', { method: 'POST', body: JSON.stringify({ name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99 }) });
    const { results } = (await ingest.json()) as { results: { issue_id: string }[] };
    const issue = (await agent.store.issues.get(results[0]!.issue_id))!;
    const [kill, cleanup] = await agent.remediation.handleProposals(issue, [proposal('kill_process', { pid: child.pid, name: 'sleep' }), proposal('cleanup_disk', { path: dir })], null);

    const pending = (await (await api('/api/v1/actions?status=pending')).json()) as { actions: { id: string; params_hash: string }[] };
    expect(pending.actions.map((a) => a.id).sort()).toEqual([kill!.id, cleanup!.id].sort());
    expect((await api('/api/v1/actions?status=bogus')).status).toBe(400);

    const wrongHash = await api(`/api/v1/actions/${kill!.id}/approve`, { method: 'POST', body: JSON.stringify({ by: 'alice', params_hash: '0000000000000000' }) });
    expect(wrongHash.status).toBe(409);
    const approved = await api(`/api/v1/actions/${kill!.id}/approve`, { method: 'POST', body: JSON.stringify({ by: 'alice', params_hash: kill!.params_hash }) });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ id: kill!.id, status: 'succeeded', decided_by: 'alice', success: true });
    expect(await exited).toBe('SIGTERM');
    const again = await api(`/api/v1/actions/${kill!.id}/approve`, { method: 'POST', body: JSON.stringify({ by: 'bob' }) });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'CONFLICT' });

    const rejected = await api(`/api/v1/actions/${cleanup!.id}/reject`, { method: 'POST', body: JSON.stringify({ by: 'bob', reason: 'not now' }) });
    expect(await rejected.json()).toMatchObject({ status: 'rejected', decided_by: 'bob' });
    expect((await api('/api/v1/actions/act-nope/approve', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await api(`/api/v1/actions/${cleanup!.id}/reject`, { method: 'POST', body: JSON.stringify({ by: 7 }) })).status).toBe(400);

    const detail = await agent.store.issueActions!(issue.id);
    expect(detail.map((a) => a.status)).toEqual(['succeeded', 'rejected']);
  });

  it('approves and rejects from the CLI; the running agent executes what the CLI approved', async () => {
    const dir = tempDir();
    const db = join(dir, 'cli.db');
    const configFile = join(dir, 'netdata.yaml');
    writeFileSync(configFile, 'opsagent:\n  serverId: "cli-host"\n  permissionLevel: limited\nanalysis:\n  enabled: false\nactions:\n  clearCache:\n    command: ["true"]\n');
    const cli = (args: string[]) => runCli(['--config', configFile, '--db', db, ...args]);
    const config = defaultConfig({ opsagent: { serverId: 'cli-host', permissionLevel: 'limited' }, analysis: { enabled: false }, actions: { clearCache: { command: ['true'] } } });
    const store = await openStore(config, { dbUrl: `file:${db}` });
    onTestFinished(() => store.db.close());
    const [r] = await store.tracker.ingest([{ server_id: 'cli-host', name: 'ram_usage', context: 'mem', chart: 'mem', status: 'WARNING', source: 'opsagent', occurred_at: Date.now() }]);
    const issue = (await store.issues.get(r!.issue_id!))!;
    const remediation = new Remediation({ ...store, config, logger: silentLogger() });
    const [a, b] = await remediation.handleProposals(issue, [proposal('clear_cache', {}), proposal('log_analysis', { minutes: 5 })], null);

    const list = await cli(['actions-list', '--status', 'pending', '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id).sort()).toEqual([a!.id, b!.id].sort());
    const text = await cli(['actions-list']);
    expect(text.stdout).toMatch(/pending_approval\s+clear_cache/);

    const approve = await cli(['actions-approve', a!.id.slice(0, -2), '--by', 'alice', '--wait', '0']);
    expect(approve).toMatchObject({ code: 0, stderr: '' });
    expect(approve.stdout).toContain('approved by alice; the running agent');
    expect(await store.actions.get(a!.id)).toMatchObject({ status: 'approved', decided_by: 'alice' });
    expect(await remediation.runApproved()).toBe(1);
    expect(await store.actions.get(a!.id)).toMatchObject({ status: 'succeeded', success: true });

    const reject = await cli(['actions-reject', b!.id, '--by', 'bob', '--reason', 'noise']);
    expect(reject.stdout).toBe(`${b!.id} rejected by bob: noise\n`);
    const twice = await cli(['actions-approve', b!.id, '--wait', '0']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^opsagent: action act-\S+ is rejected, not pending approval/);
    const show = await cli(['issues-show', issue.id]);
    // Both actions were proposed in the same millisecond, so their order in the section is not fixed.
    const actionsSection = show.stdout.split('Actions:\n')[1]?.split('\n\n')[0] ?? '';
    expect(actionsSection).toMatch(/clear_cache\s+succeeded by alice/);
    expect(actionsSection).toMatch(/log_analysis\s+rejected by bob/);
    const stats = await cli(['issues-stats']);
    expect(stats.stdout).toMatch(/clear_cache\s+1\s+1\s+0\s+100%/);
  });
});
