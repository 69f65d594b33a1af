/** A long-running part of the daemon (a poller, a worker, a scheduler). */
export interface BackgroundService {
  readonly name: string;
  start(): void;
  /** Stops taking new work and waits for work in flight; safe to call twice. */
  stop(): Promise<void>;
  health(): { state: string; [k: string]: unknown };
}

/** Runs fn now and then every intervalMs until stopped; one run at a time; errors go to onError, never up. */
export function every(name: string, intervalMs: number, fn: () => Promise<void>, onError: (err: unknown) => void): BackgroundService {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastError: string | undefined;
  let runs = 0;
  const tick = () => {
    if (stopped || running) return;
    running = fn()
      .then(() => {
        lastError = undefined;
      })
      .catch((err: unknown) => {
        lastError = err instanceof Error ? err.message : String(err);
        onError(err);
      })
      .finally(() => {
        runs++;
        running = undefined;
      });
  };
  return {
    name,
    start() {
      stopped = false;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
    health() {
      return { state: stopped ? 'stopped' : lastError ? 'degraded' : 'ok', runs, ...(lastError ? { error: lastError } : {}) };
    },
  };
}
