import { AppError } from '../errors.js';

/**
 * A sliding-window cap on the writes MCP clients make (notes, proposals, analyses): an assistant in a loop, or a
 * hostile one, cannot flood an issue's timeline or the approvers. MCP's spec asks servers to rate-limit tool calls.
 */
export class WriteBudget {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #times: number[] = [];

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /** Counts one write, or throws CONFLICT (nothing is written) when the last minute already had perMinute of them. */
  take(): void {
    const now = this.#now();
    while (this.#times.length > 0 && this.#times[0]! <= now - 60_000) this.#times.shift();
    if (this.#times.length >= this.#perMinute) {
      throw new AppError('CONFLICT', `too many changes from MCP clients (${this.#perMinute} a minute); nothing was written, try again in a minute`, { retryable: true });
    }
    this.#times.push(now);
  }
}
