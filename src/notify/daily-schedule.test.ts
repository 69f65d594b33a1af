import { describe, expect, it } from 'vitest';
import { atLocalTime, localDate, nextDailyRun } from './daily-schedule.js';

describe('daily schedule', () => {
  it.each([
    ['UTC', '2026-03-10T08:00:00Z', '09:00', '2026-03-10T09:00:00.000Z'],
    ['UTC', '2026-03-10T09:00:00Z', '09:00', '2026-03-11T09:00:00.000Z'],
    ['UTC', '2026-03-10T10:00:00Z', '09:00', '2026-03-11T09:00:00.000Z'],
    ['Europe/Berlin', '2026-01-10T06:00:00Z', '09:00', '2026-01-10T08:00:00.000Z'],
    ['Europe/Berlin', '2026-07-10T06:00:00Z', '09:00', '2026-07-10T07:00:00.000Z'],
    ['America/New_York', '2026-03-08T12:00:00Z', '09:00', '2026-03-08T13:00:00.000Z'], // the day DST starts
    ['America/New_York', '2026-11-01T13:00:00Z', '09:00', '2026-11-01T14:00:00.000Z'], // the day DST ends
    ['Asia/Kolkata', '2026-03-10T00:00:00Z', '00:15', '2026-03-10T18:45:00.000Z'],
  ])('in %s after %s the next %s is %s', (tz, now, hhmm, expected) => {
    expect(new Date(nextDailyRun(Date.parse(now), hhmm, tz)).toISOString()).toBe(expected);
  });

  it('gives the local date in the zone', () => {
    expect(localDate(Date.parse('2026-03-10T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-11');
    expect(localDate(Date.parse('2026-03-10T23:30:00Z'), 'UTC')).toBe('2026-03-10');
  });

  it('finds HH:MM on the same local day', () => {
    expect(new Date(atLocalTime(Date.parse('2026-03-10T23:30:00Z'), '09:00', 'Europe/Berlin')).toISOString()).toBe('2026-03-11T08:00:00.000Z');
  });
});
