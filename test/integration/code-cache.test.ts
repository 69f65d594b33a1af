import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/temp-store.js';

// The shipped program as an operator runs it (npm test builds dist/bin/ first, code cache included).
const BIN = join(PACKAGE_ROOT, 'dist/bin/opsagent.js');

function opsagent(args: string[], cacheHome: string, nodeFlags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...nodeFlags, BIN, ...args], {
    env: { ...process.env, OPSAGENT_CONFIG: '', XDG_CACHE_HOME: cacheHome, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function userCaches(cacheHome: string): string[] {
  const dir = join(cacheHome, 'opsagent');
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
}

describe('the code cache of the shipped program', () => {
  it('is built with the program, and V8 takes it: a command writes nothing to the user cache', () => {
    expect(statSync(join(PACKAGE_ROOT, 'dist/bin/opsagent-cli.cache')).size).toBeGreaterThan(100_000);
    const home = tempDir('opsagent-cache-');
    const r = opsagent(['fingerprint', 'cpu_usage', 'system.cpu', 'system.cpu'], home);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // DESIGN §3: sha256("<name>:<context>:<chart>"), its first 16 hex digits
    expect(r.stdout).toContain(createHash('sha256').update('cpu_usage:system.cpu:system.cpu').digest('hex').slice(0, 16));
    expect(userCaches(home)).toEqual([]);
  });

  it('when V8 refuses the shipped cache (other flags), the first short command writes one for the user and the next uses it', () => {
    const home = tempDir('opsagent-cache-');
    const first = opsagent(['--help'], home, ['--stack-size=2000']);
    expect(first.code).toBe(0);
    const [written, ...more] = userCaches(home);
    expect(more).toEqual([]);
    expect(statSync(written!).mode & 0o777).toBe(0o600);
    const before = readFileSync(written!);
    const second = opsagent(['--help'], home, ['--stack-size=2000']);
    expect(second).toEqual(first);
    expect(readFileSync(written!).equals(before)).toBe(true); // accepted, so not rewritten
  });

  it('a damaged cache is only ever a slower start: the command answers the same and the cache is rewritten', () => {
    const home = tempDir('opsagent-cache-');
    const good = opsagent(['fingerprint', 'a', 'b', 'c'], home, ['--stack-size=2000']);
    const [written] = userCaches(home);
    writeFileSync(written!, Buffer.from('not a V8 code cache at all'));
    const again = opsagent(['fingerprint', 'a', 'b', 'c'], home, ['--stack-size=2000']);
    expect(again).toEqual(good);
    expect(readFileSync(written!).toString('latin1')).not.toContain('not a V8 code cache');
    expect(readFileSync(written!).length).toBeGreaterThan(10_000);
  });

  it('with --enable-source-maps the bundle loads plainly and a failure still reads as one line', () => {
    const home = tempDir('opsagent-cache-');
    const r = opsagent(['issues-show', 'issue-1-abcdef', '--db', `file:${join(home, 'o.db')}`], home, [], { NODE_OPTIONS: '--enable-source-maps' });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('opsagent: no issue with id "issue-1-abcdef"\n');
    expect(userCaches(home)).toEqual([]);
  });

  it('starts the daemon from the ES-module build (dist/bin/daemon/), not from the one-file bundle and its cache', async () => {
    const home = tempDir('opsagent-cache-');
    const config = join(home, 'opsagent.yaml');
    writeFileSync(config, `server: { port: 0 }\nnetdata: { url: "" }\ndiscord: { enabled: false }\ndatabase: { url: "file:${join(home, 'o.db')}" }\n`);
    const daemon = spawnDaemon(config, { program: BIN, env: { XDG_CACHE_HOME: home, NODE_DEBUG: 'esm' } });
    const url = await daemon.started();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await daemon.terminate()).code).toBe(0);
    expect(daemon.output()).toMatch(/dist\/bin\/daemon\/opsagent\.js/); // NODE_DEBUG=esm names each ES module it loads
    expect(userCaches(home)).toEqual([]);
  });
});
