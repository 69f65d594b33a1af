import { clampEmbed, type Embed, type EmbedField } from './embed-limits.js';
import type { IssueSnapshot, NotificationKind, NotificationPayload, RenderContext } from './notification-types.js';

/** Embed colours: severity first, then outcome. */
export const COLORS = {
  critical: 0xe74c3c,
  warning: 0xf39c12,
  resolved: 0x2ecc71,
  approval: 0xffcc00,
  success: 0x2ecc71,
  failure: 0xe74c3c,
  info: 0x3498db,
  flapping: 0x9b59b6,
} as const;

/** The order items are shown in when several share one message: what needs a person first. */
export const PRIORITY: Record<NotificationKind, number> = {
  approval_required: 0,
  issue_escalated: 1,
  issue_created: 1,
  issue_reopened: 2,
  analysis_manual: 2,
  action_executed: 3,
  action_verified: 3,
  issue_flapping: 4,
  issue_resolved: 5,
  digest: 6,
  issues_standing: 1,
};

export function issueUrl(ctx: RenderContext, issueId: string): string {
  return `${ctx.publicUrl}/issues/${encodeURIComponent(issueId)}`;
}

function severityColor(severity: string): number {
  return severity === 'critical' ? COLORS.critical : COLORS.warning;
}

/** Backticks inside a code span would end it early; Discord has no escape there. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function issueFields(issue: IssueSnapshot): EmbedField[] {
  const fields: EmbedField[] = [
    { name: 'Server', value: issue.server_id, inline: true },
    { name: 'Severity', value: issue.severity, inline: true },
  ];
  if (issue.value) fields.push({ name: 'Value', value: issue.value, inline: true });
  if (issue.alert_count !== undefined) fields.push({ name: 'Firings', value: String(issue.alert_count), inline: true });
  return fields;
}

function issueFooter(issueId: string): { text: string } {
  return { text: `opsagent issues-show ${issueId}` };
}

function baseIssueEmbed(issue: IssueSnapshot, ctx: RenderContext, title: string, color: number, at: number): Embed {
  return {
    title,
    url: issueUrl(ctx, issue.id),
    color,
    timestamp: new Date(at).toISOString(),
    ...(issue.description ? { description: issue.description } : {}),
    fields: issueFields(issue),
    footer: issueFooter(issue.id),
  };
}

function actionLine(p: { action: { action_type: string; summary?: string | undefined } }): string {
  return p.action.summary ?? p.action.action_type;
}

/** How a person approves without the bot: the CLI command and the dashboard. */
export function approvalInstructions(actionId: string, issueId: string | null, ctx: RenderContext): string {
  const lines = [`Approve: ${code(`opsagent actions-approve ${actionId} --by <name>`)}`, `Reject: ${code(`opsagent actions-reject ${actionId} --by <name>`)}`];
  if (issueId) lines.push(`Dashboard: ${issueUrl(ctx, issueId)}`);
  return lines.join('\n');
}

/** One notification as one embed (limits applied). */
export function renderEmbed(payload: NotificationPayload, ctx: RenderContext, options: { withButtons?: boolean } = {}): Embed {
  switch (payload.kind) {
    case 'issue_created':
      return clampEmbed(
        baseIssueEmbed(payload.issue, ctx, `🔴 New ${payload.issue.severity} issue: ${payload.issue.title} on ${payload.issue.server_id}`, severityColor(payload.issue.severity), payload.at),
      );
    case 'issue_escalated':
      return clampEmbed(
        baseIssueEmbed(payload.issue, ctx, `🔺 Escalated to ${payload.issue.severity}: ${payload.issue.title} on ${payload.issue.server_id}`, severityColor(payload.issue.severity), payload.at),
      );
    case 'issue_reopened':
      return clampEmbed(
        baseIssueEmbed(payload.issue, ctx, `🔁 Reopened: ${payload.issue.title} on ${payload.issue.server_id}`, severityColor(payload.issue.severity), payload.at),
      );
    case 'issue_resolved': {
      const e = baseIssueEmbed(payload.issue, ctx, `✅ Resolved: ${payload.issue.title} on ${payload.issue.server_id}`, COLORS.resolved, payload.at);
      return clampEmbed({ ...e, description: payload.reason ?? 'Alert condition cleared' });
    }
    case 'issue_flapping': {
      const e = baseIssueEmbed(payload.issue, ctx, `〰️ Flapping: ${payload.issue.title} on ${payload.issue.server_id}`, COLORS.flapping, payload.at);
      return clampEmbed({
        ...e,
        description:
          `Resolved and reopened ${payload.transitions} times within ${payload.window_minutes} min. ` +
          "Automatic remediation is suspended until it settles; the issue's live message keeps showing its current state and says when it settles.",
      });
    }
    case 'approval_required': {
      const issue = payload.issue;
      const lines = [`**${actionLine(payload)}**`];
      if (payload.action.reason) lines.push(payload.action.reason);
      if (payload.action.expires_at) lines.push(`Expires <t:${Math.floor(payload.action.expires_at / 1000)}:R>.`);
      if (!options.withButtons) lines.push('', approvalInstructions(payload.action.id, issue?.id ?? null, ctx));
      return clampEmbed({
        title: `⚠️ Action requires approval: ${payload.action.action_type}`,
        description: lines.join('\n'),
        color: COLORS.approval,
        timestamp: new Date(payload.at).toISOString(),
        ...(issue ? { url: issueUrl(ctx, issue.id), fields: issueFields(issue) } : {}),
        footer: { text: `action ${payload.action.id}${issue ? ` · opsagent issues-show ${issue.id}` : ''}` },
      });
    }
    case 'action_executed': {
      const issue = payload.issue;
      const verb = payload.dry_run ? 'Dry run' : payload.success ? 'Executed' : 'Failed';
      const fields: EmbedField[] = issue ? issueFields(issue) : [];
      if (payload.action.decided_by) fields.push({ name: 'Approved by', value: payload.action.decided_by, inline: true });
      if (payload.output) fields.push({ name: 'Output', value: payload.output });
      const description = [payload.summary, issue ? `${issue.title} on ${issue.server_id}` : undefined].filter(Boolean).join('\n');
      return clampEmbed({
        title: `${payload.success ? '🤖' : '❌'} ${verb}: ${actionLine(payload)}`,
        color: payload.success ? COLORS.success : COLORS.failure,
        timestamp: new Date(payload.at).toISOString(),
        ...(description ? { description } : {}),
        ...(issue ? { url: issueUrl(ctx, issue.id), footer: issueFooter(issue.id) } : {}),
        fields,
      });
    }
    case 'action_verified': {
      const issue = payload.issue;
      return clampEmbed({
        title: `${payload.verified ? '✅ Verified' : '⚠️ Not verified'}: ${actionLine(payload)}`,
        description: payload.detail ?? (payload.verified ? 'The alert cleared after the action.' : 'The alert did not clear after the action.'),
        color: payload.verified ? COLORS.success : COLORS.failure,
        timestamp: new Date(payload.at).toISOString(),
        ...(issue ? { url: issueUrl(ctx, issue.id), footer: issueFooter(issue.id), fields: issueFields(issue) } : {}),
      });
    }
    case 'analysis_manual':
      return clampEmbed({
        ...baseIssueEmbed(payload.issue, ctx, `🤖 Analysis: ${payload.issue.title} on ${payload.issue.server_id}`, severityColor(payload.issue.severity), payload.at),
        description: `🤖 Analysis: ${payload.summary.trim()} Manual intervention required.`,
      });
    case 'digest':
      return clampEmbed(payload.embeds[0] ?? { title: payload.title });
    case 'issues_standing': {
      const lines = payload.issues.map((i) => {
        const mark = i.severity === 'critical' ? '🔴' : '🟠';
        const owner = i.acknowledged_by ? ` · acknowledged by ${i.acknowledged_by}` : ' · not acknowledged';
        const since = i.first_seen_at ? ` · since <t:${Math.floor(i.first_seen_at / 1000)}:R>` : '';
        return `${mark} [${i.title} on ${i.server_id}](${issueUrl(ctx, i.id)}) · ${i.status} · ${i.alert_count ?? 0} firings${since}${owner}`;
      });
      const hint = payload.reason === 'reminder' ? '\nAcknowledge to stop reminders: `opsagent issues-ack <id> --by <name>`' : '';
      return clampEmbed({
        title: payload.title,
        description: `${lines.join('\n')}${hint}`,
        color: payload.issues.some((i) => i.severity === 'critical') ? COLORS.critical : COLORS.warning,
        timestamp: new Date(payload.at).toISOString(),
      });
    }
  }
}

/** One line for a summary embed. */
export function summaryLine(payload: NotificationPayload): string {
  switch (payload.kind) {
    case 'issue_created':
    case 'issue_escalated':
    case 'issue_reopened':
    case 'issue_resolved':
    case 'issue_flapping':
    case 'analysis_manual':
      return `• ${payload.issue.severity === 'critical' ? '🔴' : '🟠'} ${payload.issue.title} on ${payload.issue.server_id} (${payload.issue.id})`;
    case 'approval_required':
    case 'action_executed':
    case 'action_verified':
      return `• ${actionLine(payload)} (${payload.action.id})`;
    case 'digest':
    case 'issues_standing':
      return `• ${payload.title}`;
  }
}

export const SUMMARY_NOUN: Record<NotificationKind, [string, string]> = {
  issue_created: ['new issue', 'new issues'],
  issue_escalated: ['escalation', 'escalations'],
  issue_reopened: ['reopened issue', 'reopened issues'],
  issue_resolved: ['resolved issue', 'resolved issues'],
  issue_flapping: ['flapping issue', 'flapping issues'],
  approval_required: ['approval request', 'approval requests'],
  action_executed: ['executed action', 'executed actions'],
  action_verified: ['verification', 'verifications'],
  analysis_manual: ['analysis', 'analyses'],
  digest: ['digest', 'digests'],
  issues_standing: ['status report', 'status reports'],
};
