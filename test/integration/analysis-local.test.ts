import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, realpathSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Issue } from '../../src/model/issue.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

/** Starts a node child running `code`, resolved once it printed "ready"; killed when the test finishes. */
async function child(code: string): Promise<ChildProcess & { pid: number }> {
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    proc.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not start')), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('error', reject);
  });
  return proc as ChildProcess & { pid: number };
}

async function issueFor(store: Awaited<ReturnType<typeof openTempStore>>, name: string, context: string): Promise<Issue> {
  const [r] = await store.tracker.ingest([{ server_id: 'test-server', name, context, chart: context, status: 'WARNING', value: 97, units: '%', source: 'opsagent', occurred_at: Date.now() }]);
  return (await store.issues.get(r!.issue_id!))!;
}

function analyzer(overrides: Record<string, unknown>) {
  const config = defaultConfig({ opsagent: { serverId: 'test-server' }, netdata: { url: '' }, ...overrides });
  return new IssueAnalyzer(analyzerSettingsFrom(config, 'test-server'));
}

describe('local analyser on this machine', () => {
  it('names a CPU-burning child process with its PID and proposes killing it', async () => {
    const burner = await child("process.title = 'opsburn'; console.log('ready'); for (;;) {}");
    const store = await openTempStore();
    const issue = await issueFor(store, '10min_cpu_usage', 'system.cpu');
    const result = await analyzer({ actions: { killProcess: { allowedPids: [burner.pid] }, cleanupDisk: { roots: [tempDir()] } } }).analyse(issue);

    expect(result.analyzer).toBe('local');
    expect(result.summary).toContain(`'opsburn' (PID ${burner.pid})`);
    expect(result.proposedActions).toEqual([
      expect.objectContaining({ type: 'kill_process', risk: 'medium', params: expect.objectContaining({ pid: burner.pid, name: 'opsburn', startTime: expect.any(Number) }) }),
    ]);
    expect(result.rejectedProposals).toEqual([]);
    expect(result.canAutoRemediate).toBe(true);
  });

  it('names a memory-hungry child process', async () => {
    const hog = await child("process.title = 'opshog'; globalThis.keep = Array.from({ length: 48 }, () => Buffer.alloc(8 << 20, 1)); console.log('ready'); setInterval(() => {}, 1000);");
    const store = await openTempStore();
    const issue = await issueFor(store, 'ram_in_use', 'system.ram');
    const result = await analyzer({ actions: { killProcess: { allowedPids: [hog.pid] }, cleanupDisk: { roots: [tempDir()] } } }).analyse(issue);

    expect(result.summary).toContain(`'opshog' (PID ${hog.pid})`);
    expect(result.evidence.join('\n')).toMatch(/Memory \d+(\.\d)?% used/);
    expect(result.proposedActions[0]).toMatchObject({ type: 'kill_process', params: { pid: hog.pid, name: 'opshog' } });
  });

  it('finds old files under a temp cleanup root and proposes cleaning that root', async () => {
    const root = tempDir('opsagent-cleanup-');
    const other = tempDir('opsagent-cleanup-empty-');
    mkdirSync(join(root, 'cache'));
    const old = (Date.now() - 30 * 86_400_000) / 1000;
    for (let i = 0; i < 20; i++) {
      const f = join(root, 'cache', `blob-${i}.tmp`);
      writeFileSync(f, Buffer.alloc(64 * 1024));
      utimesSync(f, old, old);
    }
    writeFileSync(join(root, 'fresh.tmp'), 'new');
    const store = await openTempStore();
    const issue = await issueFor(store, 'disk_space_usage', 'disk.space');
    const result = await analyzer({ actions: { killProcess: { allowedPids: [process.pid] }, cleanupDisk: { roots: [other, root], olderThanDays: 7 } } }).analyse(issue);

    expect(result.proposedActions).toEqual([expect.objectContaining({ type: 'cleanup_disk', risk: 'low', params: { path: realpathSync(root), olderThanDays: 7 } })]);
    expect(result.summary).toContain('20 files');
    expect(result.evidence.join('\n')).toContain(join(realpathSync(root), 'cache'));
  });

  it('rejects a proposal whose path escapes the cleanup roots through a symlink', async () => {
    const { checkProposals } = await import('../../src/analysis/proposal-checks.js');
    const root = tempDir();
    const outside = tempDir();
    const { symlinkSync } = await import('node:fs');
    symlinkSync(outside, join(root, 'escape'));
    const { valid, rejected } = await checkProposals(
      [
        { type: 'cleanup_disk', params: { path: join(root, 'escape') }, reason: 'x' },
        { type: 'kill_process', params: { pid: process.pid, name: 'node' }, reason: 'x' },
        { type: 'kill_process', params: { pid: 4_000_000, name: 'ghost' }, reason: 'x' },
        { type: 'restart_service', params: { service: 'sshd.service' }, reason: 'x' },
        { type: 'cleanup_disk', params: { path: root }, reason: 'ok' },
      ],
      { processFilter: { protectedNames: [], allowedNames: [], allowedUsers: [], allowedCgroups: [], allowedPids: [] }, cleanupRoots: [root], serviceAllow: [], serviceDeny: ['sshd.service'], permissionLevel: 'limited', local: true },
    );
    expect(valid).toEqual([expect.objectContaining({ type: 'cleanup_disk', params: { path: root } })]);
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringContaining('not inside a cleanup root'),
      'the agent itself or init',
      'no process with PID 4000000',
      'sshd.service is in actions.restartService.deny',
    ]);
  });

  it('pins a kill_process proposal to the start time of the process it names, and keeps the built-in protections', async () => {
    const { checkProposals } = await import('../../src/analysis/proposal-checks.js');
    const { readProc } = await import('../../src/actions/executors/proc-info.js');
    const target = await child("process.title = 'opsleak'; console.log('ready'); setInterval(() => {}, 1000);");
    const guarded = await child("process.title = 'opsagent'; console.log('ready'); setInterval(() => {}, 1000);");
    const cgroupPath = (await readProc(target.pid))!.cgroup.split('\n').map((l) => l.split(':').slice(2).join(':')).sort((a, b) => b.length - a.length)[0]!;
    const filter = { protectedNames: ['only-this'], allowedNames: [], allowedUsers: [], allowedCgroups: [], allowedPids: [target.pid, guarded.pid] };
    const policy = { processFilter: filter, cleanupRoots: [], serviceAllow: [], serviceDeny: ['legacy.service'], permissionLevel: 'limited' as const, local: true };
    const { valid, rejected } = await checkProposals(
      [
        { type: 'kill_process', params: { pid: target.pid, name: 'opsleak' }, reason: 'leak' },
        { type: 'kill_process', params: { pid: guarded.pid, name: 'opsagent' }, reason: 'x' },
        { type: 'restart_service', params: { service: 'systemd-logind' }, reason: 'x' },
      ],
      policy,
    );
    expect(valid).toEqual([expect.objectContaining({ type: 'kill_process', params: expect.objectContaining({ pid: target.pid, startTime: (await readProc(target.pid))!.startTime }) })]);
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/protected name/), expect.stringMatching(/^systemd-logind.service is always protected: /)]);

    // A string that is only a substring of the process's cgroup path does not allow it.
    const notASegment = cgroupPath.length > 2 ? cgroupPath.slice(0, -1) : '/not-this-cgroup';
    const partial = await checkProposals([{ type: 'kill_process', params: { pid: target.pid, name: 'opsleak' }, reason: 'x' }], { ...policy, processFilter: { ...filter, allowedCgroups: [notASegment] } });
    expect(partial.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/cgroup not in actions.killProcess.allowedCgroups/)]);
    const whole = await checkProposals([{ type: 'kill_process', params: { pid: target.pid, name: 'opsleak' }, reason: 'x' }], { ...policy, processFilter: { ...filter, allowedCgroups: [cgroupPath] } });
    expect(whole.valid).toHaveLength(1);
  });
});
