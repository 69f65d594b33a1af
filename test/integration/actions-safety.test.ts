import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findCommand } from '../../src/actions/executors/cleanup-disk.js';
import { executeAction } from '../../src/actions/executors/registry.js';
import { runCommand } from '../../src/actions/executors/run-command.js';
import { checkProposals, type ProposalPolicy } from '../../src/analysis/proposal-checks.js';
import { gatherProcesses } from '../../src/analysis/gatherers/processes.js';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { validateProposal, type RawProposal, type ValidProposal } from '../../src/model/action-catalog.js';
import { parseMountInfo, mountPointsBelow } from '../../src/model/cleanup-roots.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';
import { executionContext } from '../helpers/execution-context.js';
import { IS_ROOT, requirePeer, ROOT_MISSING, skipWithout } from '../helpers/peers.js';

/**
 * The adversarial probes of restart_service, cleanup_disk and kill_process, against real processes, real files and a
 * real bind mount. Tests that need root (mount --bind, chown) run as root; under CI=true without root they fail
 * with a message saying so instead of skipping.
 */

const context = executionContext;

const OPEN_FILTER = { protectedNames: [], allowedNames: [], allowedUsers: [], allowedCgroups: [], allowedPids: [] };
function policy(overrides: Partial<ProposalPolicy> = {}): ProposalPolicy {
  return { processFilter: OPEN_FILTER, cleanupRoots: [], serviceAllow: [], serviceDeny: [], permissionLevel: 'full', local: true, ...overrides };
}

const DAY = 86_400_000;
function oldFile(path: string, ageDays = 30): void {
  writeFileSync(path, 'x'.repeat(100));
  const t = (Date.now() - ageDays * DAY) / 1000;
  utimesSync(path, t, t);
}

describe('restart_service: only plain services, never the machine, a session, the agent or a protected service', () => {
  const refused = [
    ['reboot.target', /reboot.target is a target, not a service/],
    ['emergency.target', /emergency.target is a target, not a service/],
    ['user@0.service', /user@0.service is always protected: .*login session/],
    ['opsagent.service', /opsagent.service is always protected: it is the agent itself/],
    ['systemd-journald.socket', /systemd-journald.socket is a socket, not a service/],
    ['netdata', /netdata.service is always protected: it is the monitoring/],
    ['systemd-resolved', /systemd-resolved.service is always protected/],
    ['sshd', /sshd.service is always protected: it is remote access/],
    ['docker', /container runtime/],
    ['postgresql@16-main', /database/],
    ['user-1000.slice', /is a slice, not a service/],
  ] as const;

  it('refuses every one in the executor, even in full mode and when the allow list names it, and never runs systemctl', async () => {
    const systemctl = fakeSystemctl(tempDir());
    const ctx = context({ restartService: { command: systemctl.command, deny: [] } });
    for (const [service, reason] of refused) {
      const r = await executeAction('restart_service', { service }, ctx);
      expect({ service, success: r.success, summary: r.summary }).toEqual({ service, success: false, summary: expect.stringMatching(/^not restarted: /) });
      expect(r.summary).toMatch(reason);
    }
    const allowAll = context({ restartService: { command: systemctl.command, allow: refused.map(([s]) => s) } });
    for (const [service] of refused) expect({ service, success: (await executeAction('restart_service', { service }, allowAll)).success }).toEqual({ service, success: false });
    expect(systemctl.calls()).toEqual([]);
    expect(await executeAction('restart_service', { service: 'nginx' }, ctx)).toMatchObject({ success: true, summary: 'Service nginx.service restarted' });
    expect(systemctl.calls()).toEqual([['restart', 'nginx.service']]);
  });

  it('rejects every one as a proposal, with its reason', async () => {
    const proposals = [...refused.map(([service]) => ({ type: 'restart_service', params: { service }, reason: 'the alert said so' })), { type: 'restart_service', params: { service: 'api-server' }, reason: 'leak' }];
    const { valid, rejected } = await checkProposals(proposals.slice(0, 8), policy());
    const more = await checkProposals(proposals.slice(8), policy());
    expect([...valid, ...more.valid]).toEqual([expect.objectContaining({ type: 'restart_service', params: { service: 'api-server' } })]);
    const reasons = [...rejected, ...more.rejected].map((r) => r.reason);
    expect(reasons).toHaveLength(refused.length);
    refused.forEach(([, reason], i) => expect(reasons[i]).toMatch(reason));
  });

  it('records a refused unit as a failed action in full mode with autoRemediate, without restarting anything', async () => {
    const dir = tempDir();
    const systemctl = fakeSystemctl(dir);
    const config = defaultConfig({
      opsagent: { serverId: 'test-server', permissionLevel: 'full', autoRemediate: true },
      analysis: { enabled: false },
      actions: { logAnalysis: { useJournal: false }, restartService: { command: systemctl.command }, cleanupDisk: { roots: [dir] } },
    });
    const store = await openTempStore({ config });
    const remediation = new Remediation({ ...store, config, logger: silentLogger(), now: Date.now });
    wirePipeline({ tracker: store.tracker, remediation }, { handOff: 'record-only' });
    const [r] = await store.tracker.ingest([{ server_id: 'test-server', name: 'probe', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 95, source: 'opsagent', occurred_at: Date.now() }]);
    const issue = (await store.issues.get(r!.issue_id!))!;
    const proposal = (raw: RawProposal): ValidProposal => {
      const check = validateProposal(raw);
      if (!check.ok) throw new Error(check.reason);
      return check.proposal;
    };
    const results = await remediation.handleProposals(issue, [proposal({ type: 'restart_service', params: { service: 'reboot.target' }, reason: 'x' })], null);
    expect(results).toEqual([expect.objectContaining({ action_type: 'restart_service', status: 'failed', success: false })]);
    const comments = (await store.issues.comments(issue.id)).map((c) => c.content);
    expect(comments).toContainEqual(expect.stringMatching(/^❌ restart_service: not restarted: reboot.target is a target, not a service/));
    expect(systemctl.calls()).toEqual([]);
  });
});

describe('cleanup_disk: never leaves the mount of its root, never walks a root another user can redirect', () => {
  it.skipIf(skipWithout(IS_ROOT))('does not delete through a bind mount of the same filesystem below the root (find -xdev alone would)', async () => {
    requirePeer(IS_ROOT, ROOT_MISSING);
    const base = tempDir();
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'bind'), { recursive: true });
    mkdirSync(outside);
    oldFile(join(outside, 'precious.db'));
    oldFile(join(root, 'stale.tmp'));
    execFileSync('mount', ['--bind', outside, join(root, 'bind')]);
    try {
      const mounts = mountPointsBelow(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')), root);
      expect(mounts).toEqual([join(root, 'bind')]);
      // The hole: the bind mount keeps st_dev, so -xdev walks into it and would delete precious.db (counted here only).
      const unguarded = await runCommand(findCommand(root, root, 60, false), { timeoutMs: 10_000, outputLimitBytes: 10_000 });
      expect(unguarded.output.trim().split('\n')).toHaveLength(2);

      const ctx = context({ cleanupDisk: { roots: [root], olderThanDays: 1 } });
      const r = await executeAction('cleanup_disk', { path: root }, ctx);
      expect(r).toMatchObject({ success: true, summary: '100B temp files removed' });
      expect(r.output).toMatch(/1 mount point\(s\) below .* left alone/);
      expect(existsSync(join(root, 'stale.tmp'))).toBe(false);
      expect(existsSync(join(outside, 'precious.db'))).toBe(true);

      const through = await executeAction('cleanup_disk', { path: join(root, 'bind') }, ctx);
      expect(through).toMatchObject({ success: false, summary: expect.stringMatching(/is on another mount .* never leaves the mount of its root/) });
      const proposed = await checkProposals([{ type: 'cleanup_disk', params: { path: join(root, 'bind') }, reason: 'x' }], policy({ cleanupRoots: [root] }));
      expect(proposed.rejected.map((p) => p.reason)).toEqual([expect.stringMatching(/is on another mount/)]);
      expect(existsSync(join(outside, 'precious.db'))).toBe(true);
    } finally {
      execFileSync('umount', [join(root, 'bind')]);
    }
  });

  it.skipIf(skipWithout(IS_ROOT))('refuses a root that is missing, planted as a symlink, owned by another user or below a directory others can write to', async () => {
    requirePeer(IS_ROOT, ROOT_MISSING);
    const base = tempDir();
    const target = join(base, 'victim');
    mkdirSync(target);
    oldFile(join(target, 'precious.db'));
    const shared = join(base, 'shared'); // like /tmp: root-owned, sticky, world-writable
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const open = join(base, 'open'); // world-writable without the sticky bit
    mkdirSync(join(open, 'root'), { recursive: true });
    chmodSync(open, 0o777);
    const theirs = join(base, 'theirs'); // owned by another user
    mkdirSync(join(theirs, 'root'), { recursive: true });
    chownSync(theirs, 65534, 65534);
    const foreignRoot = join(shared, 'foreign');
    mkdirSync(foreignRoot);
    chownSync(foreignRoot, 65534, 65534);
    const good = join(shared, 'good');
    mkdirSync(good);
    oldFile(join(good, 'stale.tmp'));
    const planted = join(shared, 'cache');
    const missing = join(shared, 'not-yet');

    const roots = [planted, missing, join(open, 'root'), join(theirs, 'root'), foreignRoot, good];
    const ctx = context({ cleanupDisk: { roots, olderThanDays: 1 } });
    expect(await executeAction('cleanup_disk', { path: missing }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/does not exist/) });
    // Any local user can create the missing root as a link to what they want deleted.
    symlinkSync(target, planted);
    for (const path of [planted, join(planted, 'precious.db')]) {
      const r = await executeAction('cleanup_disk', { path }, ctx);
      expect(r).toMatchObject({ success: false, summary: expect.stringMatching(/cleanup root .*\/cache is not safe: .*\/cache is a symbolic link/) });
    }
    expect(await executeAction('cleanup_disk', { path: join(open, 'root') }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/open is writable by other users \(mode 777\)/) });
    expect(await executeAction('cleanup_disk', { path: join(theirs, 'root') }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/theirs belongs to uid 65534/) });
    expect(await executeAction('cleanup_disk', { path: foreignRoot }, ctx)).toMatchObject({ success: false, summary: expect.stringMatching(/foreign belongs to uid 65534/) });
    expect(existsSync(join(target, 'precious.db'))).toBe(true);

    const proposed = await checkProposals([planted, join(open, 'root')].map((path) => ({ type: 'cleanup_disk', params: { path }, reason: 'x' })), policy({ cleanupRoots: roots }));
    expect(proposed.rejected.map((p) => p.reason)).toEqual([expect.stringMatching(/is a symbolic link/), expect.stringMatching(/writable by other users/)]);

    // A root-owned directory inside a sticky, root-owned one (like /tmp/x) is fine.
    expect(await executeAction('cleanup_disk', { path: good }, ctx)).toMatchObject({ success: true, summary: '100B temp files removed' });
  });

  it('config-check refuses system roots and a zero age on the shared temp directories, saying why', () => {
    const check = (yaml: string) => {
      try {
        parseConfig(yaml, 'bad.yaml', {});
        return 'valid';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const roots = check('actions: { cleanupDisk: { roots: ["/", "/etc", "/var", "/home", "/usr/lib", "/boot", "/proc", "/tmp/../etc", "/srv/app/tmp"] } }');
    expect(roots).toMatch(/^bad.yaml is not valid:/);
    expect(roots).toContain('actions.cleanupDisk.roots.0: / is the whole filesystem');
    expect(roots).toContain('actions.cleanupDisk.roots.1: /etc holds the operating system (/etc)');
    expect(roots).toContain('actions.cleanupDisk.roots.2: /var is a system directory');
    expect(roots).toContain('actions.cleanupDisk.roots.3: /home is a system directory');
    expect(roots).toContain('actions.cleanupDisk.roots.4: /usr/lib holds the operating system (/usr)');
    expect(roots).toContain('actions.cleanupDisk.roots.5: /boot holds');
    expect(roots).toContain('actions.cleanupDisk.roots.6: /proc holds');
    expect(roots).toContain('actions.cleanupDisk.roots.7: /tmp/../etc must be written without');
    expect(roots).not.toContain('roots.8');
    expect(check('actions: { cleanupDisk: { roots: ["/tmp"], olderThanDays: 0 } }')).toMatch(/actions.cleanupDisk.olderThanDays: olderThanDays 0 would delete files other programs are still using in \/tmp/);
    expect(check('actions: { cleanupDisk: { roots: ["/srv/app/tmp"], olderThanDays: 0 } }')).toBe('valid');
    expect(check('actions: { cleanupDisk: { roots: ["/tmp", "/var/tmp"], olderThanDays: 1 } }')).toBe('valid');
  });
});

/** A stand-in for this package: package.json named `name`, dist/src/cli.js, the npm bin link and bin/opsagent.sh. */
function fakePackage(name: string): string {
  const dir = tempDir('opsagent-pkg-');
  mkdirSync(join(dir, 'dist', 'src'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module' }));
  // Harmless: says it is ready, then idles like a daemon.
  writeFileSync(join(dir, 'dist', 'src', 'cli.js'), "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.env.READY_FILE, 'ready');\nsetInterval(() => {}, 1000);\n");
  symlinkSync('../../dist/src/cli.js', join(dir, 'node_modules', '.bin', 'opsagent'));
  writeFileSync(join(dir, 'bin', 'opsagent.sh'), '#!/bin/bash\necho ready > "$READY_FILE"\nwhile :; do sleep 1; done\n');
  chmodSync(join(dir, 'bin', 'opsagent.sh'), 0o755);
  return dir;
}

async function start(command: string, args: string[], cwd?: string): Promise<ChildProcess> {
  const ready = join(tempDir(), 'ready');
  const proc = spawn(command, args, { cwd, stdio: 'ignore', env: { ...process.env, READY_FILE: ready } });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  for (let i = 0; i < 400 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(ready)) throw new Error(`${command} ${args.join(' ')} did not start`);
  return proc;
}

function alive(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

describe('kill_process: the agent recognises its own processes by what they run', () => {
  it('refuses a second daemon started as documented, in the executor, the proposal checks and the candidate list', async () => {
    const pkg = fakePackage('opsagent');
    const daemons = [
      { how: 'node <dir>/dist/src/cli.js run (the systemd unit)', proc: await start(process.execPath, [join(pkg, 'dist', 'src', 'cli.js'), 'run', '--config', '/etc/opsagent/netdata.yaml']), name: 'node' },
      { how: 'node dist/src/cli.js run in the package (npm start)', proc: await start(process.execPath, ['dist/src/cli.js', 'run'], pkg), name: 'node' },
      { how: 'the opsagent npm bin', proc: await start(process.execPath, [join(pkg, 'node_modules', '.bin', 'opsagent'), 'run']), name: 'node' },
      { how: 'bin/opsagent.sh run', proc: await start('bash', [join(pkg, 'bin', 'opsagent.sh'), 'run']), name: 'bash' },
      { how: 'another command (config-check)', proc: await start(process.execPath, [join(pkg, 'dist', 'src', 'cli.js'), 'config-check']), name: 'node' },
    ];
    const pids = daemons.map((d) => d.proc.pid!);
    // allowedPids names them, so nothing but the own-process rule stands in the way.
    const ctx = context({ killProcess: { allowedPids: pids, graceMs: 200 } });
    for (const d of daemons) {
      const r = await executeAction('kill_process', { pid: d.proc.pid, name: d.name, signal: 'SIGKILL' }, ctx);
      // The npm bin's script is named opsagent, so the protected name answers first there; either way it is refused.
      expect({ how: d.how, success: r.success, summary: r.summary }).toEqual({ how: d.how, success: false, summary: expect.stringMatching(/^not killed: refusing to signal PID \d+: (it runs the OpsAgent CLI \(.*\); the agent never stops itself or another OpsAgent process|"opsagent" is protected .*)$/) });
    }
    const { valid, rejected } = await checkProposals(daemons.map((d) => ({ type: 'kill_process', params: { pid: d.proc.pid, name: d.name }, reason: 'hogging memory' })), policy());
    expect(valid).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual(daemons.map(() => expect.stringMatching(/^an OpsAgent process: it runs the OpsAgent CLI/)));
    const snapshot = await gatherProcesses({ sampleMs: 100, top: 2_000, filter: OPEN_FILTER });
    for (const pid of pids) {
      const seen = [...snapshot.topCpu, ...snapshot.topMemory].find((p) => p.pid === pid);
      expect(seen).toMatchObject({ candidate: false, excludedBecause: expect.stringMatching(/^an OpsAgent process/) });
      expect([...snapshot.candidatesCpu, ...snapshot.candidatesMemory].some((p) => p.pid === pid)).toBe(false);
    }
    expect(daemons.every((d) => alive(d.proc))).toBe(true);
  });

  it('still kills another package\'s dist/src/cli.js', async () => {
    const other = fakePackage('buggy-app');
    const proc = await start(process.execPath, [join(other, 'dist', 'src', 'cli.js'), 'run']);
    const exited = new Promise((resolve) => proc.once('exit', (_c, signal) => resolve(signal)));
    const ctx = context({ killProcess: { allowedPids: [proc.pid] } });
    expect((await checkProposals([{ type: 'kill_process', params: { pid: proc.pid, name: 'node' }, reason: 'x' }], policy())).valid).toHaveLength(1);
    expect(await executeAction('kill_process', { pid: proc.pid, name: 'node' }, ctx)).toMatchObject({ success: true, summary: 'Process node killed' });
    expect(await exited).toBe('SIGTERM');
  });

  it('checks again before SIGKILL: a process that turned into the daemon during the grace period is not killed', async () => {
    const pkg = fakePackage('opsagent');
    // Named cli.js so the name still matches after the exec; ignores SIGTERM, then becomes `node …/dist/src/cli.js run`.
    const script = join(tempDir(), 'cli.js');
    writeFileSync(script, `trap '' TERM\necho ready > "$READY_FILE.pre"\nwhile [ ! -e "$READY_FILE.go" ]; do sleep 0.05; done\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(pkg, 'dist', 'src', 'cli.js'))} run\n`);
    const ready = join(tempDir(), 'ready');
    const proc = spawn('bash', [script], { stdio: 'ignore', env: { ...process.env, READY_FILE: ready } });
    onTestFinished(() => {
      if (alive(proc)) proc.kill('SIGKILL');
    });
    for (let i = 0; i < 400 && !existsSync(`${ready}.pre`); i++) await new Promise((r) => setTimeout(r, 25));
    const ctx = context({ killProcess: { allowedPids: [proc.pid], graceMs: 1_500 } });
    const killing = executeAction('kill_process', { pid: proc.pid, name: 'cli.js' }, ctx);
    await new Promise((r) => setTimeout(r, 200)); // SIGTERM has been sent and ignored
    writeFileSync(`${ready}.go`, '');
    const r = await killing;
    expect(existsSync(ready)).toBe(true); // it did become the daemon stand-in
    expect(r).toMatchObject({ success: false, summary: expect.stringMatching(/SIGKILL was not sent: refusing to signal PID \d+: it runs the OpsAgent CLI/) });
    expect(r.output).toMatch(/sent SIGTERM/);
    expect(alive(proc)).toBe(true);
  });

  it('protects sshd-session (OpenSSH ≥ 9.8) and systemd-* by name', async () => {
    for (const name of ['sshd-session', 'systemd-oomd']) {
      const dir = tempDir();
      symlinkSync('/bin/sleep', join(dir, name));
      const proc = spawn(join(dir, name), ['30'], { stdio: 'ignore' });
      onTestFinished(() => {
        if (alive(proc)) proc.kill('SIGKILL');
      });
      await new Promise((r) => setTimeout(r, 100));
      const r = await executeAction('kill_process', { pid: proc.pid, name }, context({ killProcess: { allowedPids: [proc.pid] } }));
      expect(r).toMatchObject({ success: false, summary: expect.stringMatching(new RegExp(`"${name}" is protected`)) });
      const proposed = await checkProposals([{ type: 'kill_process', params: { pid: proc.pid, name }, reason: 'x' }], policy());
      expect(proposed.rejected.map((p) => p.reason)).toEqual([expect.stringMatching(/^protected name/)]);
      expect(alive(proc)).toBe(true);
    }
  });
});
