/** What every source adapter translates its payload into (DESIGN §1). */
export type AlertStatus = 'WARNING' | 'CRITICAL' | 'CLEAR';
export type AlertSource = 'netdata' | 'alertmanager' | 'opsagent';

export interface AlertEvent {
  server_id: string;
  name: string;
  context: string;
  chart: string;
  status: AlertStatus;
  value?: number | null;
  units?: string;
  info?: string;
  source: AlertSource;
  source_alert_id?: string;
  /** Idempotency key within the source: the same (source, event_key) is applied once. */
  event_key?: string;
  /** When the transition happened at the source, integer ms since the epoch. */
  occurred_at: number;
  /** Alertmanager / Prometheus alerts: their label set, for silences and routes to match (model/matchers.ts). */
  labels?: Record<string, string>;
  /** Alertmanager / Prometheus alerts: their annotations (summary, description, runbook_url…), kept on the issue. */
  annotations?: Record<string, string>;
  /**
   * Alerts posted to the Alertmanager API v2 (POST /api/v2/alerts): which activation of which label set this is, so
   * the tracker tells a re-send (nothing counted) from a new activation (a firing) and lets it expire at endsAt.
   */
  activation?: AlertActivation;
}

export interface AlertActivation {
  /** The label-set fingerprint (the identity of a Prometheus alert). */
  fingerprint: string;
  /** startsAt, ms. */
  startsAt: number;
  /** When the activation ends unless re-sent: the explicit endsAt, or the receipt time + the resolve timeout (ms). */
  endsAt: number;
  /** Set by the sweeper: the activation was not re-sent before endsAt (the event's status is CLEAR). */
  expired?: true;
}
