import type { Config } from '../config/schema.js';
import { formatValue } from '../issues/lifecycle.js';
import type { Issue, IssueChange } from '../model/issue.js';
import type { Logger } from '../logger.js';
import { DiscordClient } from '../notify/discord-client.js';
import { NotificationSender } from '../notify/notification-sender.js';
import type { ActionSnapshot, IssueSnapshot, NotificationPayload, RenderContext } from '../notify/notification-types.js';
import { DigestScheduler } from '../notify/digest-scheduler.js';
import type { Database, SqlExecutor } from '../store/database.js';
import { NotificationRepository, type OutboxChannel, type OutboxInsert } from '../store/notification-repository.js';
import type { ActionEvent } from '../model/action.js';
import type { BackgroundService } from './service.js';

/** What decides which changes reach Discord (slices of config.discord and config.issues). */
export interface NotificationSettings {
  notifyOnCritical: boolean;
  notifyOnAgentAction: boolean;
  /** Approval requests go to the bot (with buttons) instead of the webhook. */
  useBot: boolean;
  flappingTransitions: number;
  flappingWindowMinutes: number;
}

export function settingsFrom(config: Config): NotificationSettings {
  const bot = config.discord.bot;
  return {
    notifyOnCritical: config.discord.notifyOnCritical,
    notifyOnAgentAction: config.discord.notifyOnAgentAction,
    useBot: bot.token !== '' && bot.channelId !== '' && bot.applicationPublicKey !== '',
    flappingTransitions: config.issues.flapping.transitions,
    flappingWindowMinutes: config.issues.flapping.windowMinutes,
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
  };
}

function row(payload: NotificationPayload, dedupKey: string, channel: OutboxChannel = 'webhook'): OutboxInsert {
  const issueId = 'issue' in payload && payload.issue ? payload.issue.id : null;
  const actionId = 'action' in payload ? payload.action.id : null;
  return { kind: payload.kind, channel, dedup_key: dedupKey, issue_id: issueId, action_id: actionId, payload };
}

/**
 * What one issue change tells Discord (pure). Never a message per firing: only a new critical issue, an escalation
 * to critical, a critical reopen, the start of flapping (once, then silence while it flaps), and the resolution of
 * an issue Discord was told about.
 */
export function notificationsForIssueChange(change: IssueChange, s: NotificationSettings, announced: boolean, now: number): OutboxInsert[] {
  const issue = change.issue;
  const at = change.event?.occurred_at ?? now;
  const snap = issueSnapshot(issue, change.event?.value, change.event?.units);
  const critical = issue.severity === 'critical';
  if (change.flappingStarted) {
    if (!announced && !(critical && s.notifyOnCritical)) return [];
    const payload: NotificationPayload = {
      kind: 'issue_flapping',
      issue: snap,
      at,
      transitions: issue.metadata.transitions?.length ?? s.flappingTransitions,
      window_minutes: s.flappingWindowMinutes,
    };
    return [row(payload, `flapping:${issue.id}:${at}`)];
  }
  if (issue.metadata.flapping === true) return []; // summarised once when it started
  switch (change.kind) {
    case 'created':
      return critical && s.notifyOnCritical ? [row({ kind: 'issue_created', issue: snap, at }, `created:${issue.id}`)] : [];
    case 'escalated':
      return critical && s.notifyOnCritical
        ? [row({ kind: 'issue_escalated', issue: snap, at, ...(change.previousSeverity ? { previous_severity: change.previousSeverity } : {}) }, `escalated:${issue.id}:${at}`)]
        : [];
    case 'reopened':
      return critical && s.notifyOnCritical ? [row({ kind: 'issue_reopened', issue: snap, at }, `reopened:${issue.id}:${at}`)] : [];
    case 'resolved':
      return announced ? [row({ kind: 'issue_resolved', issue: snap, at }, `resolved:${issue.id}:${issue.resolved_at ?? at}`)] : [];
    case 'status_changed': {
      const wasActive = change.previousStatus === 'open' || change.previousStatus === 'investigating';
      const ended = issue.status === 'resolved' || issue.status === 'closed';
      if (!announced || !wasActive || !ended) return [];
      return [row({ kind: 'issue_resolved', issue: snap, at: now, reason: `Status set to ${issue.status} by a person` }, `resolved:${issue.id}:${issue.resolved_at ?? now}`)];
    }
    case 'fired':
    case 'late':
      return [];
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
 * What one remediation event tells Discord (pure). Approval requests always go out (a person must act); executions,
 * verifications and "manual intervention required" follow notifyOnAgentAction. Decisions (approved/rejected/expired)
 * are already shown on the approval message or the issue page.
 */
export function notificationsForActionEvent(e: ActionEvent, s: NotificationSettings, now: number, analysisSummary?: string): OutboxInsert[] {
  const issue = issueSnapshot(e.issue);
  const action = actionSnapshot(e);
  switch (e.kind) {
    case 'pending_approval':
      return [row({ kind: 'approval_required', issue, action, at: e.action.created_at }, `approval:${action.id}`, s.useBot ? 'bot' : 'webhook')];
    case 'executed':
      if (!s.notifyOnAgentAction) return [];
      return [
        row(
          {
            kind: 'action_executed',
            issue,
            action,
            success: e.action.success === true,
            summary: e.message.slice(0, 500),
            ...(e.action.output ? { output: e.action.output.slice(0, 2_000) } : {}),
            dry_run: e.action.dry_run,
            at: e.action.finished_at ?? now,
          },
          `executed:${action.id}`,
        ),
      ];
    case 'verified':
    case 'not_verified':
      if (!s.notifyOnAgentAction) return [];
      return [row({ kind: 'action_verified', issue, action, verified: e.kind === 'verified', detail: e.message, at: e.action.verified_at ?? now }, `verified:${action.id}`)];
    case 'notify': {
      if (!s.notifyOnAgentAction) return [];
      // Readonly mode (and unverified actions) end in a note for a person: the analysis plus "Manual intervention required".
      const summary = analysisSummary ?? e.message;
      return [row({ kind: 'analysis_manual', issue, summary: summary.slice(0, 2_000), at: e.action.created_at }, `notify:${action.id}`)];
    }
    case 'approved':
    case 'rejected':
    case 'expired':
    case 'denied':
    case 'skipped':
      return [];
  }
}

/** The hooks that write outbox rows inside the transactions that make the changes (durable, exactly once queued). */
export class NotificationHooks {
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

  /** tracker.onChanges: runs inside the ingest/mutate transaction. */
  readonly onIssueChanges = async (tx: SqlExecutor, changes: IssueChange[]): Promise<void> => {
    const now = this.#now();
    for (const change of changes) {
      if (change.kind === 'fired' || change.kind === 'late') continue; // the hot path: no query per firing
      const announced = await this.#repo.wasAnnounced(tx, change.issue.id);
      for (const n of notificationsForIssueChange(change, this.#settings, announced, now)) await this.#repo.enqueue(tx, n, now);
    }
  };

  /** remediation.onActionChanges: runs inside the transaction that recorded the action events. */
  readonly onActionChanges = async (tx: SqlExecutor, events: ActionEvent[]): Promise<void> => {
    const now = this.#now();
    for (const e of events) {
      const summary = e.kind === 'notify' && e.cause === 'manual_intervention' ? await this.#repo.latestAnalysisSummary(tx, e.issue.id) : undefined;
      for (const n of notificationsForActionEvent(e, this.#settings, now, summary)) await this.#repo.enqueue(tx, n, now);
    }
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
}

/**
 * Everything Discord adds to the daemon: the outbox hooks, the sender and digest services, and (with a bot) what
 * the interactions route needs, whose buttons approve or reject through the same Remediation path as the CLI.
 */
export function discordForAgent(deps: {
  config: Config;
  db: Database;
  approvals: Pick<InteractionsSetup, 'approve' | 'reject'>;
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
    },
  };
}
