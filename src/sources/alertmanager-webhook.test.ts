import { describe, expect, it } from 'vitest';
import { alertmanagerFingerprint, instanceHost } from './alertmanager-webhook.js';
import { cursorStillValid, transitionToEvent, type NetdataCursor } from './netdata-transition.js';

describe('alertmanagerFingerprint', () => {
  it.each([
    [{ job: 'foo', severity: 'warning' }, '9266ef3da838ad95'],
    [{ job: 'foo', severity: 'critical' }, '3b15fd163d36582e'],
  ])('matches the upstream test vector for %o', (labels, expected) => {
    expect(alertmanagerFingerprint(labels)).toBe(expected);
  });
});

describe('instanceHost', () => {
  it.each([
    ['web-1:9100', 'web-1'],
    ['[::1]:9100', '::1'],
    ['web-1', 'web-1'],
    ['fe80::1', 'fe80::1'],
  ])('%s -> %s', (instance, host) => {
    expect(instanceHost(instance)).toBe(host);
  });
});

describe('netdata transitions', () => {
  const entry = { unique_id: 10, alarm_id: 3, name: 'a', chart: 'c.x', context: '', status: 'REMOVED', when: 100 };
  it.each(['REMOVED', 'UNDEFINED', 'UNINITIALIZED'])('ignores %s', (status) => {
    expect(transitionToEvent({ ...entry, status }, 's')).toBeUndefined();
  });
  it('maps CLEAR with the chart standing in for an empty context', () => {
    expect(transitionToEvent({ ...entry, status: 'CLEAR' }, 's')).toMatchObject({ status: 'CLEAR', context: 'c.x', event_key: 's:3:10', occurred_at: 100_000 });
  });
  it('detects a log that no longer holds the cursor entry', () => {
    const cursor: NetdataCursor = { v: 1, generation: 1, id: 10, alarm_id: 3, when: 100 };
    expect(cursorStillValid(cursor, [{ ...entry }])).toBe(true);
    expect(cursorStillValid(cursor, [{ ...entry, alarm_id: 4 }])).toBe(false);
    expect(cursorStillValid(cursor, [])).toBe(false);
  });
});

describe('alertmanagerFingerprint on UTF-8 values', () => {
  // The FNV-1a 64 definition in BigInt, byte by byte, as the reference for values that are not ASCII.
  const reference = (l: Record<string, string>) => {
    let h = 0xcbf29ce484222325n;
    for (const k of Object.keys(l).sort()) {
      for (const b of [...Buffer.from(k), 255, ...Buffer.from(l[k]!), 255]) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
    }
    return h.toString(16).padStart(16, '0');
  };
  it.each<Record<string, string>>([{ alertname: 'Größe', instance: 'wéb-1' }, { alertname: 'a', summary: '日本語 ✓' }, { a: '' }])('matches FNV-1a 64 for %o', (labels) => {
    expect(alertmanagerFingerprint(labels)).toBe(reference(labels));
  });
});
