import { describe, expect, it } from 'vitest';
import { DashboardAuth, SESSION_COOKIE, readCookie } from './session.js';

const TOKEN = 'a-token-that-is-long-enough-0123456789';
const cookieOf = (session: string) => `other=1; ${SESSION_COOKIE}=${session}`;

describe('DashboardAuth', () => {
  it('accepts its own session until it expires, and nothing forged', () => {
    let now = 1_000_000;
    const auth = new DashboardAuth(TOKEN, { maxAgeMs: 60_000, now: () => now });
    const cookie = cookieOf(auth.issueSession());
    expect(auth.allows(undefined)).toBe(false);
    expect(auth.allows(cookie)).toBe(true);
    expect(cookie).not.toContain(TOKEN);
    expect(auth.allows(cookieOf('A'.repeat(43)))).toBe(false);
    // another process (another agent, or this one after a restart with a new token) knows none of these sessions
    expect(new DashboardAuth(TOKEN, { now: () => now }).allows(cookie)).toBe(false);
    const csrf = auth.csrfFor(cookie);
    expect(auth.csrfValid(cookie, csrf)).toBe(true);
    expect(auth.csrfValid(undefined, csrf)).toBe(false);
    expect(auth.csrfValid(cookie, 'forged')).toBe(false);
    now += 61_000;
    expect(auth.allows(cookie)).toBe(false);
    expect(auth.csrfValid(cookie, csrf)).toBe(false);
    expect(auth.sessionCount).toBe(0);
  });

  it('revokes a session on the server: the same cookie opens nothing after logout, other sessions live on', () => {
    const auth = new DashboardAuth(TOKEN);
    const a = cookieOf(auth.issueSession());
    const b = cookieOf(auth.issueSession());
    auth.revoke(a);
    expect(auth.allows(a)).toBe(false);
    expect(auth.csrfFor(a)).toBe('');
    expect(auth.allows(b)).toBe(true);
  });

  it('keeps at most maxSessions, dropping the oldest', () => {
    const auth = new DashboardAuth(TOKEN, { maxSessions: 3 });
    const cookies = Array.from({ length: 5 }, () => cookieOf(auth.issueSession()));
    expect(auth.sessionCount).toBe(3);
    expect(cookies.map((c) => auth.allows(c))).toEqual([false, false, true, true, true]);
  });

  it('checks the token in constant time, never matches without one, and sets HttpOnly, SameSite=Strict cookies', () => {
    const auth = new DashboardAuth(TOKEN);
    expect(auth.tokenMatches(TOKEN)).toBe(true);
    expect(auth.tokenMatches(`${TOKEN}x`)).toBe(false);
    expect(new DashboardAuth('').tokenMatches('')).toBe(false);
    expect(auth.sessionCookie('v')).toMatch(/^opsagent_session=v; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect(readCookie('a=1; b = 2', 'b')).toBe('2');
    expect(readCookie(undefined, 'b')).toBeUndefined();
  });
});
