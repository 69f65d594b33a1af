import { AppError } from '../errors.js';
import type { ActionType, Risk } from './action-catalog.js';
import type { Issue } from './issue.js';

export const ACTION_STATUSES = [
  'proposed',
  'pending_approval',
  'approved',
  'executing',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'denied',
  'skipped',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
export type Verification = 'pending' | 'verified' | 'not_verified';

/** An `actions` row with params parsed and flags as booleans: the shape of `actions-list --json` and the API. */
export interface ActionRecord {
  id: string;
  issue_id: string;
  server_id: string;
  action_type: ActionType;
  risk: Risk;
  params: Record<string, unknown>;
  params_hash: string;
  reason: string;
  status: ActionStatus;
  decision_reason: string | null;
  decided_by: string | null;
  decided_at: number | null;
  analysis_comment_id: number | null;
  created_at: number;
  expires_at: number | null;
  executed_at: number | null;
  finished_at: number | null;
  output: string | null;
  success: boolean | null;
  dry_run: boolean;
  verification: Verification | null;
  verify_deadline: number | null;
  verified_at: number | null;
  /** The silence (or maintenance window) that held this proposal for a human instead of running it or asking now. */
  held_by_silence?: string | null | undefined;
}

export type ActionEventKind =
  | 'executed'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'denied'
  | 'skipped'
  | 'verified'
  | 'not_verified'
  | 'notify';

/** What happened to an action, for the stages that tell people (Discord): one event per decision or outcome. */
export interface ActionEvent {
  kind: ActionEventKind;
  action: ActionRecord;
  issue: Issue;
  /** One line a notifier can send as is, e.g. "⚠️ Action requires approval: kill_process". */
  message: string;
  /** Why a `notify` event was raised, for those that treat it differently (the readonly hand-over carries the analysis). */
  cause?: NotifyCause;
}

/** proposed: the analysis proposed notify_human; manual_intervention: readonly mode hands the proposals to a person; still_firing: an action did not help. */
export type NotifyCause = 'proposed' | 'manual_intervention' | 'still_firing';

/**
 * The action lifecycle as named moves: where each may start and where it may end. The repository applies a move as
 * one compare-and-set, so a move that finds the row in another status changes nothing and says where it is now.
 * Rows are born in their first status by the decision (`executing`, `pending_approval`, `denied`, `skipped`, or
 * `succeeded` for a notification); after that, only these moves change `status`.
 */
export const ACTION_MOVES = {
  approve: { from: ['pending_approval'], to: ['approved'] },
  reject: { from: ['pending_approval'], to: ['rejected'] },
  expire: { from: ['pending_approval'], to: ['expired'] },
  /** Approved for an issue that is no longer active: never runs. */
  dismiss: { from: ['pending_approval'], to: ['skipped'] },
  /** The re-check just before an approved action runs (issue closed, approval too old, permissions lowered). */
  refuse: { from: ['approved'], to: ['skipped', 'denied'] },
  claim: { from: ['approved'], to: ['executing'] },
  finish: { from: ['executing'], to: ['succeeded', 'failed'] },
  /** The agent stopped while the action ran: failed, never re-run. */
  interrupt: { from: ['executing'], to: ['failed'] },
} as const satisfies Record<string, { from: readonly ActionStatus[]; to: readonly ActionStatus[] }>;
export type ActionMove = keyof typeof ACTION_MOVES;
export type MoveTarget<M extends ActionMove> = (typeof ACTION_MOVES)[M]['to'][number];
export type MoveResult = { moved: true } | { moved: false; now: ActionStatus | undefined };

/** `--status` / `?status=`: a comma list of statuses, `pending` for pending_approval, `all` (or nothing) for every one. */
export function parseActionStatuses(text: string | undefined): ActionStatus[] | undefined {
  if (text === undefined || text === '' || text === 'all') return undefined;
  return text.split(',').map((raw) => {
    const s = raw.trim() === 'pending' ? 'pending_approval' : raw.trim();
    if (!(ACTION_STATUSES as readonly string[]).includes(s)) {
      throw new AppError('INPUT_INVALID', `unknown action status "${raw.trim()}"; use a comma list of ${ACTION_STATUSES.join(', ')} (or pending, all)`);
    }
    return s as ActionStatus;
  });
}
