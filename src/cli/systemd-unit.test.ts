import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../paths.js';
import { systemdUnit } from './systemd-unit.js';

/** The [Service] settings of a unit that say how it is confined, restarted and stopped, as `key=value` lines. */
function confinement(unit: string): string[] {
  const where = ['ExecStart', 'WorkingDirectory', 'Environment', 'Description', 'Documentation'];
  return unit.split('\n').filter((l) => /^[A-Z]\w+=/.test(l) && !where.includes(l.slice(0, l.indexOf('='))));
}

describe('the unit install-service writes', () => {
  const unit = systemdUnit({ node: '/usr/bin/node', program: '/usr/lib/node_modules/opsagent/dist/bin/opsagent.js', user: 'opsagent', configFile: '/etc/opsagent/opsagent.yaml', dataDir: '/var/lib/opsagent' });

  it('has every hardening, restart and stop setting of the shipped contrib unit', () => {
    const shipped = readFileSync(join(PACKAGE_ROOT, 'contrib/systemd/opsagent.service'), 'utf8');
    expect(confinement(unit)).toEqual(expect.arrayContaining(confinement(shipped)));
  });

  it('runs the installed program with the system config, its data directory as OPSAGENT_HOME', () => {
    expect(unit).toContain('ExecStart=/usr/bin/node /usr/lib/node_modules/opsagent/dist/bin/opsagent.js run --config /etc/opsagent/opsagent.yaml\n');
    expect(unit).toContain('Environment=OPSAGENT_HOME=/var/lib/opsagent\n');
  });
});
