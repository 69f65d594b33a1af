import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanupDisk, findCommand } from '../../src/actions/executors/cleanup-disk.js';
import { executeAction } from '../../src/actions/executors/registry.js';
import { readProc } from '../../src/actions/executors/proc-info.js';
import { runCommand } from '../../src/actions/executors/run-command.js';
import { cgroupAllowed } from '../../src/model/protected.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { tempDir } from '../helpers/temp-store.js';
import { executionContext } from '../helpers/execution-context.js';

const context = executionContext;

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

  it('keeps the built-in protected names even when protectedNames is configured, and matches cgroups by whole segments', async () => {
    const readyFile = join(tempDir(), 'ready');
    const { proc } = child(process.execPath, ['-e', 'process.title = "opsagent"; setInterval(() => {}, 1000); require("fs").writeFileSync(process.argv[1], "ready");', readyFile]);
    for (let i = 0; i < 100 && !existsSync(readyFile); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = proc.pid!;
    const ctx = context({ killProcess: { allowedPids: [pid], protectedNames: ['something-else'] } });
    expect(await executeAction('kill_process', { pid, name: 'opsagent' }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/"opsagent" is protected/) });

    const sleeper = child('sleep', ['30']).proc;
    const paths = (await readProc(sleeper.pid!))!.cgroup.split('\n').map((l) => l.split(':').slice(2).join(':'));
    const path = paths.sort((a, b) => b.length - a.length)[0]; // the most specific hierarchy (v2, or v1 in some containers)
    // A prefix of the real path that is not a whole segment (substring matching would have allowed it).
    const notASegment = path && path.length > 2 ? path.slice(0, -1) : '/not-this-cgroup';
    const partial = context({ dryRun: true, killProcess: { allowedPids: [sleeper.pid], allowedCgroups: [notASegment] } });
    expect(await executeAction('kill_process', { pid: sleeper.pid, name: 'sleep' }, partial)).toMatchObject({ success: false, summary: expect.stringMatching(/allowedCgroups/) });
    const whole = context({ dryRun: true, killProcess: { allowedPids: [sleeper.pid], allowedCgroups: [path ?? '/'] } });
    expect(await executeAction('kill_process', { pid: sleeper.pid, name: 'sleep' }, whole)).toMatchObject({ success: true });
    expect(await alive(proc)).toBe(true);
    expect(await alive(sleeper)).toBe(true);
  });

  it('matches allowedCgroups as path prefixes or whole segments, never as substrings', () => {
    const v2 = '0::/system.slice/app.service\n';
    expect(cgroupAllowed(v2, ['/system.slice/app.service'])).toBe(true);
    expect(cgroupAllowed(v2, ['/system.slice'])).toBe(true);
    expect(cgroupAllowed(v2, ['/system.slice/'])).toBe(true);
    expect(cgroupAllowed(v2, ['app.service'])).toBe(true);
    expect(cgroupAllowed(v2, ['system.slice/app.service'])).toBe(true);
    expect(cgroupAllowed(v2, ['/system.slice/app'])).toBe(false);
    expect(cgroupAllowed(v2, ['app'])).toBe(false);
    expect(cgroupAllowed(v2, ['/app.service'])).toBe(false);
    expect(cgroupAllowed('0::/system.slice/app.service-evil\n', ['/system.slice/app.service'])).toBe(false);
    expect(cgroupAllowed('12:memory:/docker/abc\n11:cpu:/docker/abc\n', ['/docker'])).toBe(true);
    expect(cgroupAllowed('12:memory:/dockerx/abc\n', ['docker'])).toBe(false);
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

  it('never deletes outside the root when a parent directory is swapped for a symlink after the path was checked', async () => {
    const base = tempDir();
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'userdir', 'cache'), { recursive: true });
    mkdirSync(join(outside, 'cache'), { recursive: true });
    oldFile(join(outside, 'cache', 'precious.db'), 100, 100);
    oldFile(join(root, 'userdir', 'cache', 'old.tmp'), 100, 100);
    // The executor has checked root/userdir/cache; now a local user swaps root/userdir for a symlink to elsewhere.
    renameSync(join(root, 'userdir'), join(root, 'moved'));
    symlinkSync(outside, join(root, 'userdir'));
    const r = await runCommand(findCommand(root, join(root, 'userdir', 'cache'), 60, true), { timeoutMs: 10_000, outputLimitBytes: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(r.output.trim()).toBe('');
    expect(existsSync(join(outside, 'cache', 'precious.db'))).toBe(true);
    expect(existsSync(join(root, 'moved', 'cache', 'old.tmp'))).toBe(true);
  });

  it('leaves systemd-private-* alone, never goes below the configured age, and refuses more than maxFiles', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'systemd-private-abc-nginx.service-x', 'tmp'), { recursive: true });
    oldFile(join(root, 'systemd-private-abc-nginx.service-x', 'tmp', 'session'), 100, 30);
    oldFile(join(root, 'five-days.tmp'), 100, 5);
    oldFile(join(root, 'ten-days.tmp'), 100, 10);
    // The proposal asks for 1 day; the operator's 7 days win.
    const r = await executeAction('cleanup_disk', { path: root, olderThanDays: 1 }, context({ cleanupDisk: { roots: [root], olderThanDays: 7 } }));
    expect(r).toMatchObject({ success: true, summary: '100B temp files removed' });
    expect(r.output).toMatch(/older than 7 day/);
    expect(existsSync(join(root, 'ten-days.tmp'))).toBe(false);
    expect(existsSync(join(root, 'five-days.tmp'))).toBe(true);
    expect(existsSync(join(root, 'systemd-private-abc-nginx.service-x', 'tmp', 'session'))).toBe(true);
    // A longer retention than the operator's is honoured.
    expect(await executeAction('cleanup_disk', { path: root, olderThanDays: 60 }, context({ dryRun: true, cleanupDisk: { roots: [root], olderThanDays: 1 } }))).toMatchObject({ summary: 'Dry run: would remove 0B of temp files (0 files)' });

    for (let i = 0; i < 3; i++) oldFile(join(root, `many-${i}.tmp`), 10, 30);
    const capped = await cleanupDisk({ path: root }, context({ cleanupDisk: { roots: [root], olderThanDays: 1, maxFiles: 2 } }));
    expect(capped).toMatchObject({ success: false, summary: expect.stringMatching(/more than 2 files .*nothing was deleted/) });
    expect(existsSync(join(root, 'many-0.tmp'))).toBe(true);
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
    // A configured deny list adds to the built-in one: sshd and journald stay protected.
    const ownDeny = context({ restartService: { command: systemctl.command, deny: ['legacy.service'] } });
    expect(await executeAction('restart_service', { service: 'systemd-journald' }, ownDeny)).toMatchObject({ success: false, summary: expect.stringMatching(/always protected/) });
    expect(await executeAction('restart_service', { service: 'legacy' }, ownDeny)).toMatchObject({ success: false, summary: 'not restarted: legacy is in actions.restartService.deny' });
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

  it('runs commands in a minimal environment: no secret of the agent reaches them', async () => {
    const saved = { ...process.env };
    onTestFinished(() => {
      for (const k of ['MOONSHOT_API_KEY', 'DISCORD_BOT_TOKEN', 'OPSAGENT_API_TOKEN']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });
    process.env.MOONSHOT_API_KEY = 'sk-secret-moonshot';
    process.env.DISCORD_BOT_TOKEN = 'secret-discord';
    process.env.OPSAGENT_API_TOKEN = 'secret-api';
    const r = await executeAction('custom_command', { argv: ['env'] }, context({}));
    expect(r.success).toBe(true);
    expect(r.output).toMatch(/^PATH=/m);
    expect(r.output).not.toMatch(/secret/);
    expect(r.output.trim().split('\n').map((l) => l.split('=')[0]).sort()).toEqual(expect.arrayContaining(['HOME', 'LANG', 'PATH']));
  });

  it('kills the whole process group on timeout and does not hang on a grandchild holding the pipes', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'grandchild.pid');
    const grandchildAlive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // Timeout: sh and its background sleep both die.
    const started = Date.now();
    const slow = await runCommand(['/bin/sh', '-c', `sleep 30 & echo $! > '${pidFile}'; wait`], { timeoutMs: 300, outputLimitBytes: 1_000 });
    expect(slow.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    const gc = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 40 && grandchildAlive(gc); i++) await new Promise((r) => setTimeout(r, 50));
    expect(grandchildAlive(gc)).toBe(false);

    // No timeout: sh exits at once, its background sleep keeps stdout open; the result still comes promptly.
    const quick = Date.now();
    const detachedPid = join(dir, 'detached.pid');
    const r = await runCommand(['/bin/sh', '-c', `sleep 30 & echo $! > '${detachedPid}'; echo done`], { timeoutMs: 20_000, outputLimitBytes: 1_000 });
    const leftover = Number(readFileSync(detachedPid, 'utf8'));
    onTestFinished(() => {
      if (grandchildAlive(leftover)) process.kill(leftover, 'SIGKILL');
    });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, output: 'done\n' });
    expect(Date.now() - quick).toBeLessThan(5_000);
  });
});
