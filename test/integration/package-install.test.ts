import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../helpers/temp-store.js';

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }) {
  const r = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, input: options.input ?? '', encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The files of a fresh clone (what git tracks, plus this tree's untracked new files), without dist/. */
function cloneOfThisTree(): string {
  const dir = tempDir('opsagent-clone-');
  const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: PACKAGE_ROOT }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(PACKAGE_ROOT, file))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(PACKAGE_ROOT, file), join(dir, file));
  }
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('the npm package', () => {
  it('packs the built program, installs globally into a prefix and runs from any directory with the standard places', { timeout: 600_000 }, () => {
    // Packed from a copy: its prepack build writes the copy's dist/, not the one other tests are running.
    const clone = cloneOfThisTree();
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const packs = tempDir('opsagent-pack-');
    const pack = run('npm', ['pack', '--pack-destination', packs], { cwd: clone });
    expect({ code: pack.code, stderr: pack.stderr }).toMatchObject({ code: 0 });
    const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
    const listing = run('tar', ['tzf', tarball], { cwd: packs }).stdout.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['package/dist/bin/opsagent.js', 'package/dist/bin/opsagent-cli.cjs', 'package/dist/bin/opsagent-cli.cache', 'package/migrations/0001_issues.sql', 'package/config/netdata.yaml', 'package/src/server/dashboard/assets/dashboard.js']));
    expect(listing.filter((f) => f.startsWith('package/src/') && f.endsWith('.ts'))).toEqual([]);

    const prefix = tempDir('opsagent-prefix-');
    const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: packs });
    expect({ code: install.code, stderr: install.stderr }).toMatchObject({ code: 0 });
    const bin = join(prefix, 'bin', 'opsagent');

    const home = tempDir('opsagent-home-');
    const elsewhere = tempDir('opsagent-cwd-');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), CI: '1' };
    const opsagent = (args: string[], input?: string) => run(bin, args, { cwd: elsewhere, env, ...(input ? { input } : {}) });

    // As root, init writes /etc/opsagent; --user keeps this test in its temp directories.
    const init = opsagent(['init', ...(process.getuid?.() === 0 ? ['--user'] : [])]);
    expect({ code: init.code, stderr: init.stderr }).toMatchObject({ code: 0 });
    const configFile = join(home, 'config', 'opsagent', 'opsagent.yaml');
    expect(readFileSync(configFile, 'utf8')).toContain(`url: "file:${join(home, 'data', 'opsagent', 'opsagent.db')}"`);
    expect(opsagent(['init', '--user']).stdout).toContain(`kept the existing config ${configFile}`);

    const check = opsagent(['config-check']);
    expect({ code: check.code, stderr: check.stderr }).toMatchObject({ code: 0 });
    expect(check.stdout).toContain(`using ${configFile} (the user's config ($XDG_CONFIG_HOME))`);

    const ingest = opsagent(['alerts-ingest', '-'], JSON.stringify({ name: 'disk_full', status: 'CRITICAL', server_id: 'web-1' }));
    expect({ code: ingest.code, stderr: ingest.stderr, stdout: ingest.stdout }).toMatchObject({ code: 0, stdout: 'ingested 1 event(s) into 1 issue(s): 1 created\n' });
    const list = opsagent(['issues-list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ title: 'disk_full', server_id: 'web-1', status: 'open' })]);
    expect(existsSync(join(home, 'data', 'opsagent', 'opsagent.db'))).toBe(true);

    const unit = opsagent(['install-service', '--print']).stdout;
    expect(unit).toContain(`ExecStart=${process.execPath} ${join(prefix, 'lib', 'node_modules', 'opsagent', 'dist', 'bin', 'opsagent.js')} run --config /etc/opsagent/opsagent.yaml`);
    expect(unit).toContain('NoNewPrivileges=true');
  });
});
