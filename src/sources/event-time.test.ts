import { describe, expect, it } from 'vitest';
import { parseGenericEvents } from './generic-event.js';
import { parseAlertmanagerWebhook } from './alertmanager-webhook.js';
import { implausibleTime } from './event-time.js';

const now = Date.UTC(2026, 10, 27, 12);

describe('event times', () => {
  it.each([
    ['microseconds', now * 1000, /in the future/],
    ['seconds', Math.floor(now / 1000), /before 2000/],
    ['far future', 9e15, /in the future/],
    ['not a number', Number.NaN, /not a time/],
  ])('refuses %s', (_what, ms, message) => {
    expect(implausibleTime(ms, now)).toMatch(message);
  });

  it('accepts the past and a sender clock running ahead, read as now', () => {
    expect(implausibleTime(now - 86_400_000, now)).toBeUndefined();
    expect(implausibleTime(now + 3_600_000, now)).toBeUndefined();
    expect(parseGenericEvents({ name: 'x', status: 'WARNING', occurred_at: now + 3_600_000 }, { serverId: 's', now })[0]!.occurred_at).toBe(now);
  });

  it('turns an implausible occurred_at into a clear error naming the field', () => {
    expect(() => parseGenericEvents([{ name: 'x', status: 'WARNING' }, { name: 'x', status: 'WARNING', occurred_at: 9e15 }], { serverId: 's', now })).toThrow(
      /^event #2, field occurred_at: 9000000000000000 is more than a day in the future/,
    );
    expect(() =>
      parseAlertmanagerWebhook({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '3026-01-01T00:00:00Z' }] }, { serverId: 's', now }),
    ).toThrow(/alerts\.0\.startsAt: .* in the future/);
  });
});
