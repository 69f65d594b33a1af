import { spawn } from 'node:child_process';
import { mkdirSync, realpathSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Issue } from '../../src/model/issue.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

async function issueFor(name: string, context: string, chart = context): Promise<Issue> {
  const store = await openTempStore();
  const [r] = await store.tracker.ingest([{ server_id: 'test-server', name, context, chart, status: 'WARNING', value: 95, units: '%', source: 'netdata', occurred_at: Date.now() }]);
  return (await store.issues.get(r!.issue_id!))!;
}

function analyzer(overrides: Record<string, unknown>) {
  const config = defaultConfig({ opsagent: { serverId: 'test-server' }, netdata: { url: '' }, ...overrides });
  const settings = analyzerSettingsFrom(config, 'test-server');
  settings.gather.cpuSampleMs = 150;
  return new IssueAnalyzer(settings);
}

describe("stock Netdata alarms on this machine (the live machine view)", () => {
  it('disk_inode_usage: cleans the directory with the most files under a real cleanup root, not the one with the most bytes', async () => {
    const root = tempDir('opsagent-inodes-');
    mkdirSync(join(root, 'sessions'));
    mkdirSync(join(root, 'exports'));
    const old = (Date.now() - 30 * 86_400_000) / 1000;
    for (let i = 0; i < 300; i++) {
      const f = join(root, 'sessions', `sess_${i}`);
      writeFileSync(f, 'x');
      utimesSync(f, old, old);
    }
    for (let i = 0; i < 3; i++) {
      const f = join(root, 'exports', `dump-${i}.bin`);
      writeFileSync(f, Buffer.alloc(256 * 1024));
      utimesSync(f, old, old);
    }
    const result = await analyzer({ actions: { killProcess: { allowedPids: [process.pid] }, cleanupDisk: { roots: [root], olderThanDays: 7 } } }).analyse(await issueFor('disk_inode_usage', 'disk.inodes', 'disk_inodes._'));

    const sessions = join(realpathSync(root), 'sessions');
    expect(result.rule).toBe('inode-busiest-directory');
    expect(result.summary).toContain(`300 files in ${sessions}`);
    expect(result.proposedActions).toEqual([expect.objectContaining({ type: 'cleanup_disk', params: { path: sessions, olderThanDays: 7 } })]);
    expect(result.rejectedProposals).toEqual([]);
  });

  it('active_processes: names the parent of many real child processes', async () => {
    const dir = tempDir('opsagent-forks-');
    const script = join(dir, 'spawner.js');
    writeFileSync(
      script,
      "const { spawn } = require('node:child_process'); for (let i = 0; i < 60; i++) spawn('sleep', ['60'], { stdio: 'ignore' }); console.log('ready'); setInterval(() => {}, 1000);\n",
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    onTestFinished(() => {
      process.kill(-parent.pid!, 'SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('spawner did not start')), 10_000);
      parent.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const result = await analyzer({ actions: { killProcess: { allowedPids: [parent.pid!] }, cleanupDisk: { roots: [dir] } } }).analyse(await issueFor('active_processes', 'system.active_processes'));

    expect(result.rule).toBe('pids-forking-parent');
    expect(result.evidence.join('\n')).toContain(`Parent of 60 processes: 'node' PID ${parent.pid!}`);
  });

  it('oom_kill and systemd_service_unit_failed_state: say what could not be read instead of failing', async () => {
    const roots = { killProcess: { allowedPids: [process.pid] }, cleanupDisk: { roots: [tempDir()] } };
    const oom = await analyzer({ actions: roots }).analyse(await issueFor('oom_kill', 'mem.oom_kill'));
    expect(oom.rule).toBe('oom-kill');
    expect(oom.requiresHumanAttention).toBe(true);
    expect(oom.proposedActions.map((a) => a.type)).toContain('notify_human');

    const unit = await analyzer({ actions: roots }).analyse(await issueFor('systemd_service_unit_failed_state', 'systemd.service_unit_state', 'systemdunits_service-units.unit_opsagent-eval-none_service_state'));
    expect(unit.rule).toBe('systemd-service-failed');
    // Either systemd says the unit does not exist, or it cannot be asked here (no systemd): never a confident restart.
    expect(unit.requiresHumanAttention).toBe(true);
    expect(unit.evidence.join('\n')).toMatch(/systemd: opsagent-eval-none.service is not-found|systemctl could not tell the unit's state/);
  });
});
