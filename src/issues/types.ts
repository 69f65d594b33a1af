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
}

export type IssueStatus = 'open' | 'investigating' | 'resolved' | 'closed';
export type Severity = 'warning' | 'critical';
export const ISSUE_STATUSES: readonly IssueStatus[] = ['open', 'investigating', 'resolved', 'closed'];
export const ACTIVE_STATUSES: readonly IssueStatus[] = ['open', 'investigating'];

export interface FingerprintInputs {
  name: string;
  context: string;
  chart: string;
}

export interface IssueMetadata {
  fingerprint_inputs: FingerprintInputs;
  units?: string;
  /** Times (ms) the issue resolved or reopened, within the flapping window. */
  transitions?: number[];
  flapping?: boolean;
  reopen_count?: number;
  [key: string]: unknown;
}

/** An `issues` row, metadata parsed. Field names are the column names, as in the JSON API. */
export interface Issue {
  id: string;
  server_id: string;
  alert_fingerprint: string;
  title: string;
  description: string | null;
  severity: Severity;
  status: IssueStatus;
  source: string;
  source_alert_id: string | null;
  first_seen_at: number;
  last_seen_at: number;
  resolved_at: number | null;
  alert_count: number;
  metadata: IssueMetadata;
}

export type AuthorType = 'agent' | 'human';
export type CommentType = 'analysis' | 'action' | 'status_change' | 'alert_fired' | 'note';

export interface IssueComment {
  id: number;
  issue_id: string;
  author_type: AuthorType;
  author_name: string | null;
  comment_type: CommentType;
  content: string;
  metadata: Record<string, unknown> | null;
  created_at: number;
}

export interface NewComment {
  author_type: AuthorType;
  author_name?: string | null;
  comment_type: CommentType;
  content: string;
  metadata?: Record<string, unknown> | null;
}

/** What an ingested event or a human did to an issue; later stages (analysis, notify) react to these. */
export type ChangeKind =
  | 'created'
  | 'fired'
  | 'escalated'
  | 'reopened'
  | 'resolved'
  | 'late'
  | 'status_changed';

export interface IssueChange {
  kind: ChangeKind;
  issue: Issue;
  event?: AlertEvent;
  previousStatus?: IssueStatus;
  previousSeverity?: Severity;
  /** True on the change that made the issue flapping. */
  flappingStarted?: boolean;
}

export type IngestOutcome = ChangeKind | 'duplicate' | 'ignored';

export interface IngestResult {
  outcome: IngestOutcome;
  issue_id: string | null;
  status: IssueStatus | null;
  alert_count: number | null;
}
