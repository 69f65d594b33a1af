import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { executeAction } from '../../src/actions/executors/registry.js';
import { readProc } from '../../src/actions/executors/proc-info.js';
import type { ExecutionContext } from '../../src/actions/executors/types.js';
import { defaultConfig } from '../../src/config/load.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { tempDir } from '../helpers/temp-store.js';

function context(actions: Record<string, unknown>, extra: Partial<ExecutionContext> = {}): ExecutionContext {
  const config = defaultConfig({ actions: { logAnalysis: { useJournal: false }, ...actions } });
  return {
    config: config.actions,
    logFiles: [],
    permissionLevel: 'full',
    issue: { id: 'issue-1', title: 'cpu_usage', first_seen_at: Date.now() - 60_000, last_seen_at: Date.now() },
    now: Date.now,
    selfPids: [process.pid, process.ppid],
    ...extra,
  };
}

/** A child of this test, killed at the end if the test did not kill it. */
function child(command: string, args: string[]): { proc: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const proc = spawn(command, args, { stdio: 'ignore' });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_c, signal) => resolve(signal)));
  return { proc, exited };
}

async function alive(proc: ChildProcess): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 100));
  return proc.exitCode === null && proc.signalCode === null;
}

const DAY = 86_400_000;
function oldFile(path: string, bytes: number, ageDays: number): void {
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const t = (Date.now() - ageDays * DAY) / 1000;
  utimesSync(path, t, t);
}

describe('kill_process', () => {
  it('never signals a protected process, a process outside allowedPids, PID 1 or the agent itself', async () => {
    const { proc } = child('sleep', ['30']);
    const pid = proc.pid!;
    const protectedCtx = context({ killProcess: { allowedPids: [pid], protectedNames: ['sleep'] } });
    expect(await executeAction('kill_process', { pid, name: 'sleep' }, protectedCtx)).toMatchObject({ success: false, summary: expect.stringMatching(/"sleep" is protected/) });
    const notAllowed = context({ killProcess: { allowedPids: [pid + 100_000] } });
    expect(await executeAction('kill_process', { pid, name: 'sleep' }, notAllowed)).toMatchObject({ success: false, summary: expect.stringMatching(/not in actions.killProcess.allowedPids/) });
    const open = context({ killProcess: { allowedPids: [pid] } });
    expect(await executeAction('kill_process', { pid, name: 'nginx' }, open)).toMatchObject({ success: false, summary: expect.stringMatching(/is "sleep", not "nginx"/) });
    expect(await executeAction('kill_process', { pid, name: 'sleep', startTime: 1 }, open)).toMatchObject({ success: false, summary: expect.stringMatching(/PID was reused/) });
    expect(await executeAction('kill_process', { pid: process.pid, name: 'node' }, context({}))).toMatchObject({ success: false, summary: expect.stringMatching(/agent itself/) });
    expect(await executeAction('kill_process', { pid: 1, name: 'init' }, context({}))).toMatchObject({ success: false, summary: expect.stringMatching(/PID 1|invalid parameters/) });
    expect(await executeAction('kill_process', { pid, name: 'sleep' }, context({ dryRun: true, killProcess: { allowedPids: [pid] } }))).toMatchObject({ success: true, summary: `Dry run: would send SIGTERM to sleep (PID ${pid})` });
    expect(await alive(proc)).toBe(true);
  });

  it('sends SIGTERM to the verified child and reports "Process sleep killed"', async () => {
    const { proc, exited } = child('sleep', ['30']);
    const info = await readProc(proc.pid!);
    const r = await executeAction('kill_process', { pid: proc.pid, name: 'sleep', startTime: info!.startTime }, context({ killProcess: { allowedPids: [proc.pid] } }));
    expect(r).toMatchObject({ success: true, summary: 'Process sleep killed' });
    expect(await exited).toBe('SIGTERM');
  });

  it('follows up with SIGKILL when the process ignores SIGTERM for the grace period', async () => {
    const readyFile = join(tempDir(), 'ready');
    const { proc, exited } = child(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); require("fs").writeFileSync(process.argv[1], "ready");', readyFile]);
    for (let i = 0; i < 100 && !existsSync(readyFile); i++) await new Promise((r) => setTimeout(r, 50)); // its SIGTERM handler is installed
    const r = await executeAction('kill_process', { pid: proc.pid, name: 'node' }, context({ killProcess: { allowedPids: [proc.pid], graceMs: 300 } }));
    expect(r).toMatchObject({ success: true, summary: 'Process node killed (SIGKILL after the grace period)' });
    expect(r.output).toMatch(/sent SIGKILL/);
    expect(await exited).toBe('SIGKILL');
  });
});

describe('cleanup_disk', () => {
  it('removes only old regular files inside its root, never following symlinks or ".." out of it', async () => {
    const base = tempDir();
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    oldFile(join(root, 'old.tmp'), 1536 * 1024, 10);
    oldFile(join(root, 'sub', 'old2.tmp'), 512 * 1024, 30);
    oldFile(join(root, 'fresh.tmp'), 100, 1);
    oldFile(join(outside, 'precious.db'), 100, 100);
    symlinkSync(outside, join(root, 'link-to-outside'));
    symlinkSync(join(outside, 'precious.db'), join(root, 'link-to-file'));
    const ctx = context({ cleanupDisk: { roots: [root], olderThanDays: 7 } });

    expect(await executeAction('cleanup_disk', { path: outside }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/not inside a cleanup root/) });
    expect(await executeAction('cleanup_disk', { path: join(root, 'link-to-outside') }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/really .*outside.* is not inside/) });
    expect(await executeAction('cleanup_disk', { path: `${root}/../outside` }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/".." are not allowed/) });
    expect(existsSync(join(outside, 'precious.db'))).toBe(true);

    const r = await executeAction('cleanup_disk', { path: root }, ctx);
    expect(r).toMatchObject({ success: true, summary: '2MB temp files removed' });
    expect(r.output).toMatch(/2 file\(s\), 2MB removed/);
    expect(r.output).toMatch(/2 symlink\(s\) left alone/);
    expect(existsSync(join(root, 'old.tmp'))).toBe(false);
    expect(existsSync(join(root, 'sub', 'old2.tmp'))).toBe(false);
    expect(existsSync(join(root, 'fresh.tmp'))).toBe(true);
    expect(readFileSync(join(outside, 'precious.db')).length).toBe(100);
    expect(existsSync(join(root, 'link-to-outside'))).toBe(true);
  });

  it('only reports what it would remove in dry-run mode', async () => {
    const root = tempDir();
    oldFile(join(root, 'old.log'), 2048, 9);
    const r = await executeAction('cleanup_disk', { path: root, olderThanDays: 1 }, context({ dryRun: true, cleanupDisk: { roots: [root] } }));
    expect(r).toMatchObject({ success: true, summary: 'Dry run: would remove 2KB of temp files (1 files)' });
    expect(existsSync(join(root, 'old.log'))).toBe(true);
  });
});

describe('restart_service', () => {
  it('runs the configured command with the unit as one argv entry, and honours the deny and allow lists', async () => {
    const dir = tempDir();
    const systemctl = fakeSystemctl(dir, { output: 'ok' });
    const ctx = context({ restartService: { command: systemctl.command, deny: ['sshd.service'] } });
    expect(await executeAction('restart_service', { service: 'nginx.service' }, ctx)).toMatchObject({ success: true, summary: 'Service nginx.service restarted', output: 'ok\n' });
    expect(await executeAction('restart_service', { service: 'sshd' }, ctx)).toMatchObject({ success: false, summary: 'not restarted: sshd is in actions.restartService.deny' });
    expect(await executeAction('restart_service', { service: 'x; rm -rf /' }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/invalid parameters/) });
    expect(await executeAction('restart_service', { service: '--force' }, ctx)).toMatchObject({ success: false });
    const allowOnly = context({ restartService: { command: systemctl.command, allow: ['api.service'] } });
    expect(await executeAction('restart_service', { service: 'nginx' }, allowOnly)).toMatchObject({ success: false, summary: 'not restarted: nginx is not in actions.restartService.allow' });
    expect(systemctl.calls()).toEqual([['restart', 'nginx.service']]);
  });

  it('reports a failing systemctl with its exit code and output', async () => {
    const dir = tempDir();
    const systemctl = fakeSystemctl(dir, { exitCode: 5, output: 'Unit api.service not found.' });
    const r = await executeAction('restart_service', { service: 'api.service' }, context({ restartService: { command: systemctl.command } }));
    expect(r).toMatchObject({ success: false, output: 'Unit api.service not found.\n' });
    expect(r.summary).toMatch(/api.service not restarted: .*fake-systemctl.sh exited with code 5/);
  });
});

describe('clear_cache, log_analysis, custom_command', () => {
  it('clears the cache with the configured command and explains a failure', async () => {
    expect(await executeAction('clear_cache', {}, context({ clearCache: { command: ['true'] } }))).toMatchObject({ success: true, summary: 'System cache cleared' });
    expect(await executeAction('clear_cache', {}, context({ clearCache: { command: ['false'] } }))).toMatchObject({ success: false, summary: 'cache not cleared: false exited with code 1' });
    expect(await executeAction('clear_cache', {}, context({ dryRun: true }))).toMatchObject({ success: true, summary: 'Dry run: would sync and write 1 to /proc/sys/vm/drop_caches' });
  });

  it('summarises error lines of the issue window from the configured log files', async () => {
    const dir = tempDir();
    const log = join(dir, 'syslog');
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    writeFileSync(log, [
      `${iso(now - 3 * DAY)} api[12]: ERROR database timeout after 30s`,
      `${iso(now - 5 * 60_000)} api[12]: ERROR database timeout after 31s`,
      `${iso(now - 4 * 60_000)} api[12]: ERROR database timeout after 32s`,
      `${iso(now - 3 * 60_000)} api[12]: info request served`,
      `${iso(now - 2 * 60_000)} kernel: Out of memory: Killed process 4242 (api)`,
    ].join('\n'));
    const r = await executeAction('log_analysis', { minutes: 30 }, context({}, { logFiles: [log] }));
    expect(r.success).toBe(true);
    expect(r.summary).toMatch(/^3 error line\(s\) in the last \d+ min \(.*syslog\); most frequent \(×2\): .*database timeout/);
    expect(r.output).toContain('Out of memory');
    const missing = await executeAction('log_analysis', {}, context({}, { logFiles: [join(dir, 'nope')] }));
    expect(missing).toMatchObject({ success: false, summary: expect.stringMatching(/No logs readable/) });
  });

  it('runs custom commands without a shell, truncates their output and enforces the timeout', async () => {
    const big = await executeAction('custom_command', { argv: [process.execPath, '-e', 'process.stdout.write("x".repeat(100000))'] }, context({ outputLimitBytes: 1000 }));
    expect(big.success).toBe(true);
    expect(big.output.length).toBeLessThan(1200);
    expect(big.output).toMatch(/output truncated: 99000 more bytes/);
    const slow = await executeAction('custom_command', { argv: ['sleep', '5'] }, context({ timeoutSeconds: 0.3 }));
    expect(slow).toMatchObject({ success: false, summary: expect.stringMatching(/killed after the 0.3 s timeout/) });
    expect(await executeAction('custom_command', { argv: ['true'] }, context({}, { permissionLevel: 'limited' }))).toMatchObject({ success: false, summary: 'not run: custom_command is not allowed in limited mode' });
  });
});
