import { z } from 'zod';
import { ActionSnapshot, IssueSnapshot } from '../notification-types.js';

/**
 * What a channel is told about one change: the outbox payload of channel_outbox, and (as is) the `events[]` items
 * of the signed webhook's body. Versioned: a field is only ever added; docs/channels.md is its reference.
 */
export const CHANNEL_EVENT_VERSION = 1;
export const CHANNEL_EVENT_KINDS = ['new', 'escalated', 'resolved', 'acknowledged', 'approvals', 'digest'] as const;
export type ChannelEventKind = (typeof CHANNEL_EVENT_KINDS)[number];

export const ChannelEvent = z.object({
  version: z.literal(CHANNEL_EVENT_VERSION),
  /** The change, e.g. "issue.new", "issue.escalated", "issue.resolved", "action.approval_required", "digest". */
  event: z.string(),
  kind: z.enum(CHANNEL_EVENT_KINDS),
  /** Milliseconds since the epoch. */
  at: z.number(),
  issue: IssueSnapshot.nullable(),
  action: ActionSnapshot.optional(),
  previous_severity: z.string().optional(),
  reason: z.string().optional(),
  /** A link to the issue (or the dashboard) on this agent. */
  url: z.string(),
  /** One line for people: what every channel shows as its text fallback. */
  summary: z.string(),
  /** A digest's body, plain text (digest only). */
  text: z.string().optional(),
});
export type ChannelEvent = z.infer<typeof ChannelEvent>;

/** How a channel answered one delivery, classified for the sender. A refusal is an answer, not an exception. */
export type DeliveryOutcome =
  /** Delivered; ref = the live message it created (Slack channel:ts, Telegram chat:message id) for later edits. */
  | { kind: 'sent'; ref?: string }
  /** 429: wait retryAfterMs (absent: the channel's backoff), then the same row again (not a failed attempt). */
  | { kind: 'rate_limited'; retryAfterMs: number | undefined; error: string }
  /** 5xx, timeout, network: back off and retry. */
  | { kind: 'retry'; error: string }
  /** 401/403/404 or a bad token/channel answer: retrying cannot help until the operator fixes the config. */
  | { kind: 'fatal'; status: number; error: string }
  /** This body was refused for good: the row is marked failed and the next one goes. */
  | { kind: 'rejected'; error: string }
  /** The live message to edit no longer exists: forget it and post a fresh one. */
  | { kind: 'gone'; error: string };

/** One configured channel (Slack, Slack incoming webhook, Telegram, PagerDuty, signed webhook). */
export interface Channel {
  readonly name: string;
  readonly type: string;
  /** Keeps a live message per issue (posted once, then edited), instead of a new message per change. */
  readonly live: boolean;
  /** Delivers one event; ref = this issue's live message on the channel, when there is one. */
  deliver(event: ChannelEvent, ref: string | undefined): Promise<DeliveryOutcome>;
  /**
   * A storm: several issue events as one message (every one named on its line), when the backlog is more than the
   * budget can send one by one. summaryMax = how many one message shows. Absent: always one request per event.
   */
  readonly summaryMax?: number;
  deliverSummary?(events: ChannelEvent[]): Promise<DeliveryOutcome>;
}

/**
 * The verbs of the buttons a channel shows on an approval request (docs/channels.md, server/routes/channel-buttons.ts):
 * approve and reject name the action; snooze names its issue (silenced for 1 h: no messages, no automatic action).
 */
export const BUTTON_VERBS = ['approve', 'reject', 'snooze'] as const;
export type ButtonVerb = (typeof BUTTON_VERBS)[number];
