/** Host headers of this machine: an open (token-less) agent answers only to these, so DNS rebinding gets nowhere. */
export const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

export function isLoopbackHost(host: string | undefined): boolean {
  return LOOPBACK_HOST.test(host ?? '');
}

/** An Origin header of a page served from this machine (http or https, any port). */
export function isLoopbackOrigin(origin: string): boolean {
  const m = /^https?:\/\/(.+)$/.exec(origin);
  return m !== null && isLoopbackHost(m[1]);
}
