import { describe, expect, it } from 'vitest';
import { DashboardAuth, SESSION_COOKIE, readCookie } from './session.js';

const TOKEN = 'a-token-that-is-long-enough-0123456789';

describe('DashboardAuth', () => {
  it('is open without a token, but still demands its CSRF token on forms', () => {
    const auth = new DashboardAuth('');
    expect(auth.required).toBe(false);
    expect(auth.allows(undefined)).toBe(true);
    const csrf = auth.csrfFor(undefined);
    expect(auth.csrfValid(undefined, csrf)).toBe(true);
    expect(auth.csrfValid(undefined, 'forged')).toBe(false);
    expect(auth.csrfValid(undefined, undefined)).toBe(false);
    expect(new DashboardAuth('').csrfFor(undefined)).not.toBe(csrf); // a per-process secret
  });

  it('accepts its own session until it expires, and nothing forged or signed with another token', () => {
    let now = 1_000_000;
    const auth = new DashboardAuth(TOKEN, { maxAgeMs: 60_000, now: () => now });
    const cookie = `other=1; ${SESSION_COOKIE}=${auth.issueSession()}`;
    expect(auth.allows(undefined)).toBe(false);
    expect(auth.allows(cookie)).toBe(true);
    expect(cookie).not.toContain(TOKEN);
    expect(auth.allows(`${SESSION_COOKIE}=${now}.${'A'.repeat(43)}`)).toBe(false);
    expect(new DashboardAuth('another-token-0123456789abcdef', { now: () => now }).allows(cookie)).toBe(false);
    const csrf = auth.csrfFor(cookie);
    expect(auth.csrfValid(cookie, csrf)).toBe(true);
    expect(auth.csrfValid(undefined, csrf)).toBe(false);
    now += 61_000;
    expect(auth.allows(cookie)).toBe(false);
    expect(auth.csrfValid(cookie, csrf)).toBe(false);
  });

  it('checks the token in constant time and sets HttpOnly, SameSite=Strict cookies', () => {
    const auth = new DashboardAuth(TOKEN);
    expect(auth.tokenMatches(TOKEN)).toBe(true);
    expect(auth.tokenMatches(`${TOKEN}x`)).toBe(false);
    expect(new DashboardAuth('').tokenMatches('')).toBe(false);
    expect(auth.sessionCookie('v')).toMatch(/^opsagent_session=v; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect(readCookie('a=1; b = 2', 'b')).toBe('2');
    expect(readCookie(undefined, 'b')).toBeUndefined();
  });
});
