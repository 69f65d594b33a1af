import type { Config } from '../config/schema.js';
import { formatValue } from '../issues/lifecycle.js';
import type { Issue, IssueChange } from '../model/issue.js';
import type { Logger } from '../logger.js';
import { CardState, nextCardState, type CardUpdate } from '../notify/card.js';
import { DiscordClient } from '../notify/discord-client.js';
import { NotificationSender } from '../notify/notification-sender.js';
import type { ActionSnapshot, IssueSnapshot, NotificationPayload, RenderContext } from '../notify/notification-types.js';
import { DigestScheduler } from '../notify/digest-scheduler.js';
import type { Database, SqlExecutor } from '../store/database.js';
import { NotificationRepository, type OutboxChannel, type OutboxInsert } from '../store/notification-repository.js';
import type { ActionEvent } from '../model/action.js';
import type { BackgroundService } from './service.js';
import type { SilenceCover } from '../model/silence.js';
import type { IssueMarks, StandingReport } from './silences.js';

/** What decides which changes reach Discord (slices of config.discord and config.issues). */
export interface NotificationSettings {
  notifyOnCritical: boolean;
  notifyOnAgentAction: boolean;
  /** Approval requests go to the bot (with buttons) instead of the webhook. */
  useBot: boolean;
  flappingTransitions: number;
  flappingWindowMinutes: number;
  /** A resolution also posts a short new message (besides editing the card). */
  resolutionMessage: boolean;
  /** A flapping card says it settled after this long without a transition. */
  settleMs: number;
  /** A card edit caused by firings alone (count, value) waits this long, so a busy issue costs few edits. */
  firingEditDelayMs: number;
  /** A card edit that is not a transition (an action's outcome, a status set to investigating) waits this long. */
  detailEditDelayMs: number;
}

export function settingsFrom(config: Config): NotificationSettings {
  const bot = config.discord.bot;
  return {
    notifyOnCritical: config.discord.notifyOnCritical,
    notifyOnAgentAction: config.discord.notifyOnAgentAction,
    useBot: bot.token !== '' && bot.channelId !== '' && bot.applicationPublicKey !== '',
    flappingTransitions: config.issues.flapping.transitions,
    flappingWindowMinutes: config.issues.flapping.windowMinutes,
    resolutionMessage: config.discord.resolution === 'edit-and-message',
    settleMs: Math.round(config.discord.settleMinutes * 60_000),
    firingEditDelayMs: 30_000,
    detailEditDelayMs: 10_000,
  };
}

export function publicUrlOf(config: Config): string {
  const url = config.server.publicUrl || `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${config.server.port}`;
  return url.replace(/\/+$/, '');
}

export function issueSnapshot(issue: Issue, value?: number | null, units?: string): IssueSnapshot {
  const shown = formatValue(value, units ?? issue.metadata.units);
  return {
    id: issue.id,
    server_id: issue.server_id,
    title: issue.title,
    severity: issue.severity,
    status: issue.status,
    description: issue.description,
    ...(shown ? { value: shown } : {}),
    alert_count: issue.alert_count,
    first_seen_at: issue.first_seen_at,
    resolved_at: issue.resolved_at,
    ...(issue.metadata.annotations?.runbook_url ? { runbook_url: issue.metadata.annotations.runbook_url } : {}),
  };
}

function row(payload: NotificationPayload, dedupKey: string, channel: OutboxChannel = 'webhook'): OutboxInsert {
  const issueId = 'issue' in payload && payload.issue ? payload.issue.id : null;
  const actionId = 'action' in payload ? payload.action.id : null;
  return { kind: payload.kind, channel, dedup_key: dedupKey, issue_id: issueId, action_id: actionId, payload };
}

/** What one change does on Discord: the issue's card (state, and whether it is new) and any new messages. */
export interface NotifyPlan {
  /** The card's new state; undefined leaves it as it is. */
  card?: CardUpdate;
  /** The card may be created by this change (a new card is posted: the first message about the issue). */
  createCard?: boolean;
  /** The flapping settle timer: a time arms it, null clears it, undefined leaves it. */
  settleAt?: number | null;
  /** New messages: only what needs a person now (escalation, flapping, a failed action, an approval…). */
  rows: OutboxInsert[];
}

/**
 * What one issue change tells Discord (pure). The first message about an issue is its card, and every later change
 * edits it; a new message only for what needs a person now: a new critical issue (the card itself), an escalation
 * to critical and the start of flapping (short messages when the card exists), and, if configured, a resolution.
 * Never a message per firing.
 */
export function planIssueChange(change: IssueChange, s: NotificationSettings, hasCard: boolean, announced: boolean, now: number): NotifyPlan {
  const issue = change.issue;
  const at = change.event?.occurred_at ?? now;
  const snap = issueSnapshot(issue, change.event?.value, change.event?.units);
  const critical = issue.severity === 'critical' && s.notifyOnCritical;
  const settle = (): number | null | undefined => (issue.metadata.flapping === true ? now + s.settleMs : undefined);
  const edit = (c: 'created' | 'escalated' | 'reopened' | 'resolved' | 'closed' | 'acknowledged', extra: Partial<Extract<CardUpdate, { kind: 'issue' }>> = {}): CardUpdate => ({
    kind: 'issue',
    change: c,
    issue: snap,
    at,
    ...extra,
  });
  const transitionKind = change.kind === 'resolved' ? 'resolved' : change.kind === 'reopened' ? 'reopened' : change.kind === 'escalated' ? 'escalated' : 'created';
  if (change.flappingStarted) {
    if (!hasCard && !critical && !announced) return { rows: [] };
    const transitions = issue.metadata.transitions?.length ?? s.flappingTransitions;
    const card = edit(transitionKind, { flappingStarted: true, cycles: Math.floor(transitions / 2) });
    if (!hasCard) return { card, createCard: true, settleAt: now + s.settleMs, rows: [] };
    const payload: NotificationPayload = { kind: 'issue_flapping', issue: snap, at, transitions, window_minutes: s.flappingWindowMinutes };
    return { card, settleAt: now + s.settleMs, rows: [row(payload, `flapping:${issue.id}:${at}`)] };
  }
  switch (change.kind) {
    case 'created':
      return critical ? { card: edit('created'), createCard: true, rows: [] } : { rows: [] };
    case 'escalated':
      if (!critical) return hasCard ? { card: edit('escalated'), rows: [] } : { rows: [] };
      if (!hasCard) return { card: edit('escalated'), createCard: true, rows: [] };
      return {
        card: edit('escalated'),
        rows: [row({ kind: 'issue_escalated', issue: snap, at, ...(change.previousSeverity ? { previous_severity: change.previousSeverity } : {}) }, `escalated:${issue.id}:${at}`)],
      };
    case 'reopened': {
      const settleAt = settle();
      if (hasCard) return { card: edit('reopened'), ...(settleAt !== undefined ? { settleAt } : {}), rows: [] };
      return critical && issue.metadata.flapping !== true ? { card: edit('reopened'), createCard: true, rows: [] } : { rows: [] };
    }
    case 'resolved': {
      const message = row({ kind: 'issue_resolved', issue: snap, at }, `resolved:${issue.id}:${issue.resolved_at ?? at}`);
      const settleAt = settle();
      if (hasCard) return { card: edit('resolved'), ...(settleAt !== undefined ? { settleAt } : {}), rows: s.resolutionMessage ? [message] : [] };
      return announced ? { rows: [message] } : { rows: [] }; // told about before cards existed (an outbox row)
    }
    case 'status_changed': {
      const wasActive = change.previousStatus === 'open' || change.previousStatus === 'investigating';
      const ended = issue.status === 'resolved' || issue.status === 'closed';
      if (hasCard && issue.status === 'investigating') return { card: { ...edit('acknowledged'), at: now }, rows: [] };
      if (!wasActive || !ended) return hasCard ? { card: { ...edit('acknowledged'), at: now }, rows: [] } : { rows: [] };
      const message = row({ kind: 'issue_resolved', issue: snap, at: now, reason: `Status set to ${issue.status} by a person` }, `resolved:${issue.id}:${issue.resolved_at ?? now}`);
      if (hasCard) return { card: { ...edit('closed'), at: now }, settleAt: null, rows: s.resolutionMessage ? [message] : [] };
      return announced ? { rows: [message] } : { rows: [] };
    }
    case 'fired':
    case 'late':
      return { rows: [] };
  }
}

function actionSnapshot(e: ActionEvent): ActionSnapshot {
  const a = e.action;
  const params = Object.entries(a.params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return {
    id: a.id,
    action_type: a.action_type,
    risk: a.risk,
    summary: `${a.action_type}${params ? ` ${params}` : ''}`.slice(0, 300),
    reason: a.reason || a.decision_reason,
    decided_by: a.decided_by,
    expires_at: a.expires_at,
  };
}

/**
 * What one remediation event tells Discord (pure). Approval requests always get a new message (a person must act);
 * results, verifications and "manual intervention required" follow notifyOnAgentAction, and edit the issue's card.
 * A new message besides the card only when a person must act: an action that failed or did not help, the first
 * "manual intervention required". Decisions (approved, rejected, expired, denied) only edit the card.
 */
export function planActionEvent(e: ActionEvent, s: NotificationSettings, now: number, card: CardState | undefined, analysisSummary?: string): NotifyPlan {
  const issue = issueSnapshot(e.issue);
  const action = actionSnapshot(e);
  const hasCard = card !== undefined;
  const on = (outcome: string, at: number): CardUpdate => ({ kind: 'action', issue, action, outcome, at });
  switch (e.kind) {
    case 'pending_approval':
      return {
        ...(hasCard ? { card: on('⏳ awaiting approval', e.action.created_at) } : {}),
        rows: [row({ kind: 'approval_required', issue, action, at: e.action.created_at }, `approval:${action.id}`, s.useBot ? 'bot' : 'webhook')],
      };
    case 'approved':
    case 'rejected':
    case 'expired':
    case 'denied': {
      if (!hasCard) return { rows: [] };
      const by = e.action.decided_by ? ` by ${e.action.decided_by}` : '';
      const word = { approved: `👍 approved${by}`, rejected: `👎 rejected${by}`, expired: '⌛ approval expired', denied: '🚫 denied' }[e.kind];
      return { card: on(word, now), rows: [] };
    }
    case 'executed': {
      if (!s.notifyOnAgentAction) return { rows: [] };
      const success = e.action.success === true;
      const at = e.action.finished_at ?? now;
      const update = on(e.action.dry_run ? '🧪 dry run' : success ? '🤖 executed' : '❌ failed', at);
      if (!hasCard) return { card: update, createCard: true, rows: [] };
      if (success) return { card: update, rows: [] };
      return {
        card: update,
        rows: [
          row(
            {
              kind: 'action_executed',
              issue,
              action,
              success,
              summary: e.message.slice(0, 500),
              ...(e.action.output ? { output: e.action.output.slice(0, 2_000) } : {}),
              dry_run: e.action.dry_run,
              at,
            },
            `executed:${action.id}`,
          ),
        ],
      };
    }
    case 'verified':
    case 'not_verified': {
      if (!s.notifyOnAgentAction) return { rows: [] };
      const at = e.action.verified_at ?? now;
      const verified = e.kind === 'verified';
      const update = on(verified ? '✅ verified' : '⚠️ did not help', at);
      if (!hasCard) return { card: update, createCard: true, rows: [] };
      if (verified) return { card: update, rows: [] };
      return { card: update, rows: [row({ kind: 'action_verified', issue, action, verified, detail: e.message, at }, `verified:${action.id}`)] };
    }
    case 'notify': {
      if (!s.notifyOnAgentAction) return { rows: [] };
      // Readonly mode (and unverified actions) end in a note for a person: the analysis plus "Manual intervention required".
      const summary = analysisSummary ?? e.message;
      // With a card (a critical issue: already a message that calls for a person) the note goes on the card; an
      // issue without one (a warning) gets the note as its new message.
      if (!card) return { rows: [row({ kind: 'analysis_manual', issue, summary: summary.slice(0, 2_000), at: e.action.created_at }, `notify:${action.id}`)] };
      return { card: { kind: 'action', issue, action: { ...action, summary: `analysis: ${summary.slice(0, 180)}` }, outcome: '🙋 manual intervention required', at: e.action.created_at }, rows: [] };
    }
    case 'skipped':
      return { rows: [] };
  }
}

/**
 * What a silence does to a plan (pure): no new message and no new card; an existing card is still edited, so the
 * channel's live message keeps showing the state (and says it is silenced).
 */
export function holdForSilence(plan: NotifyPlan): NotifyPlan {
  return { ...(plan.card ? { card: plan.card } : {}), ...(plan.settleAt !== undefined ? { settleAt: plan.settleAt } : {}), rows: [] };
}

/** The silence or window covering an issue now (read in the change's transaction). */
export type SilenceCheck = (tx: SqlExecutor, issue: Issue, now: number) => Promise<SilenceCover | undefined>;

function standingSnapshot(i: StandingReport['issues'][number]) {
  return { ...issueSnapshot(i.issue), acknowledged_by: i.acknowledged_by };
}

/** The hooks that write outbox rows inside the transactions that make the changes (durable, exactly once queued). */
export class NotificationHooks {
  #silenced: SilenceCheck | undefined;
  readonly #repo: NotificationRepository;
  readonly #settings: NotificationSettings;
  readonly #now: () => number;
  readonly #wake: () => void;

  constructor(repo: NotificationRepository, settings: NotificationSettings, options: { now?: () => number; wake?: () => void } = {}) {
    this.#repo = repo;
    this.#settings = settings;
    this.#now = options.now ?? Date.now;
    this.#wake = options.wake ?? (() => undefined);
  }

  /** Silenced issues get no new messages (wired in pipeline/wire.ts). */
  consultSilences(check: SilenceCheck): void {
    this.#silenced = check;
  }

  async #held(tx: SqlExecutor, issue: Issue, now: number): Promise<boolean> {
    return this.#silenced !== undefined && (await this.#silenced(tx, issue, now)) !== undefined;
  }

  async #card(tx: SqlExecutor, issueId: string): Promise<CardState | undefined> {
    const stored = await this.#repo.cardState(tx, issueId);
    if (stored === undefined) return undefined;
    const parsed = CardState.safeParse(stored);
    return parsed.success ? parsed.data : undefined;
  }

  async #apply(tx: SqlExecutor, issueId: string, prev: CardState | undefined, plan: NotifyPlan, now: number): Promise<void> {
    if (plan.card && (prev || plan.createCard)) {
      // A transition (created, escalated, resolved, reopened) or a new card is shown at once; other updates of an
      // existing card (action outcomes, status set to investigating) wait a little, so a burst of them is one edit.
      const urgent = !prev || plan.rows.length > 0 || (plan.card.kind === 'issue' && plan.card.change !== 'acknowledged');
      await this.#repo.writeCard(tx, issueId, nextCardState(prev, plan.card), now, {
        dueAt: urgent ? now : now + this.#settings.detailEditDelayMs,
        ...(plan.settleAt !== undefined ? { settleAt: plan.settleAt } : {}),
      });
    }
    for (const n of plan.rows) await this.#repo.enqueue(tx, n, now);
  }

  /** tracker.onChanges: runs inside the ingest/mutate transaction. */
  readonly onIssueChanges = async (tx: SqlExecutor, changes: IssueChange[]): Promise<void> => {
    const now = this.#now();
    // Firings only touch the count on an existing card: one UPDATE per issue per batch, no read (the hot path).
    const fired = new Map<string, IssueChange>();
    for (const change of changes) {
      if (change.kind === 'fired' || change.kind === 'late') {
        fired.set(change.issue.id, change);
        continue;
      }
      fired.delete(change.issue.id);
      const prev = await this.#card(tx, change.issue.id);
      const announced = prev !== undefined || (await this.#repo.wasAnnounced(tx, change.issue.id));
      const plan = planIssueChange(change, this.#settings, prev !== undefined, announced, now);
      // A resolution of a silenced issue is not announced either (as Alertmanager): it is judged as it stood just before.
      const judged = change.kind === 'resolved' ? { ...change.issue, status: change.previousStatus ?? 'open' } : change.issue;
      const held = (plan.rows.length > 0 || plan.createCard === true) && (await this.#held(tx, judged, now));
      await this.#apply(tx, change.issue.id, prev, held ? holdForSilence(plan) : plan, now);
    }
    for (const [issueId, change] of fired) {
      const value = issueSnapshot(change.issue, change.event?.value, change.event?.units).value ?? undefined;
      this.#repo.cardFired(tx, issueId, change.issue.alert_count, value, now + this.#settings.firingEditDelayMs, now);
    }
  };

  /** remediation.onActionChanges: runs inside the transaction that recorded the action events. */
  readonly onActionChanges = async (tx: SqlExecutor, events: ActionEvent[]): Promise<void> => {
    const now = this.#now();
    for (const e of events) {
      const summary = e.kind === 'notify' && e.cause === 'manual_intervention' ? await this.#repo.latestAnalysisSummary(tx, e.issue.id) : undefined;
      const prev = await this.#card(tx, e.issue.id);
      const plan = planActionEvent(e, this.#settings, now, prev, summary);
      // A held proposal asks nobody; any other message about a silenced issue waits for the silence to end.
      const held = (plan.rows.length > 0 || plan.createCard === true) && (!!e.action.held_by_silence || (await this.#held(tx, e.issue, now)));
      await this.#apply(tx, e.issue.id, prev, held ? holdForSilence(plan) : plan, now);
    }
  };

  /** silences.onMarksChanged: an acknowledgement or a silence shows on the issue's card (never a new message). */
  readonly onMarksChanged = async (tx: SqlExecutor, changes: { issue: Issue; marks: IssueMarks }[]): Promise<void> => {
    const now = this.#now();
    for (const { issue, marks } of changes) {
      const prev = await this.#card(tx, issue.id);
      if (!prev) continue;
      const update: CardUpdate = {
        kind: 'marks',
        issue: issueSnapshot(issue),
        marks: {
          ...(marks.acknowledged_by ? { ack: { by: marks.acknowledged_by, at: marks.acknowledged_at ?? now } } : {}),
          ...(marks.silenced ? { silence: marks.silenced } : {}),
        },
        at: now,
      };
      await this.#repo.writeCard(tx, issue.id, nextCardState(prev, update), now, { dueAt: now });
    }
  };

  /** silences.onStanding: one message saying where some issues stand (a silence ended, a reminder round). */
  readonly onStanding = async (tx: SqlExecutor, report: StandingReport): Promise<void> => {
    const payload: NotificationPayload = { kind: 'issues_standing', reason: report.reason, title: report.title, issues: report.issues.slice(0, 40).map(standingSnapshot), at: report.at };
    await this.#repo.enqueue(tx, { kind: payload.kind, channel: 'webhook', dedup_key: report.key, issue_id: null, action_id: null, payload }, this.#now());
  };

  /** After the commit: wake the sender instead of waiting for its poll. */
  readonly afterCommit = (): void => {
    this.#wake();
  };
}

export interface NotificationsSetup {
  /** The outbox hooks pipeline/wire.ts subscribes; undefined while Discord is off (nothing is queued then). */
  hooks: NotificationHooks | undefined;
  /** Undefined when Discord is off. */
  sender: NotificationSender | undefined;
  render: RenderContext;
  client: DiscordClient | undefined;
}

/**
 * Builds the Discord side of the daemon: the outbox hooks and the sender service (subscribed by pipeline/wire.ts).
 * With Discord disabled nothing is queued, so enabling it later does not flood the channel with history.
 */
export function setupNotifications(deps: {
  config: Config;
  repo: NotificationRepository;
  logger: Logger;
  now?: () => number;
  senderOptions?: Partial<ConstructorParameters<typeof NotificationSender>[0]>;
}): NotificationsSetup {
  const { config } = deps;
  const render: RenderContext = { publicUrl: publicUrlOf(config) };
  if (!config.discord.enabled) return { hooks: undefined, sender: undefined, render, client: undefined };
  const settings = settingsFrom(config);
  const bot = config.discord.bot;
  const client = new DiscordClient({
    ...(config.discord.webhookUrl ? { webhookUrl: config.discord.webhookUrl } : {}),
    ...(settings.useBot ? { bot: { token: bot.token, apiBaseUrl: bot.apiBaseUrl } } : {}),
    timeoutMs: config.discord.timeoutMs,
  });
  const sender = new NotificationSender({
    repo: deps.repo,
    client,
    logger: deps.logger.child({ component: 'notify' }),
    render,
    username: config.discord.username,
    ...(settings.useBot ? { botChannelId: bot.channelId } : {}),
    maxMessagesPerWindow: config.discord.maxMessagesPerMinute,
    leaseMs: config.discord.timeoutMs * 2 + 10_000,
    ...(deps.now ? { now: deps.now } : {}),
    ...deps.senderOptions,
  });
  const hooks = new NotificationHooks(deps.repo, settings, { ...(deps.now ? { now: deps.now } : {}), wake: () => sender.wake() });
  return { hooks, sender, render, client };
}

/**
 * The outbox hooks of a process that only records (the CLI): its changes are queued in their transactions and the
 * daemon's sender delivers them. Undefined while Discord is off.
 */
export function notificationQueue(config: Config, db: Database): NotificationHooks | undefined {
  if (!config.discord.enabled || (!config.discord.webhookUrl && !config.discord.bot.token)) return undefined;
  return new NotificationHooks(new NotificationRepository(db), settingsFrom(config));
}

/** What the interactions route (server/routes/discord.ts) needs; the composition root registers it with these. */
export interface InteractionsSetup {
  applicationPublicKey: string;
  approverIds: string[];
  approverRoleIds: string[];
  interactions: NotificationRepository;
  logger: Logger;
  approve(actionId: string, by: string): Promise<{ status: string }>;
  reject(actionId: string, by: string, reason?: string): Promise<{ status: string }>;
  /** Acknowledge / Snooze 1 h / Silence until resolved buttons. */
  issueButtons?: {
    ack(issueId: string, by: string): Promise<unknown>;
    snooze(issueId: string, by: string): Promise<{ ends_at: number | null }>;
    silenceUntilResolved(issueId: string, by: string): Promise<unknown>;
  };
}

/**
 * Everything Discord adds to the daemon: the outbox hooks, the sender and digest services, and (with a bot) what
 * the interactions route needs, whose buttons approve or reject through the same Remediation path as the CLI.
 */
export function discordForAgent(deps: {
  config: Config;
  db: Database;
  approvals: Pick<InteractionsSetup, 'approve' | 'reject'>;
  issueButtons?: InteractionsSetup['issueButtons'];
  logger: Logger;
}): { hooks: NotificationHooks | undefined; services: BackgroundService[]; interactions: InteractionsSetup | undefined } {
  const { config } = deps;
  const repo = new NotificationRepository(deps.db);
  const setup = setupNotifications({ config, repo, logger: deps.logger });
  const services: BackgroundService[] = [];
  if (!setup.sender) return { hooks: setup.hooks, services, interactions: undefined };
  services.push(setup.sender);
  const digest = config.discord.digest;
  if (digest.enabled && config.discord.webhookUrl) {
    const sender = setup.sender;
    services.push(
      new DigestScheduler({ repo, render: setup.render, time: digest.time, timeZone: digest.timezone, logger: deps.logger, onQueued: () => sender.wake() }),
    );
  }
  if (!settingsFrom(config).useBot) return { hooks: setup.hooks, services, interactions: undefined };
  const bot = config.discord.bot;
  if (bot.approverIds.length === 0 && bot.approverRoleIds.length === 0) {
    deps.logger.warn({ component: 'notify' }, 'discord.bot has no approverIds or approverRoleIds: nobody can approve from Discord');
  }
  return {
    hooks: setup.hooks,
    services,
    interactions: {
      applicationPublicKey: bot.applicationPublicKey,
      approverIds: bot.approverIds,
      approverRoleIds: bot.approverRoleIds,
      interactions: repo,
      logger: deps.logger,
      approve: (id, by) => deps.approvals.approve(id, by),
      reject: (id, by, reason) => deps.approvals.reject(id, by, reason),
      ...(deps.issueButtons ? { issueButtons: deps.issueButtons } : {}),
    },
  };
}
