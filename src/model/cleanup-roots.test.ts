import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { componentProblem, minimumAgeProblem, mountPointsBelow, parseMountInfo, pathComponents, systemRootProblem, unsafeRootReason, type PathStat } from './cleanup-roots.js';

describe('systemRootProblem', () => {
  it.each([
    ['/', /whole filesystem/],
    ['/etc', /holds the operating system \(\/etc\)/],
    ['/etc/nginx', /holds the operating system/],
    ['/usr', /operating system/],
    ['/usr/local/tmp', /operating system/],
    ['/boot', /operating system/],
    ['/bin', /operating system/],
    ['/sbin', /operating system/],
    ['/lib', /operating system/],
    ['/lib64', /operating system/],
    ['/proc', /operating system/],
    ['/sys/fs', /operating system/],
    ['/dev', /operating system/],
    ['/home', /system directory/],
    ['/root', /system directory/],
    ['/var', /system directory/],
    ['/var/lib', /system directory/],
    ['/var/log', /system directory/],
    ['/run', /system directory/],
    ['/opt', /system directory/],
    ['/srv', /system directory/],
    ['/tmp/', /trailing/],
    ['/tmp/../etc', /"\."/],
    ['/tmp//x', /"\/\/"/],
    ['tmp', /not an absolute path/],
  ])('refuses %s as a root', (root, problem) => {
    expect(systemRootProblem(root)).toMatch(problem);
  });

  it.each([['/tmp'], ['/var/tmp'], ['/dev/shm'], ['/var/cache/myapp'], ['/srv/app/tmp'], ['/home/ops/scratch'], ['/opt/app/cache'], ['/tmp/opsagent-test-x']])('accepts %s', (root) => {
    expect(systemRootProblem(root)).toBeUndefined();
  });
});

describe('minimumAgeProblem', () => {
  it.each([
    [['/tmp'], 0, /at least 1 there/],
    [['/srv/app/tmp', '/var/tmp'], 0.5, /\/var\/tmp/],
    [['/dev/shm'], 0, /at least 1/],
  ])('refuses %j with olderThanDays %d', (roots, days, problem) => {
    expect(minimumAgeProblem(roots, days)).toMatch(problem);
  });

  it.each([
    [['/tmp'], 1],
    [['/srv/app/tmp'], 0],
    [['/tmp/app-scratch'], 0],
  ])('accepts %j with olderThanDays %d', (roots, days) => {
    expect(minimumAgeProblem(roots, days)).toBeUndefined();
  });
});

const dir = (uid: number, mode: number): PathStat => ({ isDirectory: true, isSymbolicLink: false, uid, mode: 0o040000 | mode });
const AGENT = 998;

describe('componentProblem', () => {
  it.each([
    ['an ancestor owned by root, 0755', dir(0, 0o755), false],
    ['an ancestor owned by the agent, 0700', dir(AGENT, 0o700), false],
    ['/tmp itself (root, sticky, 1777) as an ancestor', dir(0, 0o1777), false],
    ['the root itself, world-writable and sticky', dir(0, 0o1777), true],
    ['the root itself, 0777', dir(0, 0o777), true],
  ])('accepts %s', (_what, st, isRoot) => {
    expect(componentProblem('/x', st, AGENT, isRoot)).toBeUndefined();
  });

  it.each([
    ['a sticky 1777 ancestor owned by another user', dir(1000, 0o1777), false, /belongs to uid 1000/],
    ['a sticky 1777 ancestor owned by the agent user', dir(AGENT, 0o1777), false, /writable by other users \(mode 1777\)/],
    ['a 0777 ancestor owned by root (no sticky bit)', dir(0, 0o777), false, /writable by other users \(mode 777\)/],
    ['a group-writable ancestor', dir(0, 0o775), false, /writable by other users/],
    ['an ancestor owned by another user', dir(1000, 0o755), false, /belongs to uid 1000/],
    ['a symlink', { isDirectory: false, isSymbolicLink: true, uid: 0, mode: 0o120777 }, false, /symbolic link/],
    ['a file', { isDirectory: false, isSymbolicLink: false, uid: 0, mode: 0o100644 }, false, /not a directory/],
    ['the root itself, owned by another user', dir(1000, 0o700), true, /belongs to uid 1000/],
    ['the root itself as a symlink', { isDirectory: false, isSymbolicLink: true, uid: 0, mode: 0o120777 }, true, /symbolic link/],
  ])('refuses %s', (_what, st, isRoot, problem) => {
    expect(componentProblem('/x', st, AGENT, isRoot)).toMatch(problem);
  });

  it('walks every component from /', async () => {
    expect(pathComponents('/var/tmp/app')).toEqual(['/', '/var', '/var/tmp', '/var/tmp/app']);
    const tree: Record<string, PathStat> = { '/': dir(0, 0o755), '/tmp': dir(0, 0o1777), '/tmp/cache': { isDirectory: false, isSymbolicLink: true, uid: 1000, mode: 0o120777 } };
    const lstat = (p: string) => (tree[p] ? Promise.resolve(tree[p]) : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })));
    expect(await unsafeRootReason('/tmp/cache', lstat, AGENT)).toMatch(/^cleanup root \/tmp\/cache is not safe: \/tmp\/cache is a symbolic link/);
    expect(await unsafeRootReason('/tmp/missing', lstat, AGENT)).toMatch(/^cleanup root \/tmp\/missing does not exist/);
    expect(await unsafeRootReason('/tmp', lstat, AGENT)).toBeUndefined();
    expect(await unsafeRootReason('/etc', lstat, AGENT)).toMatch(/operating system/);
  });
});

describe('parseMountInfo and mountPointsBelow', () => {
  const crafted = [
    '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '23 22 0:21 / /tmp rw,nosuid,nodev shared:2 - tmpfs tmpfs rw',
    '45 23 254:0 /srv/data /tmp/cache/data rw,relatime shared:1 - ext4 /dev/vda rw', // a bind mount of the root filesystem: same st_dev as /
    '46 23 254:0 /home /tmp/with\\040space rw,relatime - ext4 /dev/vda rw',
    '47 22 0:30 / /tmpfoo rw - tmpfs tmpfs rw', // a sibling whose name begins like /tmp, not below it
    '48 23 254:0 /srv/data /tmp/cache/data rw - ext4 /dev/vda rw', // the same mount point twice (stacked)
    'garbage line',
    '',
  ].join('\n');

  it('reads ids, the bind source and escaped mount points', () => {
    const mounts = parseMountInfo(crafted);
    expect(mounts).toHaveLength(6);
    expect(mounts[2]).toEqual({ mountId: 45, parentId: 23, source: '/srv/data', mountPoint: '/tmp/cache/data', fsType: 'ext4' });
    expect(mounts[3]!.mountPoint).toBe('/tmp/with space');
  });

  it('lists every mount point strictly below a root, once, and nothing beside it', () => {
    const mounts = parseMountInfo(crafted);
    expect(mountPointsBelow(mounts, '/tmp')).toEqual(['/tmp/cache/data', '/tmp/with space']);
    expect(mountPointsBelow(mounts, '/tmp/cache')).toEqual(['/tmp/cache/data']);
    expect(mountPointsBelow(mounts, '/tmp/cache/data')).toEqual([]);
    expect(mountPointsBelow(mounts, '/var/tmp')).toEqual([]);
  });

  it('parses this machine\'s real /proc/self/mountinfo', () => {
    const mounts = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(mounts.length).toBeGreaterThan(0);
    expect(mounts.some((m) => m.mountPoint === '/')).toBe(true);
    expect(mounts.every((m) => m.mountPoint.startsWith('/') && Number.isInteger(m.mountId))).toBe(true);
    expect(mountPointsBelow(mounts, '/')).toEqual(expect.arrayContaining(mounts.map((m) => m.mountPoint).filter((p) => p !== '/')));
  });
});
