import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configCandidates, findConfig, standardPlaces, SYSTEM_PLACES, userPlaces } from './paths.js';

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-paths-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('standard places', () => {
  it('puts root in /etc and /var/lib, and a user in the XDG directories, with the XDG defaults under HOME', () => {
    expect(standardPlaces({ HOME: '/home/ann' }, 0)).toEqual(SYSTEM_PLACES);
    expect(standardPlaces({ HOME: '/home/ann', XDG_CONFIG_HOME: '/x/conf', XDG_DATA_HOME: '/x/data' }, 1000)).toEqual({
      configFile: '/x/conf/opsagent/opsagent.yaml',
      dataDir: '/x/data/opsagent',
    });
    // The XDG spec says a relative value is invalid and to be ignored.
    expect(userPlaces({ HOME: '/home/ann', XDG_CONFIG_HOME: 'relative' })).toEqual({
      configFile: '/home/ann/.config/opsagent/opsagent.yaml',
      dataDir: '/home/ann/.local/share/opsagent',
    });
  });
});

describe('config lookup', () => {
  it('takes OPSAGENT_CONFIG alone, whether or not the file exists', () => {
    expect(configCandidates({ OPSAGENT_CONFIG: '/nowhere/x.yaml' })).toEqual([{ path: '/nowhere/x.yaml', source: 'OPSAGENT_CONFIG' }]);
  });

  it("finds the user's config before the system one and the package's example, in the documented order", () => {
    const home = tempHome();
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'conf'), OPSAGENT_HOME: join(home, 'pkg') };
    expect(configCandidates(env, home).map((c) => c.path)).toEqual([
      join(home, 'config/netdata.yaml'),
      join(home, 'conf/opsagent/opsagent.yaml'),
      '/etc/opsagent/opsagent.yaml',
      join(home, 'pkg/config/netdata.yaml'),
    ]);
    mkdirSync(join(home, 'conf/opsagent'), { recursive: true });
    writeFileSync(join(home, 'conf/opsagent/opsagent.yaml'), '{}\n');
    expect(findConfig(env, home)).toEqual({ path: join(home, 'conf/opsagent/opsagent.yaml'), source: "the user's config ($XDG_CONFIG_HOME)" });
    mkdirSync(join(home, 'config'));
    writeFileSync(join(home, 'config/netdata.yaml'), '{}\n');
    expect(findConfig(env, home).source).toBe('the working directory');
  });
});
