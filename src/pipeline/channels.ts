import type { ChannelConfig } from '../config/channels-schema.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { ActionEvent } from '../model/action.js';
import type { IssueChange } from '../model/issue.js';
import { targetOfIssue } from '../model/matchers.js';
import { buildChannel, DEFAULT_PER_MINUTE } from '../notify/channels/build.js';
import { ChannelSender } from '../notify/channels/channel-sender.js';
import { headline } from '../notify/channels/event-text.js';
import { ChannelRoute } from '../notify/channels/route.js';
import { TelegramChannel } from '../notify/channels/telegram.js';
import { CHANNEL_EVENT_VERSION, type ChannelEvent, type ChannelEventKind, type DeliveryOutcome } from '../notify/channels/types.js';
import type { ActionSnapshot } from '../notify/notification-types.js';
import type { Database, SqlExecutor } from '../store/database.js';
import { ChannelRepository } from '../store/channel-repository.js';
import { NotificationRepository } from '../store/notification-repository.js';
import { localDate } from '../notify/daily-schedule.js';
import { collectDigest, digestText, isEmptyDigest } from '../notify/digest.js';
import { DigestScheduler } from '../notify/digest-scheduler.js';
import type { BackgroundService } from './service.js';
import { issueSnapshot, publicUrlOf } from './notifications.js';

interface RoutedChannel {
  name: string;
  route: ChannelRoute;
}

function eventName(kind: ChannelEventKind): string {
  return kind === 'approvals' ? 'action.approval_required' : kind === 'digest' ? 'digest' : `issue.${kind}`;
}

/** What an issue change tells the channels: its event kind, or undefined (firings, flapping churn, notes). */
export function channelKindOf(change: IssueChange): ChannelEventKind | undefined {
  const quiet = change.issue.metadata.flapping === true && change.flappingStarted !== true;
  switch (change.kind) {
    case 'created':
      return 'new';
    case 'reopened':
      return quiet ? undefined : 'new';
    case 'escalated':
      return 'escalated';
    case 'resolved':
      return quiet ? undefined : 'resolved';
    case 'status_changed': {
      const wasActive = change.previousStatus === 'open' || change.previousStatus === 'investigating';
      return wasActive && (change.issue.status === 'resolved' || change.issue.status === 'closed') ? 'resolved' : undefined;
    }
    case 'fired':
    case 'late':
      return undefined;
  }
}

/**
 * Writes the configured channels' outbox rows inside the transaction of each change (durable, queued exactly once
 * per channel), for every channel whose route takes the change; wakes their senders after the commit.
 */
export class ChannelHooks {
  readonly #repo: ChannelRepository;
  readonly #channels: RoutedChannel[];
  readonly #publicUrl: string;
  readonly #now: () => number;
  #wake: () => void = () => undefined;

  constructor(repo: ChannelRepository, channels: readonly ChannelConfig[], publicUrl: string, options: { now?: () => number } = {}) {
    this.#repo = repo;
    this.#channels = channels.filter((c) => c.enabled).map((c) => ({ name: c.name, route: new ChannelRoute(c) }));
    this.#publicUrl = publicUrl;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#channels.length;
  }

  setWake(wake: () => void): void {
    this.#wake = wake;
  }

  #url(issueId: string | undefined): string {
    return issueId ? `${this.#publicUrl}/issues/${encodeURIComponent(issueId)}` : `${this.#publicUrl}/`;
  }

  async #enqueue(tx: SqlExecutor, event: ChannelEvent, target: ReturnType<typeof targetOfIssue> | undefined, dedupKey: string, now: number): Promise<void> {
    for (const c of this.#channels) {
      if (!c.route.accepts(event.kind, target)) continue;
      await this.#repo.enqueue(tx, { channel: c.name, kind: event.kind, dedup_key: dedupKey, issue_id: event.issue?.id ?? null, action_id: event.action?.id ?? null, payload: event }, now);
    }
  }

  readonly onIssueChanges = async (tx: SqlExecutor, changes: IssueChange[]): Promise<void> => {
    const now = this.#now();
    for (const change of changes) {
      const kind = channelKindOf(change);
      if (!kind) continue;
      const issue = change.issue;
      const at = change.event?.occurred_at ?? now;
      const snap = issueSnapshot(issue, change.event?.value, change.event?.units);
      const partial = { version: CHANNEL_EVENT_VERSION, event: eventName(kind), kind, at, issue: snap, url: this.#url(issue.id), summary: '' } as ChannelEvent;
      const event: ChannelEvent = {
        ...partial,
        ...(change.previousSeverity && kind === 'escalated' ? { previous_severity: change.previousSeverity } : {}),
        ...(change.kind === 'status_changed' ? { reason: `Status set to ${issue.status} by a person` } : {}),
        summary: headline(partial).replace(/^\S+ /u, ''),
      };
      await this.#enqueue(tx, event, targetOfIssue(issue), `${kind}:${issue.id}:${kind === 'resolved' ? (issue.resolved_at ?? at) : at}`, now);
    }
  };

  readonly onActionChanges = async (tx: SqlExecutor, events: ActionEvent[]): Promise<void> => {
    const now = this.#now();
    for (const e of events) {
      if (e.kind !== 'pending_approval') continue;
      const a = e.action;
      const params = Object.entries(a.params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      const action: ActionSnapshot = { id: a.id, action_type: a.action_type, risk: a.risk, summary: `${a.action_type}${params ? ` ${params}` : ''}`.slice(0, 300), reason: a.reason || a.decision_reason, expires_at: a.expires_at };
      const partial = { version: CHANNEL_EVENT_VERSION, event: eventName('approvals'), kind: 'approvals', at: a.created_at, issue: issueSnapshot(e.issue), action, url: this.#url(e.issue.id), summary: '' } as ChannelEvent;
      await this.#enqueue(tx, { ...partial, summary: headline(partial).replace(/^\S+ /u, '') }, targetOfIssue(e.issue), `approval:${a.id}`, now);
    }
  };

  /** Today's digest for every channel whose route takes digests (deduplicated by local date); false: nothing to say. */
  async queueDigest(db: Database, text: string, summary: string, date: string, now: number): Promise<boolean> {
    const event: ChannelEvent = { version: CHANNEL_EVENT_VERSION, event: 'digest', kind: 'digest', at: now, issue: null, url: this.#url(undefined), summary, text };
    await db.transaction((tx) => this.#enqueue(tx, event, undefined, `digest:${date}`, now));
    return true;
  }

  readonly afterCommit = (): void => {
    this.#wake();
  };
}

/** The configured channels of the daemon: the hooks, one sender per enabled channel, and the repository (interactions). */
export interface ChannelsSetup {
  hooks: ChannelHooks | undefined;
  senders: ChannelSender[];
  repo: ChannelRepository;
  /** The daily digest for channels whose route takes it. */
  services: BackgroundService[];
}

export function channelsForAgent(deps: {
  config: Config;
  db: Database;
  logger: Logger;
  onOutcome?: (channel: string, outcome: DeliveryOutcome['kind']) => void;
}): ChannelsSetup {
  const repo = new ChannelRepository(deps.db);
  const enabled = deps.config.channels.filter((c) => c.enabled);
  if (enabled.length === 0) return { hooks: undefined, senders: [], repo, services: [] };
  const senders = enabled.map(
    (c) =>
      new ChannelSender({
        channel: buildChannel(c),
        repo,
        logger: deps.logger.child({ component: 'notify' }),
        maxMessagesPerMinute: c.maxMessagesPerMinute ?? DEFAULT_PER_MINUTE[c.type],
        baseBackoffMs: c.backoff.baseMs,
        maxBackoffMs: c.backoff.maxMs,
        leaseMs: c.timeoutMs * 2 + 10_000,
        ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
      }),
  );
  const hooks = new ChannelHooks(repo, enabled, publicUrlOf(deps.config));
  const wake = () => {
    for (const s of senders) s.wake();
  };
  hooks.setWake(wake);
  const digest = deps.config.discord.digest; // one digest time for every channel (discord.digest.time/timezone)
  const services: BackgroundService[] = [];
  if (digest.enabled && enabled.some((c) => new ChannelRoute(c).accepts('digest', undefined))) {
    const notifications = new NotificationRepository(deps.db);
    const render = { publicUrl: publicUrlOf(deps.config) };
    services.push(
      new DigestScheduler({
        name: 'channel-digest',
        repo: notifications,
        render,
        time: digest.time,
        timeZone: digest.timezone,
        logger: deps.logger,
        onQueued: wake,
        queue: async (now) => {
          const data = await collectDigest(notifications, now);
          if (isEmptyDigest(data)) return false;
          const summary = `Daily digest: ${data.issues.opened} opened, ${data.issues.resolved} resolved, ${data.issues.stillOpen} still open`;
          return hooks.queueDigest(deps.db, digestText(data, render), summary, localDate(now, digest.timezone), now);
        },
      }),
    );
  }
  return { hooks, senders, repo, services };
}

/** The channel hooks of a process that only records (the CLI); the daemon's senders deliver. */
export function channelQueue(config: Config, db: Database): ChannelHooks | undefined {
  const hooks = new ChannelHooks(new ChannelRepository(db), config.channels, publicUrlOf(config));
  return hooks.size > 0 ? hooks : undefined;
}

/** A Slack channel whose buttons can be clicked: the signing secret, its approvers, where response_url may point. */
export interface SlackButtonChannel {
  name: string;
  signingSecret: string;
  approverIds: string[];
  responseOrigins: string[];
}

/** A Telegram channel whose buttons can be clicked: the webhook secret, its approvers, and its bot's replies. */
export interface TelegramButtonChannel {
  name: string;
  webhookSecret: string;
  approverIds: string[];
  answer(callbackQueryId: string, text: string): Promise<void>;
  clearButtons(chatId: number, messageId: number): Promise<void>;
}

/** What the Slack and Telegram button routes need per channel (server/routes/slack.ts, telegram.ts). */
export function channelButtons(config: Config): { slack: SlackButtonChannel[]; telegram: TelegramButtonChannel[] } {
  const slack: SlackButtonChannel[] = [];
  const telegram: TelegramButtonChannel[] = [];
  for (const c of config.channels) {
    if (!c.enabled) continue;
    if (c.type === 'slack' && c.signingSecret && c.token) {
      slack.push({ name: c.name, signingSecret: c.signingSecret, approverIds: c.approverIds, responseOrigins: ['https://hooks.slack.com', new URL(c.apiBaseUrl).origin] });
    }
    if (c.type === 'telegram' && c.webhookSecret) {
      const bot = new TelegramChannel(c.name, { token: c.token, chatId: c.chatId, apiBaseUrl: c.apiBaseUrl, timeoutMs: c.timeoutMs });
      telegram.push({
        name: c.name,
        webhookSecret: c.webhookSecret,
        approverIds: c.approverIds,
        answer: async (id, text) => void (await bot.call('answerCallbackQuery', { callback_query_id: id, text })),
        clearButtons: async (chatId, messageId) => void (await bot.call('editMessageReplyMarkup', { chat_id: chatId, message_id: messageId, reply_markup: { inline_keyboard: [] } })),
      });
    }
  }
  return { slack, telegram };
}
