import type { AlertEvent } from '../../model/alert.js';
import type { IngestResult } from '../../model/issue.js';
import type { Metrics } from '../metrics.js';

/** What the ingest routes (generic alerts and the source webhooks) need: where events go, and the default server. */
export interface IngestRouteOptions {
  tracker: { ingest(events: AlertEvent[]): Promise<IngestResult[]> };
  /** server_id given to events that do not name one. */
  serverId: string;
  metrics: Metrics;
}
