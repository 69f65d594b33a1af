/**
 * Failed dashboard logins, counted per client address and for the whole agent in a sliding window. Past either limit
 * a login is refused before the token is even compared, so a flood of parallel guesses gets a handful of tries.
 * Memory stays bounded: an address keeps at most `perAddress` timestamps, the agent at most `global`, and addresses
 * whose failures have aged out are dropped.
 */
export interface LoginLimits {
  perAddress: number;
  global: number;
  windowMs: number;
  /** Addresses tracked at once; past it the oldest is forgotten (the global limit still holds). */
  maxAddresses: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAddress: 5, global: 30, windowMs: 60_000, maxAddresses: 10_000 };

export type LoginVerdict = { allowed: true } | { allowed: false; scope: 'address' | 'global'; retryAfterSeconds: number };

export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => number;
  readonly #byAddress = new Map<string, number[]>();
  #global: number[] = [];

  constructor(limits: Partial<LoginLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.#now = now;
  }

  /** Addresses with failures still in the window. */
  get trackedAddresses(): number {
    this.#prune(this.#now());
    return this.#byAddress.size;
  }

  check(address: string): LoginVerdict {
    const now = this.#now();
    this.#prune(now);
    const mine = this.#byAddress.get(address) ?? [];
    if (mine.length >= this.#limits.perAddress) return { allowed: false, scope: 'address', retryAfterSeconds: this.#retryAfter(mine[0]!, now) };
    if (this.#global.length >= this.#limits.global) return { allowed: false, scope: 'global', retryAfterSeconds: this.#retryAfter(this.#global[0]!, now) };
    return { allowed: true };
  }

  recordFailure(address: string): void {
    const now = this.#now();
    const mine = this.#byAddress.get(address);
    if (mine) {
      mine.push(now);
      if (mine.length > this.#limits.perAddress) mine.shift();
      this.#byAddress.delete(address); // re-insert: the Map's order stays "least recently failed first"
      this.#byAddress.set(address, mine);
    } else {
      while (this.#byAddress.size >= this.#limits.maxAddresses) this.#byAddress.delete(this.#byAddress.keys().next().value!);
      this.#byAddress.set(address, [now]);
    }
    this.#global.push(now);
    if (this.#global.length > this.#limits.global) this.#global.shift();
  }

  /** A correct login forgets that address's failures (the global count still ages out on its own). */
  recordSuccess(address: string): void {
    this.#byAddress.delete(address);
  }

  #retryAfter(oldest: number, now: number): number {
    return Math.max(1, Math.ceil((oldest + this.#limits.windowMs - now) / 1000));
  }

  #prune(now: number): void {
    const cutoff = now - this.#limits.windowMs;
    while (this.#global.length > 0 && this.#global[0]! <= cutoff) this.#global.shift();
    for (const [address, times] of this.#byAddress) {
      if (times[times.length - 1]! > cutoff) break; // ordered by last failure: the rest are more recent
      this.#byAddress.delete(address);
    }
    for (const times of this.#byAddress.values()) while (times.length > 0 && times[0]! <= cutoff) times.shift();
  }
}
