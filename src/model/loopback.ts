/**
 * This machine's own addresses: without server.apiToken the agent binds and answers only here, so a foreign Host
 * header (DNS rebinding) or a non-loopback bind gets nowhere. The one definition the config, the daemon and the
 * HTTP checks use.
 */
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', 'localhost', '::1']);

/** A bind address (`server.host`) that only this machine can reach. */
export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK_ADDRESSES.has(host);
}

/** A Host header naming this machine, with an optional port. */
export const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

export function isLoopbackHost(host: string | undefined): boolean {
  return LOOPBACK_HOST.test(host ?? '');
}

/** An Origin header of a page served from this machine (http or https, any port). */
export function isLoopbackOrigin(origin: string): boolean {
  const m = /^https?:\/\/(.+)$/.exec(origin);
  return m !== null && isLoopbackHost(m[1]);
}
