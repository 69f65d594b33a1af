import { accessSync, constants } from 'node:fs';

/** The first executable of the candidates (an env override first), or undefined. No vitest here: bench/ uses it too. */
export function firstExecutable(candidates: (string | undefined)[]): string | undefined {
  for (const p of candidates) {
    if (!p) continue;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** The netdata binary, or undefined (tests skip with a message; CI installs it). */
export function netdataBinary(): string | undefined {
  return firstExecutable([process.env.NETDATA_BIN, '/usr/sbin/netdata', '/usr/bin/netdata']);
}

/** Debian's prometheus-alertmanager, or undefined. */
export function alertmanagerBinary(): string | undefined {
  return firstExecutable([process.env.ALERTMANAGER_BIN, '/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager']);
}

/** Debian's prometheus (the server, for the API v2 receiver tests), or undefined. */
export function prometheusBinary(): string | undefined {
  return firstExecutable([process.env.PROMETHEUS_BIN, '/usr/bin/prometheus', '/usr/local/bin/prometheus']);
}
