import type { ActionType, Risk } from '../model/action-catalog.js';
import type { PermissionLevel, Permissions } from '../model/permission.js';


/** Executed actions per sliding 60 minutes (DESIGN §4). notify_human is never counted. */
export const HOURLY_LIMIT: Record<PermissionLevel, number> = { readonly: 0, limited: 10, full: 100 };

export type GateDecision = { allowed: true } | { allowed: false; reason: string; requiresApproval: boolean };

export const AUTO_REMEDIATE_OFF = 'Auto-remediation is off (opsagent.autoRemediate: false): human approval required';

/**
 * The permission matrix of DESIGN §4, as the seed names it. Order matters: a decision a human must make (approval)
 * is reported before the hourly limit, because a human-approved action may run even at the limit.
 */
export function canExecuteAction(permissions: Permissions, actionType: ActionType, riskLevel: Risk, actionsExecutedThisHour: number): GateDecision {
  if (actionType === 'notify_human') return { allowed: true }; // a notification, not a remediation
  const { level } = permissions;
  if (level === 'readonly') return { allowed: false, reason: 'Readonly mode: no actions allowed', requiresApproval: false };
  switch (riskLevel) {
    case 'high':
      if (level !== 'full') return { allowed: false, reason: `${actionType} is not allowed in ${level} mode`, requiresApproval: false };
      break;
    case 'medium':
      if (level !== 'full') return { allowed: false, reason: 'Risky action requires human approval', requiresApproval: true };
      break;
    case 'low':
      break;
  }
  if (!permissions.autoRemediate) return { allowed: false, reason: AUTO_REMEDIATE_OFF, requiresApproval: true };
  const limit = HOURLY_LIMIT[level];
  if (actionsExecutedThisHour >= limit) {
    return { allowed: false, reason: `Hourly action limit reached (${limit} actions/hour)`, requiresApproval: false };
  }
  return { allowed: true };
}
