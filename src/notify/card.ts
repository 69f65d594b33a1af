import { z } from 'zod';
import { clampEmbed, SAFE_LIMITS, truncate, type Embed, type EmbedField } from './embed-limits.js';
import { ActionSnapshot, IssueSnapshot, type RenderContext } from './notification-types.js';
import { COLORS, issueUrl } from './render.js';

/**
 * The live message ("card") of one issue: its state is rewritten by every change and Discord shows the latest
 * (posted once, then edited in place). Stored as JSON in issue_cards.state and parsed with zod when read back.
 */
export const CARD_HEADLINES = ['created', 'escalated', 'reopened', 'resolved', 'closed', 'acknowledged', 'flapping', 'settled', 'updated'] as const;
export type CardHeadline = (typeof CARD_HEADLINES)[number];

export const CardAction = z.object({
  id: z.string(),
  line: z.string(),
  outcome: z.string(),
  at: z.number(),
});
export type CardAction = z.infer<typeof CardAction>;

export const CardState = z.object({
  issue: IssueSnapshot,
  headline: z.enum(CARD_HEADLINES),
  /** When the issue last resolved, reopened or escalated (what the channel must show within seconds). */
  last_transition_at: z.number(),
  flapping: z.object({ since: z.number(), cycles: z.number(), settled_at: z.number().optional() }).optional(),
  actions: z.array(CardAction).default([]),
  /** Who owns the issue (acknowledged), and the silence, snooze or maintenance window covering it. */
  ack: z.object({ by: z.string(), at: z.number() }).optional(),
  silence: z.object({ id: z.string(), kind: z.enum(['silence', 'snooze', 'window']), until: z.number().nullable(), by: z.string(), comment: z.string() }).optional(),
  updated_at: z.number(),
});
export type CardMarks = Pick<CardState, 'ack' | 'silence'>;
export type CardState = z.infer<typeof CardState>;

/** What one change does to a card (the pipeline translates issue changes and action events into these). */
export type CardUpdate =
  | { kind: 'issue'; change: 'created' | 'escalated' | 'reopened' | 'resolved' | 'closed' | 'acknowledged'; issue: IssueSnapshot; at: number; flappingStarted?: boolean; cycles?: number }
  | { kind: 'action'; issue: IssueSnapshot; action: ActionSnapshot; outcome: string; at: number }
  | { kind: 'marks'; issue: IssueSnapshot; marks: CardMarks; at: number };

const MAX_ACTIONS_SHOWN = 5;

/** The card's next state (pure). A flapping card keeps its cycle count and shows the current state after it. */
export function nextCardState(prev: CardState | undefined, u: CardUpdate): CardState {
  const base: CardState = prev ?? { issue: u.issue, headline: 'created', last_transition_at: u.at, actions: [], updated_at: u.at };
  if (u.kind === 'marks') {
    const { ack: _a, silence: _s, ...rest } = base;
    return { ...rest, ...(u.marks.ack ? { ack: u.marks.ack } : {}), ...(u.marks.silence ? { silence: u.marks.silence } : {}), issue: { ...base.issue, status: u.issue.status }, updated_at: u.at };
  }
  if (u.kind === 'action') {
    const line = u.action.summary ?? u.action.action_type;
    const others = base.actions.filter((a) => a.id !== u.action.id);
    const by = u.action.decided_by ? ` · approved by ${u.action.decided_by}` : '';
    const actions = [...others, { id: u.action.id, line: truncate(`${line}${by}`, 240), outcome: u.outcome, at: u.at }].slice(-MAX_ACTIONS_SHOWN);
    return { ...base, issue: { ...u.issue, alert_count: Math.max(u.issue.alert_count ?? 0, base.issue.alert_count ?? 0) }, actions, updated_at: u.at };
  }
  const transition = u.change === 'resolved' || u.change === 'reopened' || u.change === 'escalated' || u.change === 'created' || u.change === 'closed';
  let flapping = base.flapping;
  if (u.flappingStarted) flapping = { since: u.at, cycles: u.cycles ?? 0 };
  else if (flapping && (u.change === 'resolved' || u.change === 'reopened')) {
    const { settled_at: _settled, ...still } = flapping;
    flapping = { ...still, cycles: u.change === 'reopened' ? flapping.cycles + 1 : flapping.cycles };
  }
  // A status set by hand or by the agent (investigating) changes the Status field, not what the card is about.
  const next: CardState = {
    ...base,
    issue: u.issue,
    headline: u.change === 'acknowledged' ? base.headline : u.change,
    last_transition_at: transition ? u.at : base.last_transition_at,
    updated_at: u.at,
  };
  if (flapping) next.flapping = flapping;
  return next;
}

/** The card after its issue stayed quiet for the settle time: it says the flapping settled (pure). */
export function settledCardState(prev: CardState, at: number): CardState {
  if (!prev.flapping) return prev;
  return { ...prev, flapping: { ...prev.flapping, settled_at: at }, updated_at: at };
}

function ts(ms: number): string {
  return `<t:${Math.floor(ms / 1000)}:R>`;
}

function isEnded(status: string): boolean {
  return status === 'resolved' || status === 'closed';
}

function titleOf(s: CardState): string {
  const i = s.issue;
  const on = `${i.title} on ${i.server_id}`;
  if (s.flapping?.settled_at !== undefined) return `${isEnded(i.status) ? '✅ Settled, resolved' : '🔴 Settled, still open'}: ${on}`;
  if (s.flapping) return `〰️ Flapping (${s.flapping.cycles} cycles), now ${isEnded(i.status) ? 'resolved' : i.severity}: ${on}`;
  switch (s.headline) {
    case 'created':
      return `🔴 New ${i.severity} issue: ${on}`;
    case 'escalated':
      return `🔺 Escalated to ${i.severity}: ${on}`;
    case 'reopened':
      return `🔁 Reopened: ${on}`;
    case 'resolved':
    case 'closed':
    case 'settled':
      return `✅ Resolved: ${on}`;
    case 'acknowledged':
    case 'updated':
    case 'flapping':
      return isEnded(i.status) ? `✅ Resolved: ${on}` : `🔴 ${i.severity === 'critical' ? 'Critical' : 'Warning'}: ${on}`;
  }
}

function colorOf(s: CardState): number {
  if (isEnded(s.issue.status)) return COLORS.resolved;
  if (s.flapping && s.flapping.settled_at === undefined) return COLORS.flapping;
  return s.issue.severity === 'critical' ? COLORS.critical : COLORS.warning;
}

/** The card as one embed: the current state, flapping and its cycles, actions and their outcome, acknowledgement. */
export function renderCard(s: CardState, ctx: RenderContext): Embed {
  const i = s.issue;
  const lines: string[] = [];
  if (i.description) lines.push(i.description);
  if (s.flapping) {
    lines.push(
      s.flapping.settled_at !== undefined
        ? `Flapped ${s.flapping.cycles} cycles; settled ${ts(s.flapping.settled_at)} (no change since ${ts(s.last_transition_at)}).`
        : `Flapping: ${s.flapping.cycles} resolve/reopen cycles since ${ts(s.flapping.since)}. Automatic remediation is suspended until it settles; this message keeps showing its state.`,
    );
  }
  if (!isEnded(i.status) && s.silence) lines.push(silenceLine(s.silence));
  if (s.ack) lines.push(`👤 Acknowledged by ${s.ack.by} ${ts(s.ack.at)}`);
  if (isEnded(i.status) && s.headline === 'closed') lines.push(`Status set to ${i.status} by a person.`);
  else if (isEnded(i.status) && !s.flapping) lines.push('Alert condition cleared.');
  const fields: EmbedField[] = [
    { name: 'Server', value: i.server_id, inline: true },
    { name: 'Severity', value: i.severity, inline: true },
    { name: 'Status', value: i.status, inline: true },
  ];
  if (i.value) fields.push({ name: 'Value', value: i.value, inline: true });
  if (i.alert_count !== undefined) fields.push({ name: 'Firings', value: String(i.alert_count), inline: true });
  fields.push({ name: 'Last change', value: `${s.headline} ${ts(s.last_transition_at)}`, inline: true });
  // Alert text: only an http(s) URL is shown (Discord makes it a link), and never as markdown the sender wrote.
  if (i.runbook_url && /^https?:\/\/\S+$/i.test(i.runbook_url)) fields.push({ name: 'Runbook', value: truncate(i.runbook_url, 1_000) });
  if (s.actions.length > 0) fields.push({ name: 'Actions', value: s.actions.map((a) => `${a.outcome}: ${a.line}`).join('\n') });
  return clampEmbed({
    title: titleOf(s),
    url: issueUrl(ctx, i.id),
    color: colorOf(s),
    timestamp: new Date(s.last_transition_at).toISOString(),
    ...(lines.length > 0 ? { description: lines.join('\n') } : {}),
    fields,
    footer: { text: `opsagent issues-show ${i.id}` },
  });
}

/** "🔕 Silenced until 15:00 by bob (deploy)": Discord shows the time in each reader's own zone. */
export function silenceLine(m: NonNullable<CardState['silence']>): string {
  const until = m.until === null ? 'until it resolves' : `until <t:${Math.floor(m.until / 1000)}:t>`;
  const why = m.comment ? ` (${truncate(m.comment, 200)})` : '';
  switch (m.kind) {
    case 'snooze':
      return `💤 Snoozed ${until} by ${m.by}${why}`;
    case 'window':
      return `🛠 Maintenance window ${until}${why}`;
    case 'silence':
      return `🔕 Silenced ${until} by ${m.by}${why}`;
  }
}

/**
 * The buttons of an open issue's message where the bot posts it: Acknowledge, Snooze 1 h, Silence until resolved
 * (custom ids `ack:`, `snooze:`, `silence:` + the issue id; the interactions route checks the clicker like an approver).
 */
export function issueButtons(issueId: string, state?: Pick<CardState, 'ack' | 'silence'>): { type: 2; style: number; label: string; custom_id: string; disabled?: boolean }[] {
  if (`silence:${issueId}`.length > 100) return [];
  return [
    { type: 2, style: 2, label: state?.ack ? `Acknowledged by ${truncate(state.ack.by, 40)}` : 'Acknowledge', custom_id: `ack:${issueId}`, ...(state?.ack ? { disabled: true } : {}) },
    { type: 2, style: 2, label: 'Snooze 1 h', custom_id: `snooze:${issueId}` },
    { type: 2, style: 2, label: 'Silence until resolved', custom_id: `silence:${issueId}`, ...(state?.silence?.until === null ? { disabled: true } : {}) },
  ];
}

/** The card's components where the bot posts it: the issue buttons while it is open, none once it ended. */
export function cardComponents(s: CardState): unknown[] {
  if (isEnded(s.issue.status)) return [];
  const buttons = issueButtons(s.issue.id, s);
  return buttons.length > 0 ? [{ type: 1, components: buttons }] : [];
}

/** One line of a storm summary: every issue named, with its current state. */
export function cardLine(s: CardState): string {
  const i = s.issue;
  const mark = isEnded(i.status) ? '✅' : i.severity === 'critical' ? '🔴' : '🟠';
  const state = isEnded(i.status) ? 'resolved' : s.flapping ? `flapping (${s.flapping.cycles})` : s.silence ? `${i.status}, ${s.silence.kind === 'snooze' ? 'snoozed' : 'silenced'}` : i.status;
  return truncate(`${mark} ${i.title} on ${i.server_id} · ${state}`, 120);
}

/** Cards claimed for one storm summary; as many as fit one message are shown, the rest take the next. */
export const GROUP_MAX_CARDS = 150;

/**
 * A storm summary: several issues' cards in one message, edited as they change. Every issue it covers is named on
 * its own line; `count` says how many of `states` fit (the first ones), the others go in another message.
 */
export function renderGroupCard(states: CardState[], ctx: RenderContext, options: { firstPost?: boolean } = {}): { embeds: Embed[]; count: number } {
  // A first post leaves room for its lines to grow ("open" → "flapping (12)") when it is edited later.
  const room = SAFE_LIMITS.totalPerMessage - (options.firstPost ? 1_200 : 200);
  const lines: string[] = [];
  let total = 0;
  for (const s of states) {
    const line = cardLine(s);
    if (total + line.length + 1 > room) break;
    lines.push(line);
    total += line.length + 1;
  }
  const shown = states.slice(0, lines.length);
  const open = shown.filter((s) => !isEnded(s.issue.status)).length;
  const title = `⚡ ${shown.length} issues at once: ${open} open, ${shown.length - open} resolved`;
  const color = open > 0 ? COLORS.critical : COLORS.resolved;
  const embeds: Embed[] = [];
  let current: string[] = [];
  let used = 0;
  const flush = () => {
    if (current.length === 0) return;
    embeds.push({ ...(embeds.length === 0 ? { title, url: `${ctx.publicUrl}/` } : {}), description: current.join('\n'), color });
    current = [];
    used = 0;
  };
  for (const line of lines) {
    if (used + line.length + 1 > SAFE_LIMITS.description) flush();
    current.push(line);
    used += line.length + 1;
  }
  flush();
  return { embeds, count: lines.length };
}
