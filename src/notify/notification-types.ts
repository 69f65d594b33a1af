import { z } from 'zod';

/**
 * What the outbox holds. A payload is a snapshot taken when the notification is enqueued (the issue may change
 * before it is sent); it is parsed with zod when read back, like every row.
 */
export const NOTIFICATION_KINDS = [
  'issue_created',
  'issue_escalated',
  'issue_reopened',
  'issue_resolved',
  'issue_flapping',
  'approval_required',
  'action_executed',
  'action_verified',
  'analysis_manual',
  'digest',
  'issues_standing',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationChannel = 'webhook' | 'bot';

export const IssueSnapshot = z.object({
  id: z.string(),
  server_id: z.string(),
  title: z.string(),
  severity: z.string(),
  status: z.string(),
  description: z.string().nullable().optional(),
  value: z.string().nullable().optional(),
  alert_count: z.number().optional(),
  first_seen_at: z.number().optional(),
  resolved_at: z.number().nullable().optional(),
  reopen_count: z.number().optional(),
  /** The alert's runbook_url annotation (Prometheus convention), shown as a link on the live message. */
  runbook_url: z.string().optional(),
});
export type IssueSnapshot = z.infer<typeof IssueSnapshot>;

export const ActionSnapshot = z.object({
  id: z.string(),
  action_type: z.string(),
  risk: z.string().optional(),
  /** One line for people, e.g. "kill_process pid 4242 (buggy-app)". */
  summary: z.string().optional(),
  reason: z.string().nullable().optional(),
  decided_by: z.string().nullable().optional(),
  expires_at: z.number().nullable().optional(),
});
export type ActionSnapshot = z.infer<typeof ActionSnapshot>;

const EmbedSchema = z.object({
  title: z.string().optional(),
  description: z.string().optional(),
  url: z.string().optional(),
  color: z.number().optional(),
  timestamp: z.string().optional(),
  footer: z.object({ text: z.string() }).optional(),
  author: z.object({ name: z.string() }).optional(),
  fields: z.array(z.object({ name: z.string(), value: z.string(), inline: z.boolean().optional() })).optional(),
});

export const NotificationPayload = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('issue_created'), issue: IssueSnapshot, at: z.number() }),
  z.object({ kind: z.literal('issue_escalated'), issue: IssueSnapshot, at: z.number(), previous_severity: z.string().optional() }),
  z.object({ kind: z.literal('issue_reopened'), issue: IssueSnapshot, at: z.number() }),
  z.object({ kind: z.literal('issue_resolved'), issue: IssueSnapshot, at: z.number(), reason: z.string().optional() }),
  z.object({ kind: z.literal('issue_flapping'), issue: IssueSnapshot, at: z.number(), transitions: z.number(), window_minutes: z.number() }),
  z.object({ kind: z.literal('approval_required'), issue: IssueSnapshot.nullable(), action: ActionSnapshot, at: z.number() }),
  z.object({
    kind: z.literal('action_executed'),
    issue: IssueSnapshot.nullable(),
    action: ActionSnapshot,
    success: z.boolean(),
    /** The result as the issue timeline states it, e.g. "✅ kill_process: Process buggy-app killed". */
    summary: z.string().optional(),
    output: z.string().optional(),
    dry_run: z.boolean().optional(),
    at: z.number(),
  }),
  z.object({
    kind: z.literal('action_verified'),
    issue: IssueSnapshot.nullable(),
    action: ActionSnapshot,
    verified: z.boolean(),
    detail: z.string().optional(),
    at: z.number(),
  }),
  z.object({ kind: z.literal('analysis_manual'), issue: IssueSnapshot, summary: z.string(), at: z.number() }),
  z.object({ kind: z.literal('digest'), title: z.string(), embeds: z.array(EmbedSchema), at: z.number() }),
  /** Where some issues stand, in one message: a silence or maintenance window ended over them, or a reminder round. */
  z.object({
    kind: z.literal('issues_standing'),
    reason: z.enum(['silence_ended', 'window_ended', 'reminder']),
    title: z.string(),
    issues: z.array(IssueSnapshot.extend({ acknowledged_by: z.string().nullable().optional() })),
    at: z.number(),
  }),
]);
export type NotificationPayload = z.infer<typeof NotificationPayload>;

/** A row to insert; dedup_key makes the insert idempotent. */
export interface NewNotification {
  channel: NotificationChannel;
  dedup_key: string;
  payload: NotificationPayload;
}

/** A claimed outbox row, ready to render. */
export interface OutboxItem {
  id: number;
  channel: NotificationChannel;
  attempts: number;
  created_at: number;
  payload: NotificationPayload;
}

/** What renderers need to build links and instructions. */
export interface RenderContext {
  /** Base of dashboard links, without a trailing slash. */
  publicUrl: string;
}
