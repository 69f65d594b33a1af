import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { configWindowProblems, nextBoundary, occurrences, openOccurrence, validateWindow, zonedTime, type WindowInput, type WindowSchedule } from './maintenance-window.js';

const H = 3_600_000;
const LIMITS = { maxDurationDays: 30 };
const sundays: WindowSchedule = { time_zone: 'Europe/Berlin', days: ['sun'], start: '02:00', end: '04:00' };

describe('zonedTime: wall-clock times of a named zone', () => {
  it.each<[string, [number, number, number, number, number, string], string]>([
    ['winter (CET, +01:00)', [2026, 1, 11, 2, 0, 'Europe/Berlin'], '2026-01-11T01:00:00.000Z'],
    ['summer (CEST, +02:00)', [2026, 7, 12, 2, 0, 'Europe/Berlin'], '2026-07-12T00:00:00.000Z'],
    ['a skipped time is the moment the clocks jump (02:00 → 03:00 CEST)', [2026, 3, 29, 2, 0, 'Europe/Berlin'], '2026-03-29T01:00:00.000Z'],
    ['a skipped 02:30 reads as 03:30 CEST', [2026, 3, 29, 2, 30, 'Europe/Berlin'], '2026-03-29T01:30:00.000Z'],
    ['a repeated time is its first occurrence (02:00 CEST)', [2026, 10, 25, 2, 0, 'Europe/Berlin'], '2026-10-25T00:00:00.000Z'],
    ['New York in summer (EDT, -04:00)', [2026, 7, 5, 2, 0, 'America/New_York'], '2026-07-05T06:00:00.000Z'],
    ['UTC', [2026, 7, 5, 2, 0, 'UTC'], '2026-07-05T02:00:00.000Z'],
  ])('%s', (_name, args, iso) => {
    expect(new Date(zonedTime(...args)).toISOString()).toBe(iso);
  });
});

describe('a weekly window: every Sunday 02:00–04:00 Europe/Berlin', () => {
  it('is two hours on an ordinary Sunday, open inside and closed outside', () => {
    const start = Date.UTC(2026, 0, 11, 1, 0);
    expect(openOccurrence(sundays, start)).toEqual({ start, end: start + 2 * H });
    expect(openOccurrence(sundays, start - 1)).toBeUndefined();
    expect(openOccurrence(sundays, start + 2 * H)).toBeUndefined();
    expect(openOccurrence(sundays, start + 7 * 24 * H + 30 * 60_000)).toBeDefined();
    expect(openOccurrence(sundays, start + 24 * H + 30 * 60_000)).toBeUndefined(); // Monday
  });

  it('is one hour on the Sunday the clocks go forward (02:00 does not exist)', () => {
    const [o] = occurrences(sundays, Date.UTC(2026, 2, 29, 0, 0), Date.UTC(2026, 2, 29, 5, 0));
    expect(o).toEqual({ start: Date.UTC(2026, 2, 29, 1, 0), end: Date.UTC(2026, 2, 29, 2, 0) });
  });

  it('is three hours on the Sunday the clocks go back (02:00 happens twice)', () => {
    const [o] = occurrences(sundays, Date.UTC(2026, 9, 24, 22, 0), Date.UTC(2026, 9, 25, 5, 0));
    expect(o).toEqual({ start: Date.UTC(2026, 9, 25, 0, 0), end: Date.UTC(2026, 9, 25, 3, 0) });
  });

  it('names the next boundary', () => {
    const saturday = Date.UTC(2026, 0, 10, 12, 0);
    expect(nextBoundary(sundays, saturday)).toBe(Date.UTC(2026, 0, 11, 1, 0));
    expect(nextBoundary(sundays, Date.UTC(2026, 0, 11, 1, 30))).toBe(Date.UTC(2026, 0, 11, 3, 0));
  });
});

describe('other schedules', () => {
  it('an overnight window (22:00–02:00 on Fridays) runs into Saturday', () => {
    const fri: WindowSchedule = { time_zone: 'UTC', days: ['fri'], start: '22:00', end: '02:00' };
    expect(openOccurrence(fri, Date.UTC(2026, 11, 5, 1, 0))).toEqual({ start: Date.UTC(2026, 11, 4, 22, 0), end: Date.UTC(2026, 11, 5, 2, 0) });
    expect(openOccurrence(fri, Date.UTC(2026, 11, 5, 3, 0))).toBeUndefined();
  });

  it('a one-off window is open between its two instants', () => {
    const once: WindowSchedule = { starts_at: 1_000, ends_at: 2_000 };
    expect(openOccurrence(once, 1_000)).toEqual({ start: 1_000, end: 2_000 });
    expect(openOccurrence(once, 2_000)).toBeUndefined();
  });
});

describe('validateWindow', () => {
  const ok: WindowInput = { name: 'sunday-maintenance', matchers: ['server=db-1'], time_zone: 'Europe/Berlin', days: ['Sunday'], start: '02:00', end: '04:00' };
  it('accepts a recurring window and normalises its days', () => {
    expect(validateWindow(ok, LIMITS).schedule).toEqual(sundays);
  });
  it.each<[string, Partial<WindowInput>, RegExp]>([
    ['an unknown time zone', { time_zone: 'Mars/Olympus' }, /unknown time zone "Mars\/Olympus"/],
    ['an unknown day', { days: ['someday'] }, /unknown day "someday"/],
    ['a time that is not HH:MM', { start: '2am' }, /start must be a 24-hour time HH:MM/],
    ['the same start and end', { end: '02:00' }, /start and end are the same time/],
    ['an invalid regex', { matchers: ['alertname=~"("'] }, /invalid regular expression/],
    ['both kinds of schedule', { starts_at: 1, ends_at: 2 }, /give either days \+ start \+ end \+ time_zone/],
  ])('refuses %s', (_name, over, message) => {
    expect(() => validateWindow({ ...ok, ...over }, LIMITS)).toThrow(AppError);
    expect(() => validateWindow({ ...ok, ...over }, LIMITS)).toThrow(message);
  });
  it('refuses a one-off window that ends before it starts or lasts too long', () => {
    const once = { name: 'once', matchers: ['server=db-1'] };
    expect(() => validateWindow({ ...once, starts_at: 2_000, ends_at: 1_000 }, LIMITS)).toThrow(/the end is not after the start/);
    expect(() => validateWindow({ ...once, starts_at: 0, ends_at: 31 * 24 * H }, LIMITS)).toThrow(/at most 30 days/);
  });
  it('lists the config file problems by index, duplicate names included', () => {
    const problems = configWindowProblems(
      [
        { name: 'a', matchers: ['server=x'], time_zone: 'UTC', days: ['sun'], start: '01:00', end: '02:00' },
        { name: 'a', matchers: ['server=x'], time_zone: 'UTC', days: ['sun'], start: '01:00', end: '02:00' },
        { name: 'b', matchers: ['server=x'], starts_at: '2026-12-03 10:00', ends_at: '2026-12-03T12:00Z' },
      ],
      30,
    );
    expect(problems).toEqual([
      [1, 'another window is also named "a"'],
      [2, 'window "b": starts_at must be an ISO 8601 time with its zone'],
    ]);
  });
});
