import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { matches, type MatchTarget } from './matchers.js';
import { matchersForIssue, parseDuration, parseTime, pickCover, silenceState, validateSilence, type SilenceRequest } from './silence.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0);
const LIMITS = { maxDurationDays: 30 };
const H = 3_600_000;

function target(over: Partial<MatchTarget> = {}): MatchTarget {
  return { server: 'web-1', alertname: 'disk_space_usage', context: 'disk.space', chart: 'disk_space._', severity: 'critical', source: 'netdata', labels: {}, ...over };
}

function problem(req: SilenceRequest): string {
  try {
    validateSilence(req, NOW, LIMITS);
  } catch (err) {
    if (err instanceof AppError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('validateSilence', () => {
  it('takes a duration from now', () => {
    const s = validateSilence({ matchers: ['server=web-1', 'alertname=~"disk_.*"'], duration: '2h', comment: ' deploy ' }, NOW, LIMITS);
    expect(s).toMatchObject({ starts_at: NOW, ends_at: NOW + 2 * H, comment: 'deploy', kind: 'silence', until_resolved_issue_id: null });
    expect(s.matchers).toEqual([
      { field: 'server', op: '=', value: 'web-1' },
      { field: 'alertname', op: '=~', value: 'disk_.*' },
    ]);
  });

  it('takes "until this issue resolves" with no end', () => {
    expect(validateSilence({ matchers: ['server=web-1'], untilResolvedIssueId: 'issue-1-abcdef' }, NOW, LIMITS)).toMatchObject({ ends_at: null, until_resolved_issue_id: 'issue-1-abcdef', issue_id: 'issue-1-abcdef' });
  });

  it.each<[string, SilenceRequest, string]>([
    ['an invalid regex', { matchers: ['alertname=~"disk_(["'], duration: '1h' }, 'INPUT_INVALID: matcher "alertname=~disk_([": invalid regular expression'],
    ['an unknown field', { matchers: ['hostname=web-1'], duration: '1h' }, 'INPUT_INVALID: matcher "hostname=web-1": unknown field "hostname"'],
    ['no matcher', { matchers: [], duration: '1h' }, 'INPUT_INVALID: give at least one matcher'],
    ['an end before the start', { matchers: ['server=web-1'], startsAt: NOW + 2 * H, endsAt: NOW + H }, 'INPUT_INVALID: the end (2026-12-03T13:00:00.000Z) is not after the start (2026-12-03T14:00:00.000Z)'],
    ['an end already past', { matchers: ['server=web-1'], startsAt: NOW - 2 * H, endsAt: NOW - H }, 'INPUT_INVALID: the end (2026-12-03T11:00:00.000Z) is already past'],
    ['longer than the maximum', { matchers: ['server=web-1'], duration: '31d' }, 'INPUT_INVALID: a silence may last at most 30 days (silences.maxDurationDays); this one would last 31'],
    ['no end at all', { matchers: ['server=web-1'] }, 'INPUT_INVALID: give exactly one of'],
    ['two ends', { matchers: ['server=web-1'], duration: '1h', endsAt: NOW + H }, 'INPUT_INVALID: give exactly one of'],
    ['a bad duration', { matchers: ['server=web-1'], duration: '2 hours' }, 'INPUT_INVALID: duration "2 hours": use a number with a unit'],
    ['a comment too long', { matchers: ['server=web-1'], duration: '1h', comment: 'x'.repeat(1_001) }, 'INPUT_INVALID: the comment is longer than 1000 characters'],
  ])('refuses %s', (_name, req, expected) => {
    expect(problem(req).startsWith(expected)).toBe(true);
  });
});

describe('parseDuration and parseTime', () => {
  it.each<[string, number]>([['30m', 30 * 60_000], ['2h', 2 * H], ['1h30m', 1.5 * H], ['1d', 24 * H], ['1w', 168 * H], ['90s', 90_000]])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it('reads ISO times with a zone and refuses those without', () => {
    expect(parseTime('2026-12-03T16:00+01:00')).toBe(Date.UTC(2026, 11, 3, 15, 0));
    expect(() => parseTime('2026-12-03 15:00')).toThrow(/ISO 8601 time with its zone/);
  });
});

describe('silenceState', () => {
  const base = { starts_at: NOW, ends_at: NOW + H, expired_at: null, until_resolved_issue_id: null };
  it.each<[string, Parameters<typeof silenceState>[0], number, boolean, string]>([
    ['before its start', { ...base, starts_at: NOW + H, ends_at: NOW + 2 * H }, NOW, true, 'pending'],
    ['between start and end', base, NOW + 1, true, 'active'],
    ['at its end', base, NOW + H, true, 'expired'],
    ['expired by hand', { ...base, expired_at: NOW + 10 }, NOW + 20, true, 'expired'],
    ['until resolved, its issue active', { ...base, ends_at: null, until_resolved_issue_id: 'i' }, NOW + 100 * H, true, 'active'],
    ['until resolved, its issue resolved', { ...base, ends_at: null, until_resolved_issue_id: 'i' }, NOW + 1, false, 'expired'],
  ])('%s', (_name, s, now, issueActive, state) => {
    expect(silenceState(s, now, issueActive)).toBe(state);
  });
});

describe('covers', () => {
  it('a silence pinned to an issue matches that alert on that server only', () => {
    const pinned = matchersForIssue(target());
    expect(matches(pinned, target())).toBe(true);
    expect(matches(pinned, target({ server: 'web-2' }))).toBe(false);
    expect(matches(pinned, target({ chart: 'disk_space._var' }))).toBe(false);
  });

  it('label matchers see Alertmanager labels; a missing label is the empty string', () => {
    const covers = [{ id: 's1', kind: 'silence' as const, until: NOW + H, by: 'bob', comment: '', matchers: [{ field: 'label.team' as const, op: '=' as const, value: 'db' }] }];
    expect(pickCover(covers, target({ labels: { team: 'db' } }))?.id).toBe('s1');
    expect(pickCover(covers, target({ labels: { team: 'web' } }))).toBeUndefined();
    expect(pickCover([{ ...covers[0]!, matchers: [{ field: 'label.team', op: '!~', value: '.+' }] }], target())?.id).toBe('s1');
  });

  it('of several covers the one lasting longest is shown', () => {
    const all = [{ field: 'server' as const, op: '=~' as const, value: '.*' }];
    const covers = [
      { id: 'short', kind: 'silence' as const, until: NOW + H, by: 'a', comment: '', matchers: all },
      { id: 'long', kind: 'window' as const, until: NOW + 3 * H, by: 'config', comment: '', matchers: all },
      { id: 'other', kind: 'silence' as const, until: NOW + 9 * H, by: 'a', comment: '', matchers: [{ field: 'server' as const, op: '=' as const, value: 'db-1' }] },
    ];
    expect(pickCover(covers, target())?.id).toBe('long');
  });
});
