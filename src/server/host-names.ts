import { hostname, networkInterfaces } from 'node:os';

/**
 * The host names this daemon answers to. A browser puts the name it looked up in the Host header, so a page that
 * rebinds its own DNS name to this machine (to read /metrics, /healthz or the dashboard) sends that foreign name and
 * is refused; programs and the operator's browser use one of these.
 */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** `Host` header → lower-case name without the port (`[::1]:8080` → `[::1]`); undefined when it is not a host. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

function asHostName(address: string): string {
  const name = address.toLowerCase();
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name; // IPv6 literals are bracketed in Host
}

export interface HostNameOptions {
  /** server.host: the bind address. 0.0.0.0 / :: add this machine's hostname and interface addresses. */
  bindHost: string;
  /** server.publicUrl ('' = none): its host is ours (a reverse proxy passing the Host through). */
  publicUrl?: string;
  /** server.allowedHosts: further names (a DNS name for this machine, a tunnel); a port in an entry is ignored. */
  extra?: readonly string[];
}

export function allowedHostNames(options: HostNameOptions): ReadonlySet<string> {
  const names = new Set(LOOPBACK_NAMES);
  const bind = options.bindHost.toLowerCase();
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(asHostName(i.address.replace(/%.*$/, '')));
  } else {
    names.add(asHostName(bind));
  }
  if (options.publicUrl) {
    try {
      names.add(new URL(options.publicUrl).hostname.toLowerCase());
    } catch {
      // not a URL: config validation reports it; nothing to add
    }
  }
  for (const entry of options.extra ?? []) {
    const name = hostNameOf(entry);
    if (name) names.add(name);
  }
  return names;
}

export function isLoopbackName(name: string | undefined): boolean {
  return name !== undefined && LOOPBACK_NAMES.includes(name);
}
