import { describe, expect, it } from 'vitest';
import { opsagentInvocation, ownProcessReason, packageJsonPath } from './own-process.js';

describe('opsagentInvocation', () => {
  it.each([
    // the shipped systemd unit, `npm start`, and bin/opsagent.sh's exec
    [['/usr/bin/node', '/opt/opsagent/dist/src/cli.js', 'run', '--config', '/etc/opsagent/netdata.yaml'], { script: '/opt/opsagent/dist/src/cli.js', packageDir: '/opt/opsagent/' }],
    [['node', 'dist/src/cli.js', 'run'], { script: 'dist/src/cli.js', packageDir: '' }],
    [['node', './dist/src/cli.js', 'actions-approve', 'ab12', '--wait', '30'], { script: './dist/src/cli.js', packageDir: './' }],
    [['node20', '--enable-source-maps', '--max-old-space-size=200', '/srv/x/dist/src/cli.js', 'run'], { script: '/srv/x/dist/src/cli.js', packageDir: '/srv/x/' }],
    [['/usr/bin/node', '--require', '/w/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///w/node_modules/tsx/dist/loader.mjs', 'src/cli.ts', 'run'], { script: 'src/cli.ts', packageDir: '' }],
    [['node', '/w/node_modules/.bin/tsx', 'src/cli.ts', 'run'], { script: 'src/cli.ts', packageDir: '' }],
    // the npm bin and bin/opsagent.sh: the name says it
    [['node', '/usr/local/bin/opsagent', 'run'], { script: '/usr/local/bin/opsagent' }],
    [['node', '/app/node_modules/.bin/opsagent', 'config-check', 'x.yaml'], { script: '/app/node_modules/.bin/opsagent' }],
    [['bash', './bin/opsagent.sh', 'run'], { script: './bin/opsagent.sh' }],
    [['/bin/bash', '-e', '/opt/opsagent/bin/opsagent.sh', 'run'], { script: '/opt/opsagent/bin/opsagent.sh' }],
    [['opsagent'], { script: 'opsagent' }],
    // process.title folds the command line into one string
    [['npm exec opsagent run'], { script: 'opsagent' }],
    [['node dist/src/cli.js run'], { script: 'dist/src/cli.js', packageDir: '' }],
    [['npm', 'start'], { script: 'npm start', packageDir: '' }],
    [['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'start'], { script: 'npm run', packageDir: '' }],
    [['/usr/bin/env', 'OPSAGENT_HOME=/var/lib/opsagent', 'node', '/opt/opsagent/dist/src/cli.js', 'run'], { script: '/opt/opsagent/dist/src/cli.js', packageDir: '/opt/opsagent/' }],
    [['sh', '-c', 'npm run build --silent && node dist/src/cli.js run'], { script: 'dist/src/cli.js', packageDir: '' }],
    [['/bin/sh', '-c', 'exec /usr/bin/node /opt/app/dist/src/cli.js run >>/var/log/app.log'], { script: '/opt/app/dist/src/cli.js', packageDir: '/opt/app/' }],
  ])('recognises %j', (argv, expected) => {
    expect(opsagentInvocation(argv)).toEqual(expected);
  });

  it.each([
    [['node', '/srv/buggy-app/server.js']],
    [['node', '-e', 'require("/opt/opsagent/dist/src/cli.js")']],
    [['/usr/bin/python3', '/opt/opsagent/dist/src/cli.js']],
    [['sleep', '30']],
    [['node', '/w/node_modules/vitest/vitest.mjs', 'run']],
    [['node', '/opt/x/dist/src/cli.json']],
    [['node', '/opt/x/mydist/src/cli.js']],
    [['bash', '/home/u/not-opsagent.sh']],
    [[]],
  ])('does not take %j for the CLI', (argv) => {
    expect(opsagentInvocation(argv)).toBeUndefined();
  });
});

describe('ownProcessReason', () => {
  const files = (map: Record<string, string>) => (path: string) => Promise.resolve(map[path]);

  it('asks the package.json beside dist/src/cli.js, through the process\'s own root or working directory', async () => {
    expect(packageJsonPath(42, '/opt/opsagent/')).toBe('/proc/42/root/opt/opsagent/package.json');
    expect(packageJsonPath(42, '')).toBe('/proc/42/cwd/package.json');
    const argv = ['node', '/opt/opsagent/dist/src/cli.js', 'run'];
    const ours = files({ '/proc/42/root/opt/opsagent/package.json': '{"name":"opsagent","type":"module"}' });
    expect(await ownProcessReason({ pid: 42, argv, cgroup: '' }, ours)).toBe('it runs the OpsAgent CLI (/opt/opsagent/dist/src/cli.js)');
    const theirs = files({ '/proc/42/root/opt/opsagent/package.json': '{"name":"buggy-app"}' });
    expect(await ownProcessReason({ pid: 42, argv, cgroup: '' }, theirs)).toBeUndefined();
  });

  it.each([
    ['missing', undefined],
    ['not JSON', '{"name": "opsag'],
    ['without a name', '{"version":"1.0.0"}'],
    ['null', 'null'],
  ])('counts a dist/src/cli.js whose package.json is %s as ours (refusing a stranger is the safe mistake)', async (_what, text) => {
    const reason = await ownProcessReason({ pid: 7, argv: ['node', 'dist/src/cli.js', 'run'], cgroup: '' }, files(text === undefined ? {} : { '/proc/7/cwd/package.json': text }));
    expect(reason).toMatch(/may be the OpsAgent CLI/);
  });

  it('knows the shipped unit by its cgroup, whatever the process runs', async () => {
    const reason = await ownProcessReason({ pid: 9, argv: ['sleep', '5'], cgroup: '0::/system.slice/opsagent.service\n' }, files({}));
    expect(reason).toBe("it runs in opsagent.service, the agent's own unit");
    expect(await ownProcessReason({ pid: 9, argv: ['sleep', '5'], cgroup: '0::/system.slice/opsagent-helper.service\n' }, files({}))).toBeUndefined();
  });
});
