import { describe, expect, it } from 'vitest';
import { generateFingerprint, newIssueId } from './fingerprint.js';
import { DEFAULT_POLICY, decideStep, describeFiring, firedAgainComment, trackTransition } from './lifecycle.js';
import type { AlertEvent } from '../model/alert.js';
import type { Issue } from '../model/issue.js';

const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  server_id: 's1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING',
  value: 85, units: '%', source: 'opsagent', occurred_at: 1_000_000, ...over,
});

const issue = (over: Partial<Issue> = {}): Issue => ({
  id: 'issue-1-aaaaaa', server_id: 's1', alert_fingerprint: 'f', title: 'cpu_usage', description: null, severity: 'warning',
  status: 'open', source: 'opsagent', source_alert_id: null, first_seen_at: 900_000, last_seen_at: 950_000,
  resolved_at: null, alert_count: 3, metadata: { fingerprint_inputs: { name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu' } },
  ...over,
});

describe('fingerprint', () => {
  it('follows the seed formula sha256("name:context:chart")[:16]', () => {
    expect(generateFingerprint({ name: 'opsagent_test_cpu_usage', context: 'opsagent_test.cpu', chart: 'opsagent_test.cpu' })).toBe('5dbd228694367e77');
    expect(generateFingerprint({ name: 'opsagent_test_disk_usage', context: 'opsagent_test.disk', chart: 'opsagent_test.disk' })).toBe('1cd87623bf7b1534');
  });

  it('makes issue ids of the form issue-<ms>-<6 [a-z0-9]>', () => {
    expect(newIssueId(1699999999999)).toMatch(/^issue-1699999999999-[a-z0-9]{6}$/);
  });
});

describe('decideStep', () => {
  const resolvedAt = 1_000_000;
  it.each([
    ['a firing with no issue creates one', event(), undefined, undefined, 'create'],
    ['a firing with an open issue fires again', event(), issue(), undefined, 'fire'],
    ['a clear with an open issue resolves it', event({ status: 'CLEAR', occurred_at: 960_000 }), issue(), undefined, 'resolve'],
    ['a clear with no issue is ignored', event({ status: 'CLEAR' }), undefined, undefined, 'ignore'],
    ['a clear older than the latest firing is ignored', event({ status: 'CLEAR', occurred_at: 940_000 }), issue(), undefined, 'ignore'],
    ['a firing within the reopen window reopens', event({ occurred_at: resolvedAt + 59 * 60_000 }), undefined, issue({ status: 'resolved', resolved_at: resolvedAt }), 'reopen'],
    ['a firing after the reopen window creates a new issue', event({ occurred_at: resolvedAt + 61 * 60_000 }), undefined, issue({ status: 'resolved', resolved_at: resolvedAt }), 'create'],
    ['a firing older than the resolution never reopens', event({ occurred_at: resolvedAt - 1 }), undefined, issue({ status: 'resolved', resolved_at: resolvedAt }), 'late'],
  ] as const)('%s', (_name, e, active, resolved, kind) => {
    expect(decideStep(e, active, resolved, DEFAULT_POLICY).kind).toBe(kind);
  });

  it('escalates WARNING to CRITICAL but never lowers severity', () => {
    expect(decideStep(event({ status: 'CRITICAL' }), issue(), undefined, DEFAULT_POLICY)).toMatchObject({ kind: 'fire', escalate: true });
    expect(decideStep(event({ status: 'WARNING' }), issue({ severity: 'critical' }), undefined, DEFAULT_POLICY)).toMatchObject({ kind: 'fire', escalate: false });
  });
});

describe('bounded audit trail', () => {
  it('comments each of the first 100 firings, then one roll-up per 100', () => {
    const commented = [];
    for (let n = 2; n <= 1000; n++) if (firedAgainComment(event(), n, DEFAULT_POLICY)) commented.push(n);
    expect(commented.filter((n) => n <= 100)).toHaveLength(99);
    expect(commented.filter((n) => n > 100)).toEqual([200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(firedAgainComment(event(), 23, DEFAULT_POLICY)?.content).toBe('Alert fired again (#23): cpu_usage = 85%');
    expect(firedAgainComment(event(), 200, DEFAULT_POLICY)?.content).toBe('Alert fired 100 more times (#101–#200), latest: cpu_usage = 85%');
  });

  it('describes firings with and without a value', () => {
    expect(describeFiring(event({ units: undefined }))).toBe('cpu_usage = 85');
    expect(describeFiring(event({ value: 12.3456, units: 'MiB' }))).toBe('cpu_usage = 12.35 MiB');
    expect(describeFiring(event({ value: null, status: 'CRITICAL' }))).toBe('cpu_usage (CRITICAL)');
  });
});

describe('flapping', () => {
  it('marks an issue flapping at 5 transitions within 60 minutes, not before', () => {
    let metadata = issue().metadata;
    const started: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = trackTransition(metadata, 1_000_000 + i * 60_000, DEFAULT_POLICY);
      metadata = r.metadata;
      started.push(r.started);
    }
    expect(started).toEqual([false, false, false, false, true]);
    expect(metadata.flapping).toBe(true);
  });

  it('forgets transitions older than the window', () => {
    let metadata = issue().metadata;
    for (let i = 0; i < 5; i++) metadata = trackTransition(metadata, i * 20 * 60_000, DEFAULT_POLICY).metadata;
    expect(metadata.flapping).toBe(false);
    expect(metadata.transitions?.length).toBeLessThan(5);
  });
});
