import { AppError } from '../errors.js';
import type { AlertEvent } from './alert.js';

export type IssueStatus = 'open' | 'investigating' | 'resolved' | 'closed';
export type Severity = 'warning' | 'critical';
export const ISSUE_STATUSES: readonly IssueStatus[] = ['open', 'investigating', 'resolved', 'closed'];
export const ACTIVE_STATUSES: readonly IssueStatus[] = ['open', 'investigating'];

/** Open or investigating: the issue still calls for work (analysis, actions); the one definition every stage uses. */
export function isActive(issue: { status: IssueStatus }): boolean {
  return issue.status === 'open' || issue.status === 'investigating';
}

/** `--status` / `?status=`: a comma list of issue statuses, or `all`; undefined (nothing given) means the default. */
export function parseIssueStatuses(text: string | undefined): IssueStatus[] | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'all') return [...ISSUE_STATUSES];
  const list = text.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!ISSUE_STATUSES.includes(s as IssueStatus)) {
      throw new AppError('INPUT_INVALID', `unknown status "${s}"; use a comma list of ${ISSUE_STATUSES.join(', ')} (or all)`);
    }
  }
  return list as IssueStatus[];
}

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
  /** The label set of the alert behind the issue (Alertmanager / Prometheus sources), as first seen. */
  labels?: Record<string, string>;
  /** Its annotations, as of the latest firing that carried any (runbook_url, summary, …). */
  annotations?: Record<string, string>;
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

/**
 * Why a status changed, as a typed field of the status_change comment's metadata (never read back from its text).
 * 'alert_expired': an Alertmanager API v2 alert was not re-sent before its endsAt; its condition may still hold (the
 * sender may be down), so remediation does not take it as a verified clear.
 */
export type StatusChangeCause = 'alert_cleared' | 'alert_expired';

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
