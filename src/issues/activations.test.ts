import { describe, expect, it } from 'vitest';
import type { ActivationRow } from '../store/activation-repository.js';
import { activationStep } from './activations.js';

const NOW = 1_800_000_000_000;
const row = (over: Partial<ActivationRow> = {}): ActivationRow => ({
  source: 'alertmanager', fingerprint: 'f', server_id: 's', name: 'n', context: 'c', chart: 'x', issue_fingerprint: 'i',
  issue_id: 'issue-1', starts_at: NOW - 600_000, ends_at: NOW + 60_000, ended: null, updated_at: NOW - 60_000, ...over,
});
const firing = (startsAt: number) => ({ fingerprint: 'f', startsAt, endsAt: NOW + 240_000 });

describe('activationStep', () => {
  it.each([
    ['a first firing starts an activation', undefined, firing(NOW - 5_000), false, { kind: 'start', occurredAt: NOW - 5_000 }],
    ['a re-send refreshes', row(), firing(NOW - 600_000), false, { kind: 'refresh' }],
    ['a sender restart (new startsAt) while live refreshes', row(), firing(NOW - 1_000), false, { kind: 'refresh' }],
    ['a firing after a resolution starts anew', row({ ended: 'resolved', ends_at: NOW - 60_000 }), firing(NOW - 1_000), false, { kind: 'start', occurredAt: NOW - 1_000 }],
    ['a late re-send of a resolved activation is ignored', row({ ended: 'resolved', ends_at: NOW - 60_000 }), firing(NOW - 600_000), false, { kind: 'ignore' }],
    ['an older firing is ignored', row({ ended: 'resolved', ends_at: NOW - 60_000 }), firing(NOW - 900_000), false, { kind: 'ignore' }],
    ['a re-send after an expiry starts anew, as of now', row({ ended: 'expired', ends_at: NOW - 60_000 }), firing(NOW - 600_000), false, { kind: 'start', occurredAt: NOW }],
    ['a resolution ends the live activation', row(), { fingerprint: 'f', startsAt: NOW - 600_000, endsAt: NOW - 1_000 }, true, { kind: 'end', how: 'resolved', at: NOW - 1_000 }],
    ['a resolved re-send is ignored', row({ ended: 'resolved', ends_at: NOW - 1_000 }), { fingerprint: 'f', startsAt: NOW - 600_000, endsAt: NOW - 1_000 }, true, { kind: 'ignore' }],
    ['a resolution never seen firing is ignored', undefined, { fingerprint: 'f', startsAt: NOW - 600_000, endsAt: NOW - 1_000 }, true, { kind: 'ignore' }],
    ['the resolution of an earlier activation is ignored', row(), { fingerprint: 'f', startsAt: NOW - 900_000, endsAt: NOW - 700_000 }, true, { kind: 'ignore' }],
    ['a due expiry ends it', row({ ends_at: NOW - 1 }), { fingerprint: 'f', startsAt: 0, endsAt: 0, expired: true as const }, true, { kind: 'end', how: 'expired', at: NOW - 1 }],
    ['an expiry overtaken by a re-send is ignored', row(), { fingerprint: 'f', startsAt: 0, endsAt: 0, expired: true as const }, true, { kind: 'ignore' }],
  ])('%s', (_name, current, activation, resolved, expected) => {
    expect(activationStep(current, activation, resolved, NOW)).toMatchObject(expected);
  });
});
