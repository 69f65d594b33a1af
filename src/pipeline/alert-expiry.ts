import type { IssueTracker } from '../issues/issue-tracker.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AlertEvent } from '../model/alert.js';
import type { Database } from '../store/database.js';
import { every, type BackgroundService } from './service.js';

/** How often live API v2 activations are checked for a passed endsAt (an indexed range read; usually empty). */
const SWEEP_INTERVAL_MS = 1_000;
const BATCH = 500;

/**
 * Alertmanager's resolve_timeout for POST /api/v2/alerts: an activation not re-sent before its endsAt is over, and its
 * issue resolves ("expired"). The due rows come from the store, so a restart of the agent (or of the sender) changes
 * nothing; the tracker re-checks each row in its own transaction, so a re-send that won the race keeps it live.
 */
export async function expireDueActivations(tracker: IssueTracker, db: Database, now = Date.now()): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await tracker.activations.due(db, now, BATCH);
    if (rows.length === 0) return total;
    const events: AlertEvent[] = rows.map((r) => ({
      server_id: r.server_id,
      name: r.name,
      context: r.context,
      chart: r.chart,
      status: 'CLEAR',
      source: 'alertmanager',
      source_alert_id: r.fingerprint,
      occurred_at: r.ends_at,
      activation: { fingerprint: r.fingerprint, startsAt: r.starts_at, endsAt: r.ends_at, expired: true },
    }));
    await tracker.ingest(events);
    total += rows.length;
    if (rows.length < BATCH) return total;
  }
}

export function alertExpiryService(tracker: IssueTracker, db: Database, logger: Logger): BackgroundService {
  return every(
    'alert-expiry',
    SWEEP_INTERVAL_MS,
    async () => {
      const n = await expireDueActivations(tracker, db);
      if (n > 0) logger.info({ component: 'alert-expiry', expired: n }, 'alerts not re-sent before their endsAt expired');
    },
    (err) => logger.warn({ component: 'alert-expiry', err: errorMessage(err) }, 'expiring alerts failed'),
  );
}
