import { describe, expect, it } from 'vitest';
import { ACTION_RISK, type ActionType, type Risk } from '../model/action-catalog.js';
import type { PermissionLevel } from '../model/permission.js';
import { AUTO_REMEDIATE_OFF, canExecuteAction, HOURLY_LIMIT, type GateDecision } from './permission-gate.js';

const TYPE_OF_RISK: Record<Risk, ActionType> = { low: 'clear_cache', medium: 'kill_process', high: 'custom_command' };
const APPROVAL = (reason: string): GateDecision => ({ allowed: false, reason, requiresApproval: true });
const DENY = (reason: string): GateDecision => ({ allowed: false, reason, requiresApproval: false });

/** DESIGN §4, cell by cell: what the gate answers below the hourly limit and at it. */
function expected(level: PermissionLevel, risk: Risk, auto: boolean, atLimit: boolean): GateDecision {
  const type = TYPE_OF_RISK[risk];
  if (level === 'readonly') return DENY('Readonly mode: no actions allowed');
  if (level === 'limited' && risk === 'high') return DENY(`${type} is not allowed in limited mode`);
  if (level === 'limited' && risk === 'medium') return APPROVAL('Risky action requires human approval');
  if (!auto) return APPROVAL(AUTO_REMEDIATE_OFF);
  if (atLimit) return DENY(`Hourly action limit reached (${HOURLY_LIMIT[level]} actions/hour)`);
  return { allowed: true };
}

const cases = (['readonly', 'limited', 'full'] as const).flatMap((level) =>
  (['low', 'medium', 'high'] as const).flatMap((risk) =>
    [true, false].flatMap((auto) => [false, true].map((atLimit) => ({ level, risk, auto, atLimit, want: expected(level, risk, auto, atLimit) }))),
  ),
);

describe('canExecuteAction', () => {
  it('covers the whole matrix: 3 levels x 3 risks x autoRemediate x at/below the limit', () => {
    expect(cases).toHaveLength(36);
  });

  it.each(cases)('$level / $risk risk / autoRemediate $auto / at limit $atLimit', ({ level, risk, auto, atLimit, want }) => {
    const count = atLimit ? HOURLY_LIMIT[level] : Math.max(0, HOURLY_LIMIT[level] - 1);
    expect(canExecuteAction({ level, autoRemediate: auto }, TYPE_OF_RISK[risk], risk, count)).toEqual(want);
  });

  it('uses the seed reasons verbatim for the limited-mode cases the seed names', () => {
    expect(canExecuteAction({ level: 'limited', autoRemediate: true }, 'clear_cache', 'low', 10)).toEqual(DENY('Hourly action limit reached (10 actions/hour)'));
    expect(canExecuteAction({ level: 'full', autoRemediate: true }, 'clear_cache', 'low', 100)).toEqual(DENY('Hourly action limit reached (100 actions/hour)'));
    expect(canExecuteAction({ level: 'limited', autoRemediate: true }, 'kill_process', 'medium', 0)).toEqual(APPROVAL('Risky action requires human approval'));
    expect(canExecuteAction({ level: 'limited', autoRemediate: true }, 'custom_command', 'high', 0)).toEqual(DENY('custom_command is not allowed in limited mode'));
  });

  it.each(['readonly', 'limited', 'full'] as const)('never gates notify_human, even in %s mode past the limit', (level) => {
    expect(canExecuteAction({ level, autoRemediate: false }, 'notify_human', ACTION_RISK.notify_human, 1_000)).toEqual({ allowed: true });
  });
});

describe('re-gating an approved action (what Remediation does before running it)', () => {
  // Approved actions are re-gated with a count of 0: the hourly limit is then the one denial that cannot appear,
  // because it is the one a human approval overrides. Every other denial must still show up at count 0.
  it.each(cases.filter((c) => c.atLimit))('$level / $risk / autoRemediate $auto: the only denial the count adds is the hourly limit', ({ level, risk, auto }) => {
    const type = TYPE_OF_RISK[risk];
    const atZero = canExecuteAction({ level, autoRemediate: auto }, type, risk, 0);
    const atLimit = canExecuteAction({ level, autoRemediate: auto }, type, risk, HOURLY_LIMIT[level]);
    const onlyTheLimitAdded = atZero.allowed ? DENY(`Hourly action limit reached (${HOURLY_LIMIT[level]} actions/hour)`) : atZero;
    expect(atLimit).toEqual(onlyTheLimitAdded);
  });
});
