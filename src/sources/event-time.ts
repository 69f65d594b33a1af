/** Earliest event time we accept: anything before is a unit mistake (seconds read as ms, or a zero value). */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
/** Beyond this a future time is a unit mistake (microseconds), not a sender clock running ahead. */
export const MAX_CLOCK_SKEW_MS = 24 * 3_600_000;

/**
 * Why an event time (ms) is not believable, or undefined when it is. A timestamp in microseconds would put
 * last_seen_at in the far future, and every later (correct) clear would then look stale and never resolve the issue.
 */
export function implausibleTime(ms: number, nowMs: number): string | undefined {
  if (!Number.isFinite(ms)) return 'is not a time';
  if (ms < EARLIEST_MS) return `${new Date(ms).toISOString()} is before 2000: send milliseconds since the epoch (or ISO 8601)`;
  if (ms > nowMs + MAX_CLOCK_SKEW_MS) {
    const shown = ms < 8.64e15 ? new Date(ms).toISOString() : `${ms}`;
    return `${shown} is more than a day in the future: send milliseconds since the epoch (or ISO 8601) and check the sender's clock`;
  }
  return undefined;
}

/** A sender clock running ahead (within the skew above) is read as "now": a future last_seen_at would make later clears look stale. */
export function eventTime(ms: number, nowMs: number): number {
  return Math.min(ms, nowMs);
}
