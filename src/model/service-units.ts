import { nameGlob } from './protected.js';

/**
 * Which systemd units restart_service may restart: one rule, used where a proposal is checked and again by the
 * executor right before systemctl runs. Unit names come from alert text and LLM output, so everything here treats
 * them as hostile. Pure: the caller reads /proc/self/cgroup and passes the agent's own units in.
 */

/** systemd.unit(5): a name without one of these suffixes means NAME.service, as systemctl reads it. */
const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'] as const;
type UnitType = (typeof UNIT_TYPES)[number];

const NOT_A_SERVICE: Record<Exclude<UnitType, 'service'>, string> = {
  target: 'restarting a target (reboot.target, emergency.target, rescue.target…) changes the state of the whole machine',
  socket: 'restarting a socket unit drops the connections of every service it starts',
  device: 'a device is not something to restart',
  mount: 'restarting a mount unmounts a filesystem under whatever uses it',
  automount: 'restarting an automount unmounts a filesystem under whatever uses it',
  swap: 'restarting a swap unit pulls swap away from running programs',
  path: 'a path unit only starts other units',
  timer: 'a timer only starts other units',
  slice: 'a slice is stopped with every service in it',
  scope: 'a scope holds processes systemd did not start (a login session, a container) and cannot be restarted',
};

/**
 * Services that are never restarted, as globs over the unit's base name (no ".service", no "@instance"), compared in
 * lower case: a restart of one of them cuts off remote access, stops the machine's plumbing, the monitoring, or
 * everything that a database or container runtime holds.
 */
const PROTECTED_SERVICES: readonly { names: readonly string[]; why: string }[] = [
  { names: ['systemd', 'systemd-*'], why: "systemd's own services run logging, logins, devices, networking and time for the whole machine" },
  { names: ['user', 'user-runtime-dir'], why: 'it holds a user\'s whole login session (user@UID.service), which a restart ends' },
  { names: ['getty', 'serial-getty', 'autovt', 'console-getty', 'container-getty', 'emergency', 'rescue', 'debug-shell', 'display-manager', 'gdm', 'gdm3', 'sddm', 'lightdm'], why: 'it is a login console or desktop session, which a restart ends' },
  { names: ['ssh', 'sshd', 'ssh-*', 'sshd-*', 'dropbear', 'openssh*'], why: 'it is remote access: a failed restart locks everyone out' },
  { names: ['dbus', 'dbus-*', 'messagebus', 'polkit', 'polkitd'], why: 'the system bus and authorization: most services lose their connection when it restarts' },
  { names: ['networkmanager', 'networkmanager-*', 'network-manager', 'networking', 'network', 'wpa_supplicant', 'firewalld', 'nftables', 'iptables', 'ip6tables', 'ufw'], why: 'it is networking or the firewall: a restart can cut the machine off' },
  { names: ['netdata', 'netdata-*'], why: 'it is the monitoring the agent and its operators rely on' },
  { names: ['opsagent', 'opsagent-*'], why: 'it is the agent itself: a restart would stop it in the middle of the action' },
  { names: ['docker', 'docker-*', 'containerd', 'crio', 'cri-o', 'podman', 'kubelet', 'k3s', 'k3s-*', 'rke2-*', 'snap.microk8s.*'], why: 'it is a container runtime: every container on the machine stops with it' },
  { names: ['postgresql', 'postgresql-*', 'mysql', 'mysqld', 'mariadb', 'mongod', 'mongodb', 'redis', 'redis-*', 'valkey', 'valkey-*', 'etcd', 'sqld', 'elasticsearch', 'opensearch', 'cassandra', 'clickhouse-server', 'influxdb'], why: 'it is a database: a restart drops every connection and can lose what was not yet written' },
  { names: ['multipathd', 'iscsid', 'lvm2-*', 'dm-event', 'mdmonitor', 'zfs-*', 'blk-availability'], why: 'it manages storage the filesystems depend on' },
  { names: ['auditd'], why: 'it is the audit log: stopping it can halt the machine (audit failure mode)' },
];

const PROTECTED = PROTECTED_SERVICES.flatMap(({ names, why }) => names.map((n) => ({ re: nameGlob(n), why })));

/** "nginx" and "nginx.service" name the same unit; "php8.2-fpm" has no unit suffix, so it is php8.2-fpm.service. */
export function normalizeUnit(name: string): string {
  const suffix = name.slice(name.lastIndexOf('.') + 1);
  return name.includes('.') && (UNIT_TYPES as readonly string[]).includes(suffix) ? name : `${name}.service`;
}

export function sameUnit(a: string, b: string): boolean {
  return normalizeUnit(a) === normalizeUnit(b);
}

/** Every `.service` segment of a /proc/PID/cgroup text: the units that process runs in (a restart of any stops it). */
export function serviceUnitsInCgroup(cgroupText: string): string[] {
  const units = cgroupText
    .split('\n')
    .flatMap((line) => line.split(':').slice(2).join(':').split('/'))
    .filter((segment) => segment.endsWith('.service'));
  return [...new Set(units)];
}

export interface RestartRules {
  /** actions.restartService.allow: [] = any unit the rule permits; otherwise only these. */
  allow: readonly string[];
  /** actions.restartService.deny: refused on top of the built-in protections. */
  deny: readonly string[];
  /** The units the running agent is in (serviceUnitsInCgroup of /proc/self/cgroup). */
  ownUnits: readonly string[];
}

export type UnitVerdict = { ok: true; unit: string } | { ok: false; reason: string };

/**
 * Whether `name` may be restarted, and as which unit. Only .service units, never a template, never one of systemd's
 * own, a user session, the agent's own unit or a protected service; the configured deny list adds to those, and a
 * non-empty allow list narrows further (it never allows what the rule refuses). The reason is one sentence.
 */
export function checkRestartableUnit(name: string, rules: RestartRules): UnitVerdict {
  const shown = name.slice(0, 128);
  if (!/^[A-Za-z0-9@._:-]{1,128}$/.test(name) || name.startsWith('-') || name.startsWith('.')) {
    return { ok: false, reason: `"${shown}" is not a valid systemd unit name` };
  }
  const unit = normalizeUnit(name);
  const type = unit.slice(unit.lastIndexOf('.') + 1) as UnitType;
  if (type !== 'service') return { ok: false, reason: `${unit} is a ${type}, not a service: restart_service only restarts .service units (${NOT_A_SERVICE[type]})` };
  const stem = unit.slice(0, -'.service'.length);
  if (stem.split('@').length > 2) return { ok: false, reason: `"${shown}" is not a valid systemd unit name (more than one "@")` };
  const at = stem.indexOf('@');
  const base = (at >= 0 ? stem.slice(0, at) : stem).toLowerCase();
  if (base === '') return { ok: false, reason: `"${shown}" is not a valid systemd unit name` };
  if (at >= 0 && at === stem.length - 1) return { ok: false, reason: `${unit} is a template, not a unit that runs: name an instance (${base}@NAME.service)` };

  if (rules.deny.some((d) => sameUnit(d, name))) return { ok: false, reason: `${name} is in actions.restartService.deny` };
  if (rules.ownUnits.some((u) => sameUnit(u, unit))) return { ok: false, reason: `${unit} is the unit the agent runs in: restarting it would kill the agent in the middle of the action` };
  const hit = PROTECTED.find(({ re }) => re.test(base));
  if (hit) return { ok: false, reason: `${unit} is always protected: ${hit.why}` };
  if (rules.allow.length > 0 && !rules.allow.some((a) => sameUnit(a, name))) return { ok: false, reason: `${name} is not in actions.restartService.allow` };
  return { ok: true, unit };
}
