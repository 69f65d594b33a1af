import type { ActionType, Risk } from '../model/action-catalog.js';
import type { ActionStatus } from '../model/action.js';
import { isActive, type IssueStatus } from '../model/issue.js';
import type { Permissions } from '../model/permission.js';
import { canExecuteAction, HOURLY_LIMIT } from './permission-gate.js';

/** Everything the decision on one proposal depends on, read in the transaction that records it. */
export interface ProposalFacts {
  type: ActionType;
  risk: Risk;
  issue: { status: IssueStatus; server_id: string; flapping: boolean };
  /** The server this agent runs on: executors act on this machine only. */
  agentServerId: string;
  /** The same action (type + parameters) on this issue that counts for the cooldown, if any. */
  sameAction: { id: string; status: ActionStatus; created_at: number } | undefined;
  cooldownMinutes: number;
  permissions: Permissions;
  /** Remediations this agent executed in the last 60 minutes. */
  executedLastHour: number;
  /** The silence or maintenance window covering the issue now, if any. */
  silence?: { id: string; until: number | null } | undefined;
  now: number;
}

/** Where a proposal goes: the status its `actions` row is born in, with the reason written on it. */
export type ProposalDecision =
  | { status: 'succeeded'; reason: string } // notify_human: a notification, done when recorded
  | { status: 'executing'; reason: string }
  | { status: 'pending_approval'; reason: string; cause?: 'silenced'; silenceId?: string }
  | { status: 'denied'; reason: string }
  | { status: 'skipped'; reason: string };

export const NOTIFICATION_REASON = 'notify_human is a notification: never gated, never counted';

/**
 * The decision ladder for one proposal, first rung that applies wins (pure, table-tested):
 * notify_human → another server's issue → an issue no longer active → cooldown → the permission gate → silenced →
 * flapping. A silence and flapping only turn an automatic execution into an approval request, never lift a denial;
 * a silenced proposal is held (cause `silenced`): it waits for a human who approves explicitly, and nobody is asked.
 */
export function decideProposal(f: ProposalFacts): ProposalDecision {
  if (f.type === 'notify_human') return { status: 'succeeded', reason: NOTIFICATION_REASON };
  if (f.issue.server_id !== f.agentServerId) {
    // Executors act on the machine this agent runs on; a PID or a path means nothing on another server.
    return { status: 'denied', reason: `this agent only acts on ${f.agentServerId}; the issue is on ${f.issue.server_id}` };
  }
  if (!isActive(f.issue)) return { status: 'skipped', reason: `Issue is ${f.issue.status}: nothing to remediate` };
  if (f.sameAction) {
    const same = f.sameAction;
    const ago = Math.max(0, Math.round((f.now - same.created_at) / 60_000));
    const why =
      same.status === 'pending_approval' || same.status === 'approved'
        ? `the same action is already ${same.status.replace('_', ' ')} as ${same.id}`
        : `the same action was ${same.status} on this issue ${ago} min ago (${same.id}; cooldown ${f.cooldownMinutes} min)`;
    return { status: 'skipped', reason: `Cooldown: ${why}` };
  }
  const gate = canExecuteAction(f.permissions, f.type, f.risk, f.executedLastHour);
  if (f.silence && (gate.allowed || gate.requiresApproval)) {
    const until = f.silence.until === null ? 'until its issue resolves' : `until ${new Date(f.silence.until).toISOString()}`;
    return {
      status: 'pending_approval',
      reason: `Silenced by ${f.silence.id} (${until}): no automatic action; held for a human to approve explicitly`,
      cause: 'silenced',
      silenceId: f.silence.id,
    };
  }
  if (gate.allowed && f.issue.flapping) {
    return { status: 'pending_approval', reason: 'Issue is flapping: automatic remediation suspended; human approval required' };
  }
  if (gate.allowed) {
    const { level } = f.permissions;
    return { status: 'executing', reason: `Allowed: ${f.risk} risk in ${level} mode with autoRemediate (${f.executedLastHour + 1}/${HOURLY_LIMIT[level]} this hour)` };
  }
  return gate.requiresApproval ? { status: 'pending_approval', reason: gate.reason } : { status: 'denied', reason: gate.reason };
}
