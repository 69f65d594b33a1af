import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NotificationRepository } from '../store/notification-repository.js';
import { assertTimeZone, atLocalTime, localDate, nextDailyRun } from './daily-schedule.js';
import { collectDigest, digestEmbeds, isEmptyDigest } from './digest.js';
import type { NotificationPayload, RenderContext } from './notification-types.js';

/** A digest missed while the agent was down is still sent if the agent comes back within this long. */
const CATCH_UP_MS = 2 * 3_600_000;

/** Queues today's digest in the outbox (de-duplicated by local date: one per day, whoever queues it). */
export async function queueDigest(repo: NotificationRepository, render: RenderContext, nowMs: number, timeZone: string): Promise<boolean> {
  const data = await collectDigest(repo, nowMs);
  if (isEmptyDigest(data)) return false; // nothing to report: no message
  const payload: NotificationPayload = { kind: 'digest', title: 'Daily digest', embeds: digestEmbeds(data, render), at: nowMs };
  const date = localDate(nowMs, timeZone);
  return repo.enqueueNow({ kind: 'digest', channel: 'webhook', dedup_key: `digest:${date}`, issue_id: null, action_id: null, payload }, nowMs);
}

/** Queues the daily digest at discord.digest.time in discord.digest.timezone (BackgroundService). */
export class DigestScheduler {
  readonly name: string;
  readonly #o: {
    repo: NotificationRepository;
    render: RenderContext;
    time: string;
    timeZone: string;
    logger: Logger;
    now: () => number;
    onQueued: () => void;
    queue: (nowMs: number) => Promise<boolean>;
  };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #next: number | undefined;
  #lastError: string | undefined;

  /** queue: what firing does (default: today's Discord digest); the configured channels pass their own. */
  constructor(options: {
    repo: NotificationRepository;
    render: RenderContext;
    time: string;
    timeZone: string;
    logger: Logger;
    now?: () => number;
    onQueued?: () => void;
    queue?: (nowMs: number) => Promise<boolean>;
    name?: string;
  }) {
    assertTimeZone(options.timeZone);
    this.name = options.name ?? 'digest';
    this.#o = { now: Date.now, onQueued: () => undefined, queue: (now) => queueDigest(options.repo, options.render, now, options.timeZone), ...options };
  }

  start(): void {
    this.#stopped = false;
    const now = this.#o.now();
    const today = atLocalTime(now, this.#o.time, this.#o.timeZone);
    if (today <= now && now - today < CATCH_UP_MS) this.#catchUp(now);
    this.#schedule();
  }

  /** A digest missed while the agent was down; a fresh install (no digest ever queued) has nothing to catch up on. */
  #catchUp(now: number): void {
    this.#running = this.#o.repo
      .hasDigest()
      .then((before) => {
        this.#running = undefined;
        if (before && !this.#stopped) this.#fire(now);
      })
      .catch((err: unknown) => {
        this.#running = undefined;
        this.#lastError = errorMessage(err);
      });
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = this.#o.now();
    this.#next = nextDailyRun(now, this.#o.time, this.#o.timeZone);
    this.#timer = setTimeout(() => {
      this.#fire(this.#o.now());
      this.#schedule();
    }, Math.max(1_000, this.#next - now));
    this.#timer.unref();
  }

  #fire(now: number): void {
    if (this.#running) return;
    this.#running = this.#o.queue(now)
      .then((queued) => {
        this.#lastError = undefined;
        if (queued) {
          this.#o.logger.info({ component: 'digest' }, 'daily digest queued');
          this.#o.onQueued();
        }
      })
      .catch((err: unknown) => {
        this.#lastError = errorMessage(err);
        this.#o.logger.warn({ component: 'digest', err: errorMessage(err) }, 'daily digest failed');
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  health(): { state: string; [k: string]: unknown } {
    return {
      state: this.#stopped ? 'stopped' : this.#lastError ? 'degraded' : 'ok',
      ...(this.#next ? { next_run: new Date(this.#next).toISOString() } : {}),
      ...(this.#lastError ? { error: this.#lastError } : {}),
    };
  }
}
