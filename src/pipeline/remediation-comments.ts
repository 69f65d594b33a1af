import type { NewComment } from '../model/issue.js';
import type { ActionRecord } from '../model/action.js';

/** The issue comments the remediation stage writes, in the seed's words where it has them. Pure. */

export function describeParams(params: Record<string, unknown>): string {
  const text = JSON.stringify(params);
  return text === '{}' ? '' : ` ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

function agent(content: string, metadata: Record<string, unknown>): NewComment {
  return { author_type: 'agent', comment_type: 'action', content, metadata };
}

export function resultComment(a: ActionRecord, summary: string, success: boolean, output: string): NewComment {
  return agent(`${success ? '✅' : '❌'} ${a.action_type}: ${summary}`, {
    success,
    output,
    action_id: a.id,
    decided_by: a.decided_by,
    decision_reason: a.decision_reason,
    ...(a.dry_run ? { dry_run: true } : {}),
  });
}

export function approvalRequestedComment(a: ActionRecord, timeoutMinutes: number): NewComment {
  return agent(
    [
      `⚠️ Action requires approval: ${a.action_type}${describeParams(a.params)}`,
      `Reason: ${a.decision_reason ?? ''}`,
      a.reason ? `Why proposed: ${a.reason}` : '',
      `Approve: opsagent actions-approve ${a.id} --by <name>  ·  Reject: opsagent actions-reject ${a.id} --by <name> --reason <text>  (expires in ${timeoutMinutes} min)`,
    ].filter(Boolean).join('\n'),
    { action_id: a.id, status: a.status, decision_reason: a.decision_reason, requires_approval: true, params_hash: a.params_hash },
  );
}

export function deniedComment(a: ActionRecord): NewComment {
  return agent(`🚫 Action denied: ${a.action_type}${describeParams(a.params)}: ${a.decision_reason ?? ''}`, {
    action_id: a.id,
    status: a.status,
    decision_reason: a.decision_reason,
  });
}

export function skippedComment(a: ActionRecord): NewComment {
  return agent(`⏭ Action skipped: ${a.action_type}${describeParams(a.params)}: ${a.decision_reason ?? ''}`, {
    action_id: a.id,
    status: a.status,
    decision_reason: a.decision_reason,
  });
}

export function humanDecisionComment(a: ActionRecord, by: string, approved: boolean, reason?: string): NewComment {
  return {
    author_type: 'human',
    author_name: by,
    comment_type: 'action',
    content: approved ? `👍 Action approved by ${by}: ${a.action_type}` : `👎 Action rejected by ${by}: ${a.action_type}${reason ? ` (${reason})` : ''}`,
    metadata: { action_id: a.id, status: approved ? 'approved' : 'rejected', ...(reason ? { reason } : {}) },
  };
}

export function expiredComment(a: ActionRecord, timeoutMinutes: number): NewComment {
  return agent(`⌛ Approval expired: ${a.action_type} (no decision within ${timeoutMinutes} min); not executed`, {
    action_id: a.id,
    status: 'expired',
  });
}

export function verifiedComment(a: ActionRecord, minutes: number): NewComment {
  return agent(`Verified: alert cleared ${minutes} min after ${a.action_type}`, { action_id: a.id, verification: 'verified', minutes });
}

export function notVerifiedComment(a: ActionRecord, windowMinutes: number): NewComment {
  return agent(`Not verified: alert still firing ${windowMinutes} min after ${a.action_type}; a human has been notified`, {
    action_id: a.id,
    verification: 'not_verified',
  });
}

export function resolvedByHandComment(a: ActionRecord, status: string): NewComment {
  return agent(`Not verified: the issue was ${status} by hand, not by the alert clearing, after ${a.action_type}`, {
    action_id: a.id,
    verification: 'not_verified',
  });
}

export function manualInterventionComment(message: string): NewComment {
  return agent(`🤖 ${message}`, { manual_intervention: true, success: true });
}

/** Who proposed an action that did not come from the analysis (an assistant over MCP), written before its decision. */
export function proposedByComment(a: ActionRecord, proposer: string): NewComment {
  return {
    author_type: 'human',
    author_name: proposer,
    comment_type: 'action',
    content: `💡 ${proposer} proposed ${a.action_type}${describeParams(a.params)}${a.reason ? `: ${a.reason}` : ''}`,
    metadata: { action_id: a.id, proposed_by: proposer, params_hash: a.params_hash },
  };
}
