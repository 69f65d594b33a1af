/**
 * What no remediation may ever touch, whatever the config says: actions.killProcess.protectedNames and
 * actions.restartService.deny ADD to these sets, they never replace them (an operator writing `protectedNames: [foo]`
 * must not thereby make sshd killable).
 */
export const BUILTIN_PROTECTED_NAMES: readonly string[] = [
  'systemd',
  'init',
  'sshd',
  'netdata',
  'dbus-daemon',
  'dbus-broker',
  'systemd-journald',
  'systemd-logind',
  'systemd-udevd',
  'systemd-resolved',
  'systemd-networkd',
  'dockerd',
  'containerd',
  'postgres',
  'mysqld',
  'mariadbd',
  'sqld',
  'opsagent',
];

export const BUILTIN_DENIED_UNITS: readonly string[] = [
  'sshd.service',
  'ssh.service',
  'systemd-journald.service',
  'dbus.service',
  'dbus-broker.service',
  'systemd-logind.service',
];

export function protectedNames(configured: readonly string[]): string[] {
  return [...new Set([...BUILTIN_PROTECTED_NAMES, ...configured])];
}

export function deniedUnits(configured: readonly string[]): string[] {
  return [...new Set([...BUILTIN_DENIED_UNITS, ...configured])];
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
