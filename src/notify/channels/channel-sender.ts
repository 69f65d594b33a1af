import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ChannelRepository } from '../../store/channel-repository.js';
import { backoffMs, RateBudget } from '../rate-budget.js';
import { ChannelEvent, type Channel, type DeliveryOutcome } from './types.js';

export interface ChannelSenderOptions {
  channel: Channel;
  repo: ChannelRepository;
  logger: Logger;
  /** Requests per minute this channel may take (its own budget; docs/channels.md lists each type's default). */
  maxMessagesPerMinute: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How long the claimed head row stays invisible to other senders; longer than one request. */
  leaseMs: number;
  /** Rows queued by another process are picked up at least this often. */
  pollMs?: number;
  /** Counts each answer, for /metrics. */
  onOutcome?: (channel: string, outcome: DeliveryOutcome['kind']) => void;
  now?: () => number;
}

/**
 * Delivers one channel's outbox (a BackgroundService per channel): the head row at a time, in order, within the
 * channel's own budget, waiting out its 429s and backing off on its failures. Nothing here is shared with another
 * channel, so one that is down never delays the others; its rows wait in the outbox and go once it answers again.
 * At-least-once: a row is marked sent only after the channel accepted it.
 */
export class ChannelSender {
  readonly name: string;
  readonly #o: Required<Omit<ChannelSenderOptions, 'onOutcome'>> & Pick<ChannelSenderOptions, 'onOutcome'>;
  readonly #budget: RateBudget;
  #blockedUntil = 0;
  #failures = 0;
  #fatal: string | undefined;
  #lastError: string | undefined;
  #sent = 0;
  #failed = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #wakePending = false;

  constructor(options: ChannelSenderOptions) {
    this.#o = { pollMs: 5_000, now: Date.now, ...options };
    this.name = `channel:${options.channel.name}`;
    this.#budget = new RateBudget(options.maxMessagesPerMinute, 60_000);
  }

  get channel(): Channel {
    return this.#o.channel;
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

  wake(): void {
    const w = this.#wake;
    if (w) {
      this.#wake = undefined;
      w();
    } else this.#wakePending = true;
  }

  health(): { state: string; [k: string]: unknown } {
    const state = this.#stopped ? 'stopped' : this.#fatal ? 'failed' : this.#lastError ? 'degraded' : 'ok';
    const error = this.#fatal ?? this.#lastError;
    return {
      state,
      type: this.#o.channel.type,
      sent: this.#sent,
      failed: this.#failed,
      ...(this.#blockedUntil > this.#o.now() ? { retry_at: new Date(this.#blockedUntil).toISOString() } : {}),
      ...(error ? { error } : {}),
    };
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakePending || this.#stopped) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, Math.max(5, ms));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const now = this.#o.now();
      if (this.#fatal) {
        await this.#sleep(60_000);
        continue;
      }
      const waitUntil = Math.max(this.#blockedUntil, this.#budget.nextSlotAt(now));
      if (waitUntil > now) {
        await this.#sleep(waitUntil - now);
        continue;
      }
      try {
        if (!(await this.#step(now))) {
          const due = await this.#o.repo.headDueAt(this.#o.channel.name);
          await this.#sleep(due === undefined ? this.#o.pollMs : Math.min(this.#o.pollMs, Math.max(5, due - now + 5)));
        }
      } catch (err) {
        // The store failed: nothing was lost, the row is still pending.
        this.#lastError = `outbox: ${errorMessage(err)}`;
        if (this.#stopped) break;
        this.#o.logger.warn({ component: 'notify', channel: this.#o.channel.name, err: errorMessage(err) }, 'channel outbox unavailable; retrying');
        await this.#sleep(this.#o.baseBackoffMs);
      }
    }
  }

  /** One delivery; false when nothing was due. */
  async #step(now: number): Promise<boolean> {
    const { repo, channel, logger } = this.#o;
    const row = await repo.claimHead(channel.name, now, this.#o.leaseMs);
    if (!row) return false;
    const parsed = ChannelEvent.safeParse(row.payload);
    if (!parsed.success) {
      await repo.markFailed(row.id, 'payload is not a valid channel event');
      logger.error({ component: 'notify', channel: channel.name, id: row.id }, 'channel outbox row with an unusable payload marked failed');
      return true;
    }
    const event = parsed.data;
    const issueId = event.issue?.id;
    const ref = channel.live && issueId && event.kind !== 'approvals' ? await repo.messageRef(issueId, channel.name) : undefined;
    const outcome = await channel.deliver(event, ref);
    this.#o.onOutcome?.(channel.name, outcome.kind);
    const at = this.#o.now();
    const log = { component: 'notify', channel: channel.name, type: channel.type, id: row.id, kind: row.kind };
    switch (outcome.kind) {
      case 'sent':
        this.#budget.record(at);
        this.#sent++;
        this.#failures = 0;
        this.#lastError = undefined;
        if (channel.live && issueId && event.kind !== 'approvals') {
          if (outcome.ref && outcome.ref !== ref) await repo.saveMessageRef(issueId, channel.name, outcome.ref, at);
          else if (ref) await repo.touchMessage(issueId, channel.name, at);
        }
        await repo.markSent(row.id, row.token, at);
        logger.info({ ...log, edit: ref !== undefined }, 'channel notification sent');
        return true;
      case 'rate_limited':
        this.#blockedUntil = at + outcome.retryAfterMs;
        await repo.release(row.id, row.token, this.#blockedUntil, { countAttempt: false });
        logger.warn({ ...log, retryAfterMs: outcome.retryAfterMs }, 'channel rate limit hit; waiting');
        return true;
      case 'retry': {
        this.#failures++;
        this.#blockedUntil = at + backoffMs(this.#failures, { baseMs: this.#o.baseBackoffMs, maxMs: this.#o.maxBackoffMs });
        this.#lastError = outcome.error;
        await repo.release(row.id, row.token, this.#blockedUntil, { countAttempt: true, error: outcome.error });
        logger.warn({ ...log, err: outcome.error, retryInMs: this.#blockedUntil - at, failures: this.#failures }, 'channel unavailable; backing off');
        return true;
      }
      case 'fatal':
        this.#fatal = `${outcome.error}; check channels.${channel.name} in the config; its notifications stay queued until the agent restarts with a working one`;
        await repo.release(row.id, row.token, at, { countAttempt: false, error: outcome.error });
        logger.error({ ...log, status: outcome.status }, `channel sending stopped: ${this.#fatal}`);
        return true;
      case 'gone':
        if (issueId) await repo.dropMessageRef(issueId, channel.name);
        await repo.release(row.id, row.token, at, { countAttempt: true, error: outcome.error });
        logger.warn({ ...log, err: outcome.error }, 'live message cannot be edited; posting a fresh one');
        return true;
      case 'rejected':
        this.#failed++;
        await repo.markFailed(row.id, outcome.error);
        logger.error({ ...log, err: outcome.error }, 'channel refused a notification; marked failed');
        return true;
    }
  }
}
