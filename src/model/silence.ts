import { randomInt } from 'node:crypto';
import { AppError } from '../errors.js';
import { matches, parseMatchers, type Matcher, type MatchTarget } from './matchers.js';

/**
 * A silence says "we know, not now" for every alert its matchers match (Alertmanager's semantics, model/matchers.ts):
 * firings are still counted and recorded (each marked with the silence), but nobody is notified and no action runs
 * by itself. A snooze is a silence of one issue for a while; "until resolved" lasts while one issue stays active.
 */
export type SilenceKind = 'silence' | 'snooze';

export interface Silence {
  id: string;
  kind: SilenceKind;
  matchers: Matcher[];
  starts_at: number;
  /** null: lasts until until_resolved_issue_id is no longer active. */
  ends_at: number | null;
  until_resolved_issue_id: string | null;
  issue_id: string | null;
  created_by: string;
  comment: string;
  created_at: number;
  expired_at: number | null;
  expired_by: string | null;
  end_noted_at: number | null;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** What a new silence is asked for, before validation (CLI flags, an HTTP body, a button). */
export interface SilenceRequest {
  matchers: readonly (string | { field: string; op: string; value: string })[];
  /** Default: now. */
  startsAt?: number | undefined;
  endsAt?: number | undefined;
  /** "2h", "30m", "1d"; from the start. */
  duration?: string | undefined;
  untilResolvedIssueId?: string | undefined;
  comment?: string | undefined;
  kind?: SilenceKind | undefined;
  issueId?: string | undefined;
}

export interface SilenceLimits {
  maxDurationDays: number;
}

export const MAX_COMMENT = 1_000;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newSilenceId(nowMs: number, prefix: 'silence' | 'window' = 'silence'): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `${prefix}-${nowMs}-${suffix}`;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90m", "2h", "1h30m", "1d" → milliseconds; anything else is INPUT_INVALID. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (!/^(\d{1,6}(?:\.\d{1,3})?[smhdw])+$/.test(t)) {
    throw new AppError('INPUT_INVALID', `duration "${t.slice(0, 40)}": use a number with a unit, e.g. 30m, 2h, 1h30m, 1d`);
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0) throw new AppError('INPUT_INVALID', `duration "${t}" must be longer than zero`);
  return Math.round(ms);
}

/** A time from a person: an ISO 8601 date-time (with a zone or Z), or epoch milliseconds. */
export function parseTime(text: string, what = 'time'): number {
  const t = text.trim();
  if (/^\d{12,14}$/.test(t)) return Number(t);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    throw new AppError('INPUT_INVALID', `${what} "${t.slice(0, 40)}": use an ISO 8601 time with its zone, e.g. 2026-12-03T15:00:00Z or 2026-12-03T16:00+01:00`);
  }
  const ms = Date.parse(t);
  if (!Number.isFinite(ms)) throw new AppError('INPUT_INVALID', `${what} "${t}" is not a real date`);
  return ms;
}

/** The checked fields of a new silence (pure): every rule of docs/silences.md, each failure an INPUT_INVALID. */
export function validateSilence(
  req: SilenceRequest,
  now: number,
  limits: SilenceLimits,
): Pick<Silence, 'kind' | 'matchers' | 'starts_at' | 'ends_at' | 'until_resolved_issue_id' | 'issue_id' | 'comment'> {
  const matchers = parseMatchers(req.matchers);
  const startsAt = req.startsAt ?? now;
  const ways = [req.endsAt !== undefined, req.duration !== undefined, req.untilResolvedIssueId !== undefined].filter(Boolean).length;
  if (ways !== 1) throw new AppError('INPUT_INVALID', 'give exactly one of: a duration (--for 2h), an end time (--until), or an issue it lasts until it resolves (--until-resolved)');
  let endsAt: number | null = null;
  if (req.duration !== undefined) endsAt = startsAt + parseDuration(req.duration);
  if (req.endsAt !== undefined) endsAt = req.endsAt;
  if (endsAt !== null) {
    if (endsAt <= startsAt) throw new AppError('INPUT_INVALID', `the end (${iso(endsAt)}) is not after the start (${iso(startsAt)})`);
    if (endsAt <= now) throw new AppError('INPUT_INVALID', `the end (${iso(endsAt)}) is already past`);
    const maxMs = limits.maxDurationDays * 86_400_000;
    if (endsAt - startsAt > maxMs) {
      throw new AppError('INPUT_INVALID', `a silence may last at most ${limits.maxDurationDays} days (silences.maxDurationDays); this one would last ${Math.ceil((endsAt - startsAt) / 86_400_000)}`);
    }
  }
  if (startsAt > now + limits.maxDurationDays * 86_400_000) throw new AppError('INPUT_INVALID', `the start (${iso(startsAt)}) is more than ${limits.maxDurationDays} days ahead`);
  const comment = (req.comment ?? '').trim();
  if (comment.length > MAX_COMMENT) throw new AppError('INPUT_INVALID', `the comment is longer than ${MAX_COMMENT} characters`);
  return {
    kind: req.kind ?? 'silence',
    matchers,
    starts_at: startsAt,
    ends_at: endsAt,
    until_resolved_issue_id: req.untilResolvedIssueId ?? null,
    issue_id: req.issueId ?? req.untilResolvedIssueId ?? null,
    comment,
  };
}

/**
 * Where a silence stands at `now`. `issueActive` says whether its until-resolved issue is still active (ignored
 * for silences with an end).
 */
export function silenceState(s: Pick<Silence, 'starts_at' | 'ends_at' | 'expired_at' | 'until_resolved_issue_id'>, now: number, issueActive = true): SilenceState {
  if (s.expired_at !== null && s.expired_at <= now) return 'expired';
  if (s.ends_at !== null && s.ends_at <= now) return 'expired';
  if (s.ends_at === null && s.until_resolved_issue_id !== null && !issueActive) return 'expired';
  return s.starts_at > now ? 'pending' : 'active';
}

/** When it ended (or will end): the hand expiry, the end time, or null while it lasts until an issue resolves. */
export function silenceEnd(s: Pick<Silence, 'ends_at' | 'expired_at'>): number | null {
  if (s.expired_at !== null && (s.ends_at === null || s.expired_at < s.ends_at)) return s.expired_at;
  return s.ends_at;
}

/** Pins a silence to one issue's alert: its server, alert name, context and chart. */
export function matchersForIssue(target: MatchTarget): Matcher[] {
  return [
    { field: 'server', op: '=', value: target.server },
    { field: 'alertname', op: '=', value: target.alertname },
    { field: 'context', op: '=', value: target.context },
    { field: 'chart', op: '=', value: target.chart },
  ];
}

/** What covers an issue at one moment: a silence or a maintenance window. */
export interface SilenceCover {
  /** The silence id, or the window id (window-… or config:<name>). */
  id: string;
  kind: 'silence' | 'snooze' | 'window';
  /** When it ends as known now; null = when its issue resolves. */
  until: number | null;
  by: string;
  comment: string;
}

/** A cover with what it applies to: its matchers, and for "until resolved" the one issue it lasts for. */
export type CoverEntry = SilenceCover & { matchers: readonly Matcher[]; onlyIssueId?: string | undefined };

/**
 * The cover that applies to an (active) issue, preferring the one that lasts longest (what a person wants to read).
 * A silence "until this issue resolves" covers that issue only, not a later issue of the same alert.
 */
export function pickCover(covers: readonly CoverEntry[], target: MatchTarget, issueId?: string): SilenceCover | undefined {
  let best: SilenceCover | undefined;
  for (const c of covers) {
    if (c.onlyIssueId !== undefined && c.onlyIssueId !== issueId) continue;
    if (!matches(c.matchers, target)) continue;
    if (!best || c.until === null || (best.until !== null && c.until > best.until)) best = { id: c.id, kind: c.kind, until: c.until, by: c.by, comment: c.comment };
  }
  return best;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
