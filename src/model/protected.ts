/**
 * What no remediation may ever touch, whatever the config says: actions.killProcess.protectedNames and
 * actions.restartService.deny ADD to these sets, they never replace them (an operator writing `protectedNames: [foo]`
 * must not thereby make sshd killable). A `*` in a name matches any characters (`systemd-*`).
 *
 * Names are what a process answers to (its comm, its program's file name, the script an interpreter runs), so they
 * cannot identify OpsAgent itself (its comm is "node"): that takes its argv, see own-process.ts.
 */
export const BUILTIN_PROTECTED_NAMES: readonly string[] = [
  // init and systemd's own daemons (journald, logind, udevd, resolved, networkd, timesyncd, oomd, homed, userdbd…)
  'systemd',
  'systemd-*',
  'init',
  '(sd-pam)',
  'udevd',
  // remote access and logins: OpenSSH ≥ 9.8 runs each connection as sshd-session (and ≥ 10.0 authenticates in sshd-auth)
  'sshd',
  'sshd-session',
  'sshd-auth',
  'dropbear',
  'login',
  'agetty',
  // the system bus, authorization and identity
  'dbus-daemon',
  'dbus-broker',
  'dbus-broker-launch',
  'polkitd',
  'sssd*',
  // network and time: killing them can cut the machine off
  'NetworkManager',
  'wpa_supplicant',
  'dhclient',
  'dhcpcd',
  'chronyd',
  'ntpd',
  'firewalld',
  // logging and audit
  'rsyslogd',
  'syslog-ng',
  'auditd',
  // monitoring (Netdata and its collectors, apps.plugin, go.d.plugin…) and this agent
  'netdata',
  '*.plugin',
  'opsagent',
  // container runtimes and orchestration: one of them holds every container of the machine
  'dockerd',
  'docker-proxy',
  'containerd',
  'containerd-shim*',
  'crio',
  'conmon',
  'podman',
  'kubelet',
  'kube-proxy',
  'kube-apiserver',
  'etcd',
  'k3s*',
  'rke2*',
  // storage daemons: multipath, iSCSI, LVM, md RAID and ZFS event handling
  'multipathd',
  'iscsid',
  'lvmetad',
  'dmeventd',
  'mdmon',
  'zed',
  // databases
  'postgres',
  'postmaster',
  'mysqld',
  'mariadbd',
  'mongod',
  'redis-server',
  'valkey-server',
  'sqld',
];

export function protectedNames(configured: readonly string[]): string[] {
  return [...new Set([...BUILTIN_PROTECTED_NAMES, ...configured])];
}

/** `*` matches any characters; everything else is literal. */
export function nameGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * The first of a process's names that is protected (built in or configured), or undefined. The kernel cuts comm to
 * 15 bytes, so a 15-character name also matches a longer protected name it begins ("dbus-broker-lau").
 */
export function protectedNameMatch(names: readonly string[], configured: readonly string[]): string | undefined {
  const patterns = protectedNames(configured).filter((p) => p !== '').map((p) => ({ p, re: nameGlob(p) }));
  return names.find((n) => patterns.some(({ p, re }) => re.test(n) || (n.length === 15 && !p.includes('*') && p.length > 15 && p.startsWith(n))));
}

/**
 * Whether a process's /proc/PID/cgroup text lies in one of the allowed cgroups. Whole segments only: an entry with a
 * leading "/" is a path prefix ("/system.slice/app.service" matches itself and what is below it, never
 * "/system.slice/app.service-evil"); an entry without one matches consecutive whole segments anywhere in the path
 * ("app.slice" matches "/app.slice/x.scope", not "/myapp.slice").
 */
export function cgroupAllowed(cgroupText: string, allowed: readonly string[]): boolean {
  const paths = cgroupText
    .split('\n')
    .map((line) => line.split(':').slice(2).join(':').trim()) // "hierarchy:controllers:path"; the path may hold ':'
    .filter((p) => p.startsWith('/'));
  return allowed.some((entry) => {
    const want = entry.trim().replace(/\/+$/, '');
    if (want === '') return entry.trim() === '/' && paths.length > 0; // "/" = any cgroup
    return paths.some((p) =>
      want.startsWith('/') ? p === want || p.startsWith(`${want}/`) : `${p}/`.includes(`/${want}/`),
    );
  });
}
