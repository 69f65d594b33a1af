/**
 * Per-channel message budget: at most `max` messages in any sliding window of `windowMs`. Discord publishes no
 * channel figure (≈30/min in practice, PROTOCOLS §1), so we stay under our own number and still obey its headers.
 */
export class RateBudget {
  readonly max: number;
  readonly windowMs: number;
  #sent: number[] = [];

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  #prune(now: number): void {
    const since = now - this.windowMs;
    while (this.#sent.length > 0 && this.#sent[0]! <= since) this.#sent.shift();
  }

  /** Messages that may still be sent now. */
  remaining(now: number): number {
    this.#prune(now);
    return Math.max(0, this.max - this.#sent.length);
  }

  /** When the next message may go (now when there is room). */
  nextSlotAt(now: number): number {
    this.#prune(now);
    if (this.#sent.length < this.max) return now;
    return this.#sent[this.#sent.length - this.max]! + this.windowMs + 1;
  }

  record(now: number): void {
    this.#sent.push(now);
  }
}

/** Exponential backoff with jitter for 5xx and timeouts: 1 s, 2 s, 4 s … capped. */
export function backoffMs(attempt: number, options: { baseMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const base = options.baseMs ?? 1_000;
  const max = options.maxMs ?? 300_000;
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jitter = 0.8 + 0.4 * (options.random ?? Math.random)();
  return Math.round(Math.min(max, exp * jitter));
}
