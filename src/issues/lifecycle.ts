import type { AlertEvent } from '../model/alert.js';
import type { Issue, IssueMetadata, NewComment, Severity, StatusChangeCause } from '../model/issue.js';

/** The tunables of DESIGN §3, from config.issues. */
export interface IssuePolicy {
  reopenWindowMinutes: number;
  commentEveryFiringUpTo: number;
  rollupEvery: number;
  flapping: { transitions: number; windowMinutes: number };
}

export const DEFAULT_POLICY: IssuePolicy = {
  reopenWindowMinutes: 60,
  commentEveryFiringUpTo: 100,
  rollupEvery: 100,
  flapping: { transitions: 5, windowMinutes: 60 },
};

/** What one event does, given the issue it could belong to. Pure: the tracker carries it out. */
export type Step =
  | { kind: 'create' }
  | { kind: 'fire'; issue: Issue; escalate: boolean }
  | { kind: 'reopen'; issue: Issue; escalate: boolean }
  | { kind: 'late'; issue: Issue }
  | { kind: 'resolve'; issue: Issue }
  | { kind: 'ignore'; reason: string };

export function severityOf(event: AlertEvent): Severity {
  return event.status === 'CRITICAL' ? 'critical' : 'warning';
}

/**
 * @param active the open/investigating issue of the event's (server, fingerprint), if any
 * @param lastResolved the most recently resolved issue of that key, if any (only consulted without an active one)
 */
export function decideStep(event: AlertEvent, active: Issue | undefined, lastResolved: Issue | undefined, policy: IssuePolicy): Step {
  if (event.status === 'CLEAR') {
    if (!active) return { kind: 'ignore', reason: 'clear for an alert with no open issue' };
    // A clear older than the newest firing describes a state that no longer holds.
    if (event.occurred_at < active.last_seen_at) return { kind: 'ignore', reason: 'clear older than the latest firing' };
    return { kind: 'resolve', issue: active };
  }
  if (active) return { kind: 'fire', issue: active, escalate: escalates(active.severity, event) };
  if (lastResolved?.resolved_at != null) {
    if (event.occurred_at < lastResolved.resolved_at) return { kind: 'late', issue: lastResolved };
    if (event.occurred_at - lastResolved.resolved_at <= policy.reopenWindowMinutes * 60_000) {
      return { kind: 'reopen', issue: lastResolved, escalate: escalates(lastResolved.severity, event) };
    }
  }
  return { kind: 'create' };
}

function escalates(current: Severity, event: AlertEvent): boolean {
  return current === 'warning' && event.status === 'CRITICAL';
}

/** Records a resolve/reopen transition and reports whether the issue is (now) flapping. */
export function trackTransition(metadata: IssueMetadata, atMs: number, policy: IssuePolicy): { metadata: IssueMetadata; started: boolean } {
  const since = atMs - policy.flapping.windowMinutes * 60_000;
  const transitions = [...(metadata.transitions ?? []).filter((t) => t >= since), atMs].slice(-50);
  const flapping = transitions.length >= policy.flapping.transitions;
  return { metadata: { ...metadata, transitions, flapping }, started: flapping && metadata.flapping !== true };
}

export function formatValue(value: number | null | undefined, units: string | undefined): string | undefined {
  if (value === null || value === undefined || !Number.isFinite(value)) return undefined;
  const rounded = Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  if (!units) return rounded;
  return units === '%' ? `${rounded}%` : `${rounded} ${units}`;
}

/** "cpu_usage = 85%" (or "cpu_usage (CRITICAL)" when the source gave no value). */
export function describeFiring(event: AlertEvent): string {
  const shown = formatValue(event.value, event.units);
  return shown === undefined ? `${event.name} (${event.status})` : `${event.name} = ${shown}`;
}

function firingMetadata(event: AlertEvent, count: number): Record<string, unknown> {
  const meta: Record<string, unknown> = { count, status: event.status, occurred_at: event.occurred_at, source: event.source };
  if (event.value !== undefined && event.value !== null) meta.value = event.value;
  if (event.event_key !== undefined) meta.event_key = event.event_key;
  return meta;
}

export function firstDetectedComment(event: AlertEvent): NewComment {
  return {
    author_type: 'agent',
    comment_type: 'alert_fired',
    content: `Alert first detected: ${describeFiring(event)}`,
    metadata: firingMetadata(event, 1),
  };
}

/**
 * The bounded audit trail: every firing up to the limit gets a comment, then one roll-up per `rollupEvery` firings.
 * Returns undefined when this firing is only counted.
 */
export function firedAgainComment(event: AlertEvent, count: number, policy: IssuePolicy): NewComment | undefined {
  if (count <= policy.commentEveryFiringUpTo) {
    return {
      author_type: 'agent',
      comment_type: 'alert_fired',
      content: `Alert fired again (#${count}): ${describeFiring(event)}`,
      metadata: firingMetadata(event, count),
    };
  }
  const beyond = count - policy.commentEveryFiringUpTo;
  if (beyond % policy.rollupEvery !== 0) return undefined;
  const from = count - policy.rollupEvery + 1;
  return {
    author_type: 'agent',
    comment_type: 'alert_fired',
    content: `Alert fired ${policy.rollupEvery} more times (#${from}–#${count}), latest: ${describeFiring(event)}`,
    metadata: { ...firingMetadata(event, count), rollup: { from, to: count } },
  };
}

export function statusChangeComment(
  status: string,
  reason: string,
  extra: Record<string, unknown> & { cause?: StatusChangeCause } = {},
  author?: { type: 'agent' | 'human'; name?: string | null },
): NewComment {
  return {
    author_type: author?.type ?? 'agent',
    author_name: author?.name ?? null,
    comment_type: 'status_change',
    content: `Status changed to ${status}: ${reason}`,
    metadata: { status, ...extra },
  };
}

export function escalationComment(event: AlertEvent): NewComment {
  return {
    author_type: 'agent',
    comment_type: 'status_change',
    content: `Severity escalated from warning to critical: ${describeFiring(event)}`,
    metadata: { severity: 'critical', previous_severity: 'warning' },
  };
}
