import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NotificationRepository, OutboxChannel, OutboxRow } from '../store/notification-repository.js';
import { composeMessage, type ComposedMessage } from './compose.js';
import type { DiscordClient, SendOutcome } from './discord-client.js';
import { NotificationPayload, type OutboxItem, type RenderContext } from './notification-types.js';
import { backoffMs, RateBudget } from './rate-budget.js';

export interface SenderOptions {
  repo: NotificationRepository;
  client: DiscordClient;
  logger: Logger;
  render: RenderContext;
  username?: string;
  /** The bot's channel: approval requests are posted there with buttons. Unset = everything goes to the webhook. */
  botChannelId?: string;
  /** Messages per window on the channel (config.discord.maxMessagesPerMinute). */
  maxMessagesPerWindow: number;
  windowMs?: number;
  /** How long to wait after new rows appear before sending, so a burst lands in one message. */
  lingerMs?: number;
  /** Safety poll: rows queued by another process (CLI, another agent) are picked up at least this often. */
  pollMs?: number;
  /** How long a claimed row stays invisible to other senders; longer than one request. */
  leaseMs?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

/** Rows one aggregated message may cover; a larger backlog takes several messages. */
const MAX_ITEMS_PER_SUMMARY = 2_000;

interface ChannelState {
  fatal?: string;
}

type Step = 'sent' | 'idle' | 'blocked';

/**
 * Sends the outbox to Discord (BackgroundService). One message at a time, within a sliding-window budget per
 * channel, obeying Discord's rate-limit headers and 429 retry_after, backing off on 5xx and timeouts, and stopping
 * a channel for good on 401/403/404 (the webhook was deleted or the token is wrong).
 * Delivery is at-least-once: a row is marked sent only after Discord accepted the message (see docs/discord.md).
 */
export class NotificationSender {
  readonly name = 'discord';
  readonly #o: Required<Omit<SenderOptions, 'botChannelId' | 'username'>> & Pick<SenderOptions, 'botChannelId' | 'username'>;
  readonly #budget: RateBudget;
  readonly #channels: Record<OutboxChannel, ChannelState> = { webhook: {}, bot: {} };
  #blockedUntil = 0;
  #failures = 0;
  /** After Discord refused a combined message: how many sends go one notification at a time. */
  #isolateRemaining = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #wakePending = false;
  #lastError: string | undefined;
  #sentMessages = 0;
  #sentItems = 0;

  constructor(options: SenderOptions) {
    this.#o = {
      windowMs: 60_000,
      lingerMs: 1_000,
      pollMs: 5_000,
      leaseMs: 120_000,
      baseBackoffMs: 1_000,
      maxBackoffMs: 300_000,
      now: Date.now,
      ...options,
    };
    this.#budget = new RateBudget(options.maxMessagesPerWindow, this.#o.windowMs);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#loop;
  }

  /** New rows were committed: look now instead of at the next poll. */
  wake(): void {
    if (this.#wake) {
      const w = this.#wake;
      this.#wake = undefined;
      w();
    } else {
      this.#wakePending = true;
    }
  }

  health(): { state: string; [k: string]: unknown } {
    const fatal = this.#channels.webhook.fatal ?? this.#channels.bot.fatal;
    const state = this.#stopped ? 'stopped' : fatal ? 'failed' : this.#lastError ? 'degraded' : 'ok';
    return {
      state,
      sent_messages: this.#sentMessages,
      sent_notifications: this.#sentItems,
      ...(fatal ? { error: fatal } : this.#lastError ? { error: this.#lastError } : {}),
    };
  }

  #sleep(ms: number): Promise<boolean> {
    if (this.#wakePending || this.#stopped) {
      this.#wakePending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, Math.max(0, ms));
      this.#wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  async #run(): Promise<void> {
    const log = this.#o.logger;
    while (!this.#stopped) {
      const now = this.#o.now();
      const waitUntil = Math.max(this.#blockedUntil, this.#budget.nextSlotAt(now));
      if (waitUntil > now) {
        await this.#sleep(waitUntil - now);
        continue;
      }
      let step: Step;
      try {
        step = await this.#step(now);
      } catch (err) {
        // The store failed (closed, busy, disk): nothing was lost, the rows are still pending.
        this.#lastError = `outbox: ${errorMessage(err)}`;
        if (this.#stopped) break;
        log.warn({ component: 'notify', err: errorMessage(err) }, 'notification outbox unavailable; retrying');
        await this.#sleep(this.#o.baseBackoffMs);
        continue;
      }
      if (step === 'idle') {
        const woken = await this.#sleep(await this.#idleWaitMs());
        if (woken && !this.#stopped) await this.#sleep(this.#o.lingerMs);
      }
    }
  }

  async #idleWaitMs(): Promise<number> {
    const now = this.#o.now();
    let wait = this.#o.pollMs;
    for (const ch of this.#liveChannels()) {
      const at = await this.#o.repo.nextDueAt(ch);
      if (at !== undefined) wait = Math.min(wait, Math.max(0, at - now) + 5);
    }
    return wait;
  }

  /** Channels we can still send on; without a bot, its rows go to the webhook as plain instructions. */
  #liveChannels(): OutboxChannel[] {
    const webhook = this.#o.client.hasWebhook && !this.#channels.webhook.fatal;
    const bot = this.#hasBot() ? !this.#channels.bot.fatal : webhook;
    return [...(bot ? (['bot'] as const) : []), ...(webhook ? (['webhook'] as const) : [])];
  }

  #hasBot(): boolean {
    return this.#o.client.hasBot && this.#o.botChannelId !== undefined && this.#o.botChannelId !== '';
  }

  async #step(now: number): Promise<Step> {
    for (const channel of this.#liveChannels()) {
      const due = await this.#o.repo.countDue(channel, now);
      if (due === 0) continue;
      const viaBot = channel === 'bot' && this.#hasBot();
      const isolate = this.#isolateRemaining > 0;
      const tokens = this.#budget.remaining(now);
      const aggregate = !viaBot && !isolate && due > 10 && due > 10 * Math.max(0, tokens - 1);
      const limit = viaBot || isolate ? 1 : aggregate ? MAX_ITEMS_PER_SUMMARY : 10;
      const { token, items: rows } = await this.#o.repo.claimDue(channel, now, this.#o.leaseMs, limit);
      const items = await this.#parse(rows);
      if (items.length === 0) continue;
      const message = this.#compose(items, { aggregate, viaBot });
      if (!message) {
        await this.#o.repo.release(items.map((i) => i.id), token, now, { countAttempt: false });
        continue;
      }
      const covered = new Set(message.itemIds);
      const left = items.filter((i) => !covered.has(i.id)).map((i) => i.id);
      if (left.length > 0) await this.#o.repo.release(left, token, now, { countAttempt: false });
      const outcome = viaBot
        ? await this.#o.client.postChannelMessage(this.#o.botChannelId!, message.body)
        : await this.#o.client.postWebhook(message.body);
      await this.#settle(viaBot ? 'bot' : 'webhook', outcome, message, token);
      return 'sent';
    }
    return 'idle';
  }

  async #parse(rows: OutboxRow[]): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    const broken: number[] = [];
    for (const row of rows) {
      const parsed = NotificationPayload.safeParse(row.payload);
      if (parsed.success) items.push({ ...row, payload: parsed.data });
      else broken.push(row.id);
    }
    if (broken.length > 0) {
      this.#o.logger.error({ component: 'notify', ids: broken }, 'outbox rows with an unusable payload marked failed');
      await this.#o.repo.markFailed(broken, 'payload is not a valid notification');
    }
    return items;
  }

  #compose(items: OutboxItem[], options: { aggregate: boolean; viaBot: boolean }): ComposedMessage | undefined {
    const base = { aggregate: options.aggregate, withButtons: options.viaBot, ...(this.#o.username ? { username: this.#o.username } : {}) };
    const message = composeMessage(items, this.#o.render, base);
    if (!message || !options.viaBot) return message;
    const item = items.find((i) => i.id === message.itemIds[0]);
    const p = item?.payload;
    if (p?.kind !== 'approval_required' || `approve:${p.action.id}`.length > 100) {
      // Buttons carry the action id; one too long for a custom_id falls back to written instructions.
      return composeMessage(items, this.#o.render, { ...base, withButtons: false });
    }
    const { username: _ignored, ...body } = message.body; // a bot message has no username override
    return {
      itemIds: message.itemIds,
      body: {
        ...body,
        content: `⚠️ Action requires approval: ${p.action.action_type}`,
        components: [
          {
            type: 1,
            components: [
              { type: 2, style: 3, label: 'Approve', custom_id: `approve:${p.action.id}` },
              { type: 2, style: 4, label: 'Reject', custom_id: `reject:${p.action.id}` },
            ],
          },
        ],
      },
    };
  }

  /** channel = where the message went ('bot' only when posted by the bot). */
  async #settle(channel: OutboxChannel, outcome: SendOutcome, message: ComposedMessage, token: string): Promise<void> {
    const now = this.#o.now();
    const ids = message.itemIds;
    const log = this.#o.logger;
    switch (outcome.kind) {
      case 'sent':
        // Recorded before the store write: even if marking fails, the budget reflects what Discord received.
        this.#budget.record(now);
        this.#sentMessages++;
        this.#sentItems += ids.length;
        this.#failures = 0;
        this.#lastError = undefined;
        if (this.#isolateRemaining > 0) this.#isolateRemaining--;
        if (outcome.rate.remaining === 0 && outcome.rate.resetAfterMs !== undefined) this.#blockedUntil = now + outcome.rate.resetAfterMs;
        await this.#o.repo.markSent(ids, token, now, outcome.messageId);
        log.info({ component: 'notify', channel, notifications: ids.length, messageId: outcome.messageId }, 'discord message sent');
        return;
      case 'rate_limited':
        this.#blockedUntil = now + outcome.retryAfterMs;
        await this.#o.repo.release(ids, token, this.#blockedUntil, { countAttempt: false });
        log.warn({ component: 'notify', channel, retryAfterMs: outcome.retryAfterMs, global: outcome.global }, 'discord rate limit hit; waiting');
        return;
      case 'retry': {
        this.#failures++;
        const delay = backoffMs(this.#failures, { baseMs: this.#o.baseBackoffMs, maxMs: this.#o.maxBackoffMs });
        this.#blockedUntil = now + delay;
        this.#lastError = outcome.error;
        await this.#o.repo.release(ids, token, this.#blockedUntil, { countAttempt: true, error: outcome.error });
        log.warn({ component: 'notify', channel, err: outcome.error, retryInMs: delay, failures: this.#failures }, 'discord unavailable; backing off');
        return;
      }
      case 'fatal': {
        const what = channel === 'bot' ? 'discord.bot (token or channel)' : 'discord.webhookUrl (webhook deleted?)';
        const error = `${outcome.error}; check ${what}; notifications stay queued until the agent restarts with a working one`;
        this.#channels[channel].fatal = error;
        await this.#o.repo.release(ids, token, now, { countAttempt: false, error: outcome.error });
        log.error({ component: 'notify', channel, status: outcome.status }, `discord sending stopped: ${error}`);
        return;
      }
      case 'rejected':
        if (ids.length > 1) {
          // One of them makes the body invalid: send them one at a time to find it without losing the others.
          this.#isolateRemaining = ids.length;
          await this.#o.repo.release(ids, token, now, { countAttempt: true, error: outcome.error });
        } else {
          await this.#o.repo.markFailed(ids, outcome.error);
          log.error({ component: 'notify', channel, ids, err: outcome.error }, 'discord refused a notification; marked failed');
        }
        return;
    }
  }
}
