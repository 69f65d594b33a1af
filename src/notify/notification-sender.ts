import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CardRow, NotificationRepository, OutboxChannel, OutboxRow } from '../store/notification-repository.js';
import { cardComponents, CardState, GROUP_MAX_CARDS, issueButtons, renderCard, renderGroupCard, settledCardState } from './card.js';
import { composeMessage, type ComposedMessage, type MessageBody } from './compose.js';
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

/** More cards than this waiting for their first message at once is a storm: they share one summary message. */
const STORM_CARDS = 3;

/** Discord buckets posts and edits separately; each learns its bucket id from X-RateLimit-Bucket. */
type Route = 'post' | 'edit';

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
  /** Until when each route waits (a 429 or X-RateLimit-Remaining 0 on its bucket). */
  readonly #routeBlockedUntil: Record<Route, number> = { post: 0, edit: 0 };
  readonly #bucketOf: Partial<Record<Route, string>> = {};
  #cardsFirst = true;
  #sentEdits = 0;
  #freshCards = 0;
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
      sent_edits: this.#sentEdits,
      fresh_cards: this.#freshCards,
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
      const waitUntil = Math.max(Math.min(this.#routeBlockedUntil.post, this.#routeBlockedUntil.edit), this.#budget.nextSlotAt(now));
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
    if (this.#cardChannel()) {
      const at = await this.#o.repo.nextCardDueAt();
      if (at !== undefined) wait = Math.min(wait, Math.max(0, at - now) + 5);
    }
    for (const r of ['post', 'edit'] as const) {
      if (this.#routeBlockedUntil[r] > now) wait = Math.min(wait, this.#routeBlockedUntil[r] - now + 5);
    }
    return Math.max(5, wait);
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
    this.#cardsFirst = !this.#cardsFirst; // cards and outbox rows take turns, so neither starves the other
    const order = this.#cardsFirst ? [() => this.#cardStep(now), () => this.#outboxStep(now)] : [() => this.#outboxStep(now), () => this.#cardStep(now)];
    for (const run of order) if ((await run()) === 'sent') return 'sent';
    return 'idle';
  }

  #blocked(route: Route, now: number): boolean {
    return this.#routeBlockedUntil[route] > now;
  }

  /** Blocks a route, and every route Discord showed to share its bucket. */
  #block(route: Route, until: number, bucket: string | undefined): void {
    if (bucket) this.#bucketOf[route] = bucket;
    const b = bucket ?? this.#bucketOf[route];
    for (const r of ['post', 'edit'] as const) {
      if (r === route || (b !== undefined && this.#bucketOf[r] === b)) this.#routeBlockedUntil[r] = Math.max(this.#routeBlockedUntil[r], until);
    }
  }

  /** A 429: waits out its route (and every route, when Discord says the limit is global); returns when to try again. */
  #rateLimited(route: Route, outcome: { retryAfterMs: number; global: boolean; rate: { bucket?: string | undefined } }, now: number): number {
    const until = now + outcome.retryAfterMs;
    this.#block(route, until, outcome.global ? undefined : outcome.rate.bucket);
    if (outcome.global) this.#block(route === 'post' ? 'edit' : 'post', until, undefined);
    return until;
  }

  /** Discord unreachable or 5xx: backs every route off, longer after each failure in a row; returns when to try again. */
  #backOff(error: string, now: number): number {
    this.#failures++;
    const until = now + backoffMs(this.#failures, { baseMs: this.#o.baseBackoffMs, maxMs: this.#o.maxBackoffMs });
    this.#block('post', until, undefined);
    this.#block('edit', until, undefined);
    this.#lastError = error;
    return until;
  }

  /** Where cards are posted: the webhook, or the bot's channel when there is no webhook. */
  #cardChannel(): OutboxChannel | undefined {
    if (this.#o.client.hasWebhook && !this.#channels.webhook.fatal) return 'webhook';
    if (this.#hasBot() && !this.#channels.bot.fatal) return 'bot';
    return undefined;
  }

  #usable(channel: OutboxChannel | null): channel is OutboxChannel {
    if (channel === 'webhook') return this.#o.client.hasWebhook && !this.#channels.webhook.fatal;
    if (channel === 'bot') return this.#hasBot() && !this.#channels.bot.fatal;
    return false;
  }

  #cardBody(embeds: MessageBody['embeds']): MessageBody {
    return { ...(this.#o.username ? { username: this.#o.username } : {}), allowed_mentions: { parse: [] }, embeds };
  }

  #postTo(channel: OutboxChannel, body: MessageBody): Promise<SendOutcome> {
    if (channel === 'bot') {
      const { username: _u, ...rest } = body;
      return this.#o.client.postChannelMessage(this.#o.botChannelId!, rest);
    }
    return this.#o.client.postWebhook(body);
  }

  #editIn(channel: OutboxChannel, messageId: string, body: MessageBody): Promise<SendOutcome> {
    return channel === 'bot' ? this.#o.client.editChannelMessage(this.#o.botChannelId!, messageId, body) : this.#o.client.editWebhookMessage(messageId, body);
  }

  /** Flapping cards quiet for the settle time say so (a durable timer: the row's settle_at). */
  async #settleQuietCards(now: number): Promise<void> {
    for (const due of await this.#o.repo.cardsToSettle(now)) {
      const parsed = CardState.safeParse(due.state);
      if (!parsed.success) continue;
      await this.#o.repo.settleCard(due.issue_id, due.settle_at, settledCardState(parsed.data, due.settle_at), now);
    }
  }

  /** Parses claimed cards; one whose state is unusable is given up (logged) instead of blocking the others. */
  async #parseCards(cards: CardRow[], token: string): Promise<{ row: CardRow; state: CardState }[]> {
    const out: { row: CardRow; state: CardState }[] = [];
    const broken: string[] = [];
    for (const row of cards) {
      const parsed = CardState.safeParse(row.state);
      if (parsed.success) out.push({ row, state: parsed.data });
      else broken.push(row.issue_id);
    }
    if (broken.length > 0) {
      this.#o.logger.error({ component: 'notify', issues: broken }, 'issue cards with an unusable state skipped');
      await this.#o.repo.giveUpCards(broken, token, 'card state is not valid');
    }
    return out;
  }

  /**
   * One request for the live cards: a storm of new cards posts one summary message for all of them; otherwise the
   * most urgent card is posted (its first message) or edited in place with its latest state.
   */
  async #cardStep(now: number): Promise<Step> {
    const channel = this.#cardChannel();
    if (!channel) return 'idle';
    await this.#settleQuietCards(now);
    const repo = this.#o.repo;
    if (!this.#blocked('post', now) && (await repo.countUnpostedCards(now)) > STORM_CARDS) {
      const { token, cards } = await repo.claimCards(now, this.#o.leaseMs, GROUP_MAX_CARDS, { unposted: true });
      const parsed = await this.#parseCards(cards, token);
      if (parsed.length === 0) return 'idle';
      const group = renderGroupCard(parsed.map((p) => p.state), this.#o.render, { firstPost: true });
      const covered = parsed.slice(0, group.count).map((p) => p.row);
      const left = parsed.slice(group.count).map((p) => p.row.issue_id);
      if (left.length > 0) await repo.releaseCards(left, token, now, { countAttempt: false });
      const outcome = await this.#postTo(channel, this.#cardBody(group.embeds));
      await this.#settleCards(outcome, { channel, route: 'post', token, claimed: covered, shown: covered, groupSize: covered.length });
      return 'sent';
    }
    const { token, cards } = await repo.claimCards(now, this.#o.leaseMs, 1);
    const [card] = await this.#parseCards(cards, token);
    if (!card) return 'idle';
    const { row } = card;
    const editable = row.message_id !== null && this.#usable(row.channel);
    const route: Route = editable ? 'edit' : 'post';
    if (this.#blocked(route, now)) {
      await repo.releaseCards([row.issue_id], token, this.#routeBlockedUntil[route], { countAttempt: false });
      return 'idle';
    }
    if (editable && row.group_size > 1) {
      const members = await repo.cardsOfMessage(row.message_id!);
      const states = members.flatMap((m) => {
        const p = CardState.safeParse(m.state);
        return p.success ? [{ row: m, state: p.data }] : [];
      });
      const body = this.#cardBody(renderGroupCard(states.map((s) => s.state), this.#o.render).embeds);
      const outcome = await this.#editIn(row.channel!, row.message_id!, body);
      await this.#settleCards(outcome, { channel: row.channel!, route, token, claimed: [row], shown: states.map((s) => s.row), groupSize: row.group_size, messageId: row.message_id! });
      return 'sent';
    }
    const body = this.#cardBody([renderCard(card.state, this.#o.render)]);
    if ((editable ? row.channel : channel) === 'bot') body.components = cardComponents(card.state);
    const outcome = editable ? await this.#editIn(row.channel!, row.message_id!, body) : await this.#postTo(channel, body);
    await this.#settleCards(outcome, {
      channel: editable ? row.channel! : channel,
      route,
      token,
      claimed: [row],
      shown: [row],
      groupSize: 1,
      ...(editable ? { messageId: row.message_id! } : {}),
    });
    return 'sent';
  }

  /** What Discord's answer to a card request means for the claimed cards (messageId set: it was an edit). */
  async #settleCards(
    outcome: SendOutcome,
    w: { channel: OutboxChannel; route: Route; token: string; claimed: CardRow[]; shown: CardRow[]; groupSize: number; messageId?: string },
  ): Promise<void> {
    const now = this.#o.now();
    const repo = this.#o.repo;
    const log = this.#o.logger;
    const ids = w.claimed.map((c) => c.issue_id);
    switch (outcome.kind) {
      case 'sent': {
        this.#budget.record(now);
        this.#failures = 0;
        this.#lastError = undefined;
        if (w.route === 'edit') this.#sentEdits++;
        else this.#sentMessages++;
        if (outcome.rate.remaining === 0 && outcome.rate.resetAfterMs !== undefined) this.#block(w.route, now + outcome.rate.resetAfterMs, outcome.rate.bucket);
        else if (outcome.rate.bucket) this.#bucketOf[w.route] = outcome.rate.bucket;
        const messageId = w.messageId ?? outcome.messageId ?? 'unknown';
        await repo.markCardsShown(
          w.shown.map((c) => ({ issue_id: c.issue_id, version: c.version })),
          w.token,
          { channel: w.channel, messageId, groupSize: w.groupSize, posted: w.messageId === undefined },
          now,
        );
        log.info({ component: 'notify', channel: w.channel, cards: w.shown.length, messageId, edit: w.route === 'edit' }, w.route === 'edit' ? 'discord card edited' : 'discord card posted');
        return;
      }
      case 'gone':
      case 'edit_capped':
        // The message was deleted, or is too old to edit for now: a fresh card shows the state (and keeps its id).
        if (outcome.kind === 'edit_capped') {
          this.#budget.record(now);
          if (outcome.rate.bucket) this.#bucketOf.edit = outcome.rate.bucket;
        }
        this.#freshCards++;
        if (w.messageId) await repo.dropMessage(w.messageId, now);
        await repo.releaseCards(ids, w.token, now, { countAttempt: false, error: outcome.error, freshMessage: true });
        log.warn({ component: 'notify', channel: w.channel, messageId: w.messageId, err: outcome.error }, 'discord card cannot be edited; posting a fresh one');
        return;
      case 'rate_limited':
        await repo.releaseCards(ids, w.token, this.#rateLimited(w.route, outcome, now), { countAttempt: false });
        log.warn({ component: 'notify', channel: w.channel, route: w.route, retryAfterMs: outcome.retryAfterMs, global: outcome.global }, 'discord rate limit hit; waiting');
        return;
      case 'retry': {
        const until = this.#backOff(outcome.error, now);
        await repo.releaseCards(ids, w.token, until, { countAttempt: true, error: outcome.error });
        log.warn({ component: 'notify', channel: w.channel, err: outcome.error, retryInMs: until - now, failures: this.#failures }, 'discord unavailable; backing off');
        return;
      }
      case 'fatal': {
        const what = w.channel === 'bot' ? 'discord.bot (token or channel)' : 'discord.webhookUrl (webhook deleted?)';
        const error = `${outcome.error}; check ${what}; notifications stay queued until the agent restarts with a working one`;
        this.#channels[w.channel].fatal = error;
        await repo.releaseCards(ids, w.token, now, { countAttempt: false, error: outcome.error });
        log.error({ component: 'notify', channel: w.channel, status: outcome.status }, `discord sending stopped: ${error}`);
        return;
      }
      case 'rejected':
        await repo.giveUpCards(ids, w.token, outcome.error);
        log.error({ component: 'notify', channel: w.channel, issues: ids, err: outcome.error }, 'discord refused an issue card; that version is skipped');
        return;
    }
  }

  async #outboxStep(now: number): Promise<Step> {
    if (this.#blocked('post', now)) return 'idle';
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
              ...(p.issue ? issueButtons(p.issue.id) : []),
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
        if (outcome.rate.remaining === 0 && outcome.rate.resetAfterMs !== undefined) this.#block('post', now + outcome.rate.resetAfterMs, outcome.rate.bucket);
        else if (outcome.rate.bucket) this.#bucketOf.post = outcome.rate.bucket;
        await this.#o.repo.markSent(ids, token, now, outcome.messageId);
        log.info({ component: 'notify', channel, notifications: ids.length, messageId: outcome.messageId }, 'discord message sent');
        return;
      case 'rate_limited':
        await this.#o.repo.release(ids, token, this.#rateLimited('post', outcome, now), { countAttempt: false });
        log.warn({ component: 'notify', channel, retryAfterMs: outcome.retryAfterMs, global: outcome.global }, 'discord rate limit hit; waiting');
        return;
      case 'retry': {
        const until = this.#backOff(outcome.error, now);
        await this.#o.repo.release(ids, token, until, { countAttempt: true, error: outcome.error });
        log.warn({ component: 'notify', channel, err: outcome.error, retryInMs: until - now, failures: this.#failures }, 'discord unavailable; backing off');
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
      case 'gone':
      case 'edit_capped':
        // Only edits get these answers; a post that somehow does is retried like a 5xx.
        await this.#o.repo.release(ids, token, now + this.#o.baseBackoffMs, { countAttempt: true, error: outcome.error });
        return;
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
