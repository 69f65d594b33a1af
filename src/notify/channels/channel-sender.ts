import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ChannelOutboxRow, ChannelRepository } from '../../store/channel-repository.js';
import { backoffMs, RateBudget } from '../rate-budget.js';
import { ChannelEvent, type Channel, type DeliveryOutcome } from './types.js';

/** What a storm summary may cover: issue changes; an approval request always stands alone (it has buttons). */
const SUMMARY_KINDS = ['new', 'escalated', 'resolved', 'acknowledged'] as const;

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
  /** 429s in a row that named no wait: each waits longer. */
  #limitedInARow = 0;
  #fatal: string | undefined;
  #lastError: string | undefined;
  #sent = 0;
  /** After a refused summary: how many sends go one row at a time. */
  #isolate = 0;
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
    const { repo, channel } = this.#o;
    // A storm: more waiting than the budget can send one by one this minute → one summary message for a run of them.
    if (channel.deliverSummary && channel.summaryMax !== undefined && this.#isolate === 0) {
      const backlog = await repo.pendingCount(channel.name);
      if (backlog > 1 && backlog > this.#budget.remaining(now)) {
        const rows = await repo.claimHeadRun(channel.name, now, this.#o.leaseMs, channel.summaryMax, SUMMARY_KINDS);
        if (rows.length > 1) return this.#deliverSummary(rows);
        for (const r of rows) await repo.release(r.id, r.token, now, { countAttempt: false });
      }
    }
    const row = await repo.claimHead(channel.name, now, this.#o.leaseMs);
    if (!row) return false;
    const event = await this.#parse(row);
    if (!event) return true;
    const issueId = event.issue?.id;
    const ref = channel.live && issueId && event.kind !== 'approvals' ? await repo.messageRef(issueId, channel.name) : undefined;
    const outcome = await channel.deliver(event, ref);
    if (outcome.kind === 'sent' && channel.live && issueId && event.kind !== 'approvals') {
      const at = this.#o.now();
      if (outcome.ref && outcome.ref !== ref) await repo.saveMessageRef(issueId, channel.name, outcome.ref, at);
      else if (ref) await repo.touchMessage(issueId, channel.name, at);
    }
    if (outcome.kind === 'gone' && issueId) await repo.dropMessageRef(issueId, channel.name);
    await this.#settle([row], outcome, { edit: ref !== undefined });
    return true;
  }

  async #parse(row: ChannelOutboxRow): Promise<ChannelEvent | undefined> {
    const parsed = ChannelEvent.safeParse(row.payload);
    if (parsed.success) return parsed.data;
    await this.#o.repo.markFailed(row.id, 'payload is not a valid channel event');
    this.#o.logger.error({ component: 'notify', channel: this.#o.channel.name, id: row.id }, 'channel outbox row with an unusable payload marked failed');
    return undefined;
  }

  async #deliverSummary(rows: ChannelOutboxRow[]): Promise<boolean> {
    const events: ChannelEvent[] = [];
    const claimed: ChannelOutboxRow[] = [];
    for (const row of rows) {
      const e = await this.#parse(row);
      if (e) {
        events.push(e);
        claimed.push(row);
      }
    }
    if (events.length === 0) return true;
    const outcome = await this.#o.channel.deliverSummary!(events);
    // A summary is a new message shared by many issues: their live messages, if any, are edited by later changes.
    await this.#settle(claimed, outcome.kind === 'gone' ? { kind: 'retry', error: outcome.error } : outcome, { edit: false, summary: true });
    return true;
  }

  /** What the channel's answer means for the claimed rows (one, or a storm summary's run). */
  async #settle(rows: ChannelOutboxRow[], outcome: DeliveryOutcome, how: { edit: boolean; summary?: boolean }): Promise<void> {
    const { repo, channel, logger } = this.#o;
    this.#o.onOutcome?.(channel.name, outcome.kind);
    const at = this.#o.now();
    const log = { component: 'notify', channel: channel.name, type: channel.type, ids: rows.map((r) => r.id), kind: how.summary ? 'summary' : rows[0]!.kind };
    switch (outcome.kind) {
      case 'sent':
        this.#budget.record(at);
        this.#limitedInARow = 0;
        if (this.#isolate > 0) this.#isolate--;
        this.#sent += rows.length;
        this.#failures = 0;
        this.#lastError = undefined;
        for (const r of rows) await repo.markSent(r.id, r.token, at);
        logger.info({ ...log, edit: how.edit }, how.summary ? 'channel storm summary sent' : 'channel notification sent');
        return;
      case 'rate_limited': {
        const waitMs = outcome.retryAfterMs ?? backoffMs(++this.#limitedInARow, { baseMs: this.#o.baseBackoffMs, maxMs: this.#o.maxBackoffMs });
        this.#blockedUntil = at + waitMs;
        for (const r of rows) await repo.release(r.id, r.token, this.#blockedUntil, { countAttempt: false });
        logger.warn({ ...log, retryAfterMs: waitMs }, 'channel rate limit hit; waiting');
        return;
      }
      case 'retry':
        this.#failures++;
        this.#blockedUntil = at + backoffMs(this.#failures, { baseMs: this.#o.baseBackoffMs, maxMs: this.#o.maxBackoffMs });
        this.#lastError = outcome.error;
        for (const r of rows) await repo.release(r.id, r.token, this.#blockedUntil, { countAttempt: true, error: outcome.error });
        logger.warn({ ...log, err: outcome.error, retryInMs: this.#blockedUntil - at, failures: this.#failures }, 'channel unavailable; backing off');
        return;
      case 'fatal':
        this.#fatal = `${outcome.error}; check channels.${channel.name} in the config; its notifications stay queued until the agent restarts with a working one`;
        for (const r of rows) await repo.release(r.id, r.token, at, { countAttempt: false, error: outcome.error });
        logger.error({ ...log, status: outcome.status }, `channel sending stopped: ${this.#fatal}`);
        return;
      case 'gone':
        for (const r of rows) await repo.release(r.id, r.token, at, { countAttempt: true, error: outcome.error });
        logger.warn({ ...log, err: outcome.error }, 'live message cannot be edited; posting a fresh one');
        return;
      case 'rejected':
        if (how.summary) {
          // The summary body was refused: send these one by one (each then stands or fails alone).
          for (const r of rows) await repo.release(r.id, r.token, at, { countAttempt: true, error: outcome.error });
          this.#isolate = rows.length;
          this.#budget.record(at);
          logger.warn({ ...log, err: outcome.error }, 'channel refused a storm summary; sending one by one');
          return;
        }
        this.#failed++;
        if (this.#isolate > 0) this.#isolate--;
        for (const r of rows) await repo.markFailed(r.id, outcome.error);
        logger.error({ ...log, err: outcome.error }, 'channel refused a notification; marked failed');
        return;
    }
  }
}
