import { beforeEach } from 'vitest';

/**
 * A test that needs a real peer (Netdata, Alertmanager, root for real mounts) skips where the peer is missing on a
 * developer's machine, but never under CI=true: there it runs and fails, saying what is missing.
 */
export function skipWithout(available: boolean): boolean {
  return !available && process.env.CI !== 'true';
}

/** Fails the enclosing describe (or the test, when called inside it) with `missing` when the peer is not there. */
export function requirePeer(available: boolean, missing: string): void {
  if (!available) throw new Error(`${missing} (under CI=true a missing peer fails the test instead)`);
}

/** The same for a whole describe block: each of its tests fails with `missing`. */
export function requirePeerForAll(available: boolean, missing: string): void {
  beforeEach(() => requirePeer(available, missing));
}

export const IS_ROOT = process.getuid?.() === 0;
export const ROOT_MISSING = 'this test needs root (real mounts, chown, another user): run it as root, or without CI=true to skip it';
