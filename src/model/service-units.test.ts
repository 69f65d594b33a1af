import { describe, expect, it } from 'vitest';
import { checkRestartableUnit, normalizeUnit, serviceUnitsInCgroup, type RestartRules } from './service-units.js';

const OPEN: RestartRules = { allow: [], deny: [], ownUnits: [] };

describe('checkRestartableUnit', () => {
  it.each([
    ['nginx', 'nginx.service'],
    ['nginx.service', 'nginx.service'],
    ['api-server', 'api-server.service'],
    ['php8.2-fpm', 'php8.2-fpm.service'],
    ['openvpn@client', 'openvpn@client.service'],
    ['app_worker.service', 'app_worker.service'],
  ])('restarts %s as %s', (name, unit) => {
    expect(checkRestartableUnit(name, OPEN)).toEqual({ ok: true, unit });
  });

  it.each([
    ['reboot.target', /^reboot.target is a target, not a service: .*whole machine/],
    ['emergency.target', /is a target, not a service/],
    ['multi-user.target', /is a target, not a service/],
    ['systemd-journald.socket', /is a socket, not a service/],
    ['docker.socket', /is a socket, not a service/],
    ['home.mount', /is a mount, not a service/],
    ['proc-sys-fs-binfmt_misc.automount', /is a automount, not a service/],
    ['swapfile.swap', /is a swap, not a service/],
    ['user-1000.slice', /is a slice, not a service/],
    ['system.slice', /is a slice, not a service/],
    ['session-3.scope', /is a scope, not a service/],
    ['apt-daily.timer', /is a timer, not a service/],
    ['cups.path', /is a path, not a service/],
    ['dev-sda.device', /is a device, not a service/],
    ['user@0.service', /^user@0.service is always protected: .*login session/],
    ['user@1000', /^user@1000.service is always protected/],
    ['user-runtime-dir@1000.service', /always protected: .*login session/],
    ['systemd-journald', /^systemd-journald.service is always protected: systemd's own/],
    ['systemd-logind.service', /always protected: systemd's own/],
    ['systemd-networkd', /always protected/],
    ['systemd-udevd.service', /always protected/],
    ['Systemd-Resolved', /always protected/],
    ['opsagent', /^opsagent.service is always protected: it is the agent itself/],
    ['opsagent.service', /the agent itself/],
    ['opsagent@staging.service', /the agent itself/],
    ['netdata', /always protected: it is the monitoring/],
    ['sshd', /always protected: it is remote access/],
    ['ssh.service', /remote access/],
    ['sshd@0-10.0.0.1:22-10.0.0.2:50000.service', /remote access/],
    ['dbus', /system bus/],
    ['dbus-broker.service', /system bus/],
    ['dbus-org.freedesktop.login1.service', /system bus/],
    ['messagebus', /system bus/],
    ['polkit', /system bus and authorization/],
    ['NetworkManager', /networking/],
    ['networking', /networking/],
    ['getty@tty1.service', /login console/],
    ['serial-getty@ttyS0', /login console/],
    ['emergency.service', /login console/],
    ['display-manager', /desktop session/],
    ['docker', /container runtime/],
    ['containerd.service', /container runtime/],
    ['kubelet', /container runtime/],
    ['k3s-agent', /container runtime/],
    ['postgresql', /database/],
    ['postgresql@16-main.service', /database/],
    ['postgresql-16', /database/],
    ['mysql', /database/],
    ['mariadb.service', /database/],
    ['mongod', /database/],
    ['redis-server', /database/],
    ['multipathd', /storage/],
    ['lvm2-monitor', /storage/],
    ['auditd', /audit/],
    ['getty@.service', /is a template/],
    ['a@b@c.service', /more than one "@"/],
    ['x; rm -rf /', /not a valid systemd unit name/],
    ['--force', /not a valid systemd unit name/],
    ['.service', /not a valid systemd unit name/],
    ['@x.service', /not a valid systemd unit name/],
    ['', /not a valid systemd unit name/],
  ])('refuses %s', (name, reason) => {
    const verdict = checkRestartableUnit(name, OPEN);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });

  it('refuses the unit the agent runs in, whatever it is called', () => {
    const rules = { ...OPEN, ownUnits: serviceUnitsInCgroup('0::/system.slice/ops-bot.service\n') };
    expect(checkRestartableUnit('ops-bot', rules)).toEqual({ ok: false, reason: 'ops-bot.service is the unit the agent runs in: restarting it would kill the agent in the middle of the action' });
    expect(checkRestartableUnit('nginx', rules)).toEqual({ ok: true, unit: 'nginx.service' });
  });

  it('applies the deny list on top of the rule, and lets the allow list only narrow it', () => {
    expect(checkRestartableUnit('legacy', { ...OPEN, deny: ['legacy.service'] })).toEqual({ ok: false, reason: 'legacy is in actions.restartService.deny' });
    const allow = { ...OPEN, allow: ['api.service', 'reboot.target', 'netdata', 'user@0.service'] };
    expect(checkRestartableUnit('api', allow)).toEqual({ ok: true, unit: 'api.service' });
    expect(checkRestartableUnit('web', allow)).toEqual({ ok: false, reason: 'web is not in actions.restartService.allow' });
    for (const refused of ['reboot.target', 'netdata', 'user@0.service']) expect(checkRestartableUnit(refused, allow).ok).toBe(false);
  });
});

describe('normalizeUnit and serviceUnitsInCgroup', () => {
  it.each([
    ['nginx', 'nginx.service'],
    ['nginx.socket', 'nginx.socket'],
    ['php8.2-fpm', 'php8.2-fpm.service'],
    ['foo.bar', 'foo.bar.service'],
  ])('reads %s as %s, as systemctl does', (name, unit) => {
    expect(normalizeUnit(name)).toBe(unit);
  });

  it.each([
    ['0::/system.slice/opsagent.service\n', ['opsagent.service']],
    ['0::/user.slice/user-1000.slice/user@1000.service/app.slice/dev.service\n', ['user@1000.service', 'dev.service']],
    ['12:memory:/system.slice/a.service\n1:name=systemd:/system.slice/a.service\n', ['a.service']],
    ['0::/\n', []],
    ['0::/system.slice/docker-abc.scope\n', []],
  ])('finds the service units of %j', (text, units) => {
    expect(serviceUnitsInCgroup(text)).toEqual(units);
  });
});
