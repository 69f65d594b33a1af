import { describe, expect, it } from 'vitest';
import { protectedNameMatch } from './protected.js';

describe('protectedNameMatch', () => {
  it.each([
    ['sshd-session'], // OpenSSH ≥ 9.8, one per connection
    ['sshd-auth'],
    ['sshd'],
    ['systemd'],
    ['systemd-journal'], // comm of systemd-journald, cut to 15 bytes
    ['systemd-journald'],
    ['systemd-timesyn'],
    ['systemd-oomd'],
    ['polkitd'],
    ['NetworkManager'],
    ['chronyd'],
    ['containerd-shim'],
    ['containerd-shim-runc-v2'],
    ['kubelet'],
    ['netdata'],
    ['apps.plugin'],
    ['go.d.plugin'],
    ['dbus-broker-lau'], // comm of dbus-broker-launch
    ['postgres'],
    ['opsagent'],
  ])('protects %s whatever the config lists', (name) => {
    expect(protectedNameMatch([name], ['something-else'])).toBe(name);
  });

  it.each([['node'], ['sleep'], ['buggy-app'], ['api-server'], ['systemdx'], ['sshd2'], ['plugin']])('leaves %s killable', (name) => {
    expect(protectedNameMatch([name], [])).toBeUndefined();
  });

  it('adds configured names, with * as a wildcard, and keeps other characters literal', () => {
    expect(protectedNameMatch(['worker-7'], ['worker-*'])).toBe('worker-7');
    expect(protectedNameMatch(['a.b'], ['a.b'])).toBe('a.b');
    expect(protectedNameMatch(['axb'], ['a.b'])).toBeUndefined();
    expect(protectedNameMatch(['node', 'cli.js'], ['cli.js'])).toBe('cli.js');
  });
});
