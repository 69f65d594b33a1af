import { describe, expect, it } from 'vitest';
import { decideProposal, NOTIFICATION_REASON, type ProposalFacts } from './decide-proposal.js';

const NOW = 1_700_000_000_000;

type Overrides = Partial<Omit<ProposalFacts, 'issue'>> & { issue?: Partial<ProposalFacts['issue']> };

function facts(over: Overrides = {}): ProposalFacts {
  const { issue, ...rest } = over;
  return {
    type: 'clear_cache',
    risk: 'low',
    agentServerId: 'web-1',
    sameAction: undefined,
    cooldownMinutes: 15,
    permissions: { level: 'limited', autoRemediate: true },
    executedLastHour: 0,
    now: NOW,
    ...rest,
    issue: { status: 'investigating', server_id: 'web-1', flapping: false, ...issue },
  };
}

describe('decideProposal: the decision ladder, first rung wins', () => {
  it.each<[string, Overrides, string, string]>([
    ['notify_human is never gated, even in readonly mode on another server', { type: 'notify_human', permissions: { level: 'readonly', autoRemediate: false }, issue: { server_id: 'db-1' } }, 'succeeded', NOTIFICATION_REASON],
    ["another server's issue is denied before anything else", { issue: { server_id: 'db-1', status: 'resolved' } }, 'denied', 'this agent only acts on web-1; the issue is on db-1'],
    ['a resolved issue is skipped', { issue: { status: 'resolved' } }, 'skipped', 'Issue is resolved: nothing to remediate'],
    ['a closed issue is skipped, even when flapping', { issue: { status: 'closed', flapping: true } }, 'skipped', 'Issue is closed: nothing to remediate'],
    ['a pending copy is a duplicate at any age', { sameAction: { id: 'act-1', status: 'pending_approval', created_at: NOW - 86_400_000 } }, 'skipped', 'Cooldown: the same action is already pending approval as act-1'],
    ['a recent executed copy is in its cooldown', { sameAction: { id: 'act-2', status: 'succeeded', created_at: NOW - 5 * 60_000 } }, 'skipped', 'Cooldown: the same action was succeeded on this issue 5 min ago (act-2; cooldown 15 min)'],
    ['readonly denies', { permissions: { level: 'readonly', autoRemediate: true } }, 'denied', 'Readonly mode: no actions allowed'],
    ['medium risk in limited mode waits for a human', { type: 'kill_process', risk: 'medium' }, 'pending_approval', 'Risky action requires human approval'],
    ['high risk in limited mode is denied', { type: 'custom_command', risk: 'high' }, 'denied', 'custom_command is not allowed in limited mode'],
    ['autoRemediate off waits for a human', { permissions: { level: 'full', autoRemediate: false } }, 'pending_approval', 'Auto-remediation is off (opsagent.autoRemediate: false): human approval required'],
    ['the hourly limit denies', { executedLastHour: 10 }, 'denied', 'Hourly action limit reached (10 actions/hour)'],
    ['an allowed action runs, counted', { executedLastHour: 3 }, 'executing', 'Allowed: low risk in limited mode with autoRemediate (4/10 this hour)'],
    ['medium risk runs in full mode', { type: 'restart_service', risk: 'medium', permissions: { level: 'full', autoRemediate: true } }, 'executing', 'Allowed: medium risk in full mode with autoRemediate (1/100 this hour)'],
    ['flapping turns an automatic run into an approval request', { issue: { flapping: true } }, 'pending_approval', 'Issue is flapping: automatic remediation suspended; human approval required'],
    ['flapping never lifts a denial', { issue: { flapping: true }, type: 'custom_command', risk: 'high' }, 'denied', 'custom_command is not allowed in limited mode'],
  ])('%s', (_name, over, status, reason) => {
    expect(decideProposal(facts(over))).toEqual({ status, reason });
  });
});

describe('decideProposal: a silence holds what would run or ask', () => {
  const silence = { id: 'silence-1-abcdef', until: Date.UTC(2026, 11, 3, 15, 0) };
  const held = {
    status: 'pending_approval',
    reason: 'Silenced by silence-1-abcdef (until 2026-12-03T15:00:00.000Z): no automatic action; held for a human to approve explicitly',
    cause: 'silenced',
    silenceId: 'silence-1-abcdef',
  };
  it.each<[string, Overrides, Record<string, unknown>]>([
    ['an action that would run automatically in full mode is held', { type: 'kill_process', risk: 'medium', permissions: { level: 'full', autoRemediate: true }, silence }, held],
    ['an approval request is held too (nobody is asked while silenced)', { type: 'kill_process', risk: 'medium', silence }, held],
    ['a silence wins over flapping', { issue: { flapping: true }, silence }, held],
    ['a silence until the issue resolves says so', { silence: { id: 'silence-2-abcdef', until: null } }, { status: 'pending_approval', cause: 'silenced', silenceId: 'silence-2-abcdef', reason: 'Silenced by silence-2-abcdef (until its issue resolves): no automatic action; held for a human to approve explicitly' }],
    ['a silence never lifts a denial', { type: 'custom_command', risk: 'high', silence }, { status: 'denied', reason: 'custom_command is not allowed in limited mode' }],
    ['readonly stays a denial', { permissions: { level: 'readonly', autoRemediate: true }, silence }, { status: 'denied', reason: 'Readonly mode: no actions allowed' }],
    ['notify_human is still recorded as sent (the notifier holds the message)', { type: 'notify_human', silence }, { status: 'succeeded', reason: NOTIFICATION_REASON }],
    ['a resolved issue is skipped before the silence is looked at', { issue: { status: 'resolved' }, silence }, { status: 'skipped', reason: 'Issue is resolved: nothing to remediate' }],
  ])('%s', (_name, over, expected) => {
    expect(decideProposal(facts(over))).toEqual(expected);
  });
});
