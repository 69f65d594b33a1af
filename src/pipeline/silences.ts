import { AppError, errorMessage } from '../errors.js';
import type { IssueTracker } from '../issues/issue-tracker.js';
import type { Logger } from '../logger.js';
import { isActive, type Issue } from '../model/issue.js';
import { describeSchedule, nextBoundary, openOccurrence, validateWindow, type MaintenanceWindow, type WindowInput } from '../model/maintenance-window.js';
import { formatMatcher, matches, targetOfIssue, type Matcher } from '../model/matchers.js';
import {
  matchersForIssue,
  newSilenceId,
  parseDuration,
  pickCover,
  silenceEnd,
  silenceState,
  validateSilence,
  type CoverEntry,
  type Silence,
  type SilenceCover,
  type SilenceRequest,
  type SilenceState,
} from '../model/silence.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { IssueRepository } from '../store/issue-repository.js';
import type { SilenceRepository, SilenceSnapshot, StoredWindow } from '../store/silence-repository.js';
import { every, type BackgroundService } from './service.js';

/** What the issue JSON, the CLI, the dashboard and the card show besides the row: who owns it, what silences it. */
/** How long a remote database's silences are trusted without asking again (see #cacheStillFresh). */
const REMOTE_COVER_TTL_MS = 1_000;

export interface IssueMarks {
  issue_id: string;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  /** The silence, snooze or maintenance window covering the issue now; null when none does. */
  silenced: SilenceCover | null;
}

/** A silence as the API and the CLI show it: the row plus where it stands now. */
export interface SilenceView extends Silence {
  state: SilenceState;
  /** The matchers as text, `server="web-1"`. */
  matcher_text: string[];
}

export interface WindowView {
  id: string;
  name: string;
  origin: 'config' | 'api';
  matchers: Matcher[];
  matcher_text: string[];
  schedule: MaintenanceWindow['schedule'];
  schedule_text: string;
  created_by: string;
  comment: string;
  open_now: boolean;
  /** The end of the occurrence open now, or the next time it opens or closes. */
  next_change_at: number | null;
}

/** Why the channel is told where some issues stand: a silence or window ended over them, or the reminder round. */
export interface StandingReport {
  reason: 'silence_ended' | 'window_ended' | 'reminder';
  /** The outbox dedup key (one message per silence end, window occurrence end, reminder round). */
  key: string;
  title: string;
  issues: { issue: Issue; acknowledged_by: string | null }[];
  at: number;
}

/** Runs inside the transaction that changed an issue's acknowledgement or cover (the card shows them). */
export type MarksHook = (tx: SqlExecutor, changes: { issue: Issue; marks: IssueMarks }[]) => Promise<void>;
/** Runs inside the transaction that claimed a report (the outbox row commits with the claim, or neither does). */
export type StandingHook = (tx: SqlExecutor, report: StandingReport) => Promise<void>;
/** Runs inside the transaction of a new acknowledgement (PagerDuty acknowledges its incident, channels say who). */
export type AcknowledgedHook = (tx: SqlExecutor, issue: Issue, by: string, now: number) => Promise<void>;

export interface SilenceSettings {
  maxDurationDays: number;
  /** The config file's windows (validated by the config schema, checked again here). */
  windows: WindowInput[];
  /** 0 = no reminders. */
  reminderIntervalMs: number;
  checkIntervalMs: number;
}

export interface SilenceServiceDeps {
  db: Database;
  repo: SilenceRepository;
  issues: IssueRepository;
  tracker: IssueTracker;
  settings: SilenceSettings;
  logger: Logger;
  now?: () => number;
}


const SNOOZE_DEFAULT = '1h';
const ACTOR = /^[\w .:@-]{1,100}$/;

function checkBy(by: string): string {
  const t = by.trim();
  if (!ACTOR.test(t)) throw new AppError('INPUT_INVALID', 'say who you are (--by name): 1 to 100 letters, digits, spaces or . : @ _ -');
  return t;
}

/**
 * Silences, maintenance windows, acknowledgements and reminders (docs/silences.md). Everything is in the database,
 * so it holds for every daemon and CLI on it and survives restarts; the messages it causes (a silence's end, a
 * reminder round) are claimed by a compare-and-set, so several daemons send each once.
 *
 * The API other front ends call (CLI, HTTP, dashboard, Discord buttons, MCP): createSilence, expireSilence, ack,
 * unack, snooze, silenceUntilResolved, createWindow, removeWindow — each takes typed input and `by`, returns the
 * record, and throws AppError on bad input (nothing changed then).
 */
export class SilenceService {
  readonly #db: Database;
  readonly #repo: SilenceRepository;
  readonly #issues: IssueRepository;
  readonly #tracker: IssueTracker;
  readonly #settings: SilenceSettings;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #configWindows: MaintenanceWindow[];
  readonly #marksHooks: MarksHook[] = [];
  readonly #standingHooks: StandingHook[] = [];
  readonly #ackHooks: AcknowledgedHook[] = [];
  readonly #afterAck: (() => void)[] = [];
  #afterStanding: (() => void) | undefined;
  /** Silences and API windows as of a silences_version: re-read only when the version moved. */
  #cache: { version: number; silences: Silence[]; windows: MaintenanceWindow[]; checkedAt: number; localWrites: number } | undefined;
  #lastTick: number | undefined;

  constructor(deps: SilenceServiceDeps) {
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#issues = deps.issues;
    this.#tracker = deps.tracker;
    this.#settings = deps.settings;
    this.#log = deps.logger.child({ component: 'silences' });
    this.#now = deps.now ?? Date.now;
    this.#configWindows = deps.settings.windows.map((w) => ({
      ...validateWindow(w, { maxDurationDays: Number.MAX_SAFE_INTEGER }),
      id: `config:${w.name.trim()}`,
      created_by: 'config',
      origin: 'config' as const,
    }));
  }

  get repository(): SilenceRepository {
    return this.#repo;
  }

  /** The card shows acknowledgement and silence (wired in pipeline/wire.ts). */
  onMarksChanged(hook: MarksHook): void {
    this.#marksHooks.push(hook);
  }

  /** A new owner of an issue, for the routed channels (wired in pipeline/wire.ts); `after` wakes their senders. */
  onAcknowledged(hook: AcknowledgedHook, after?: () => void): void {
    this.#ackHooks.push(hook);
    if (after) this.#afterAck.push(after);
  }

  /** Silence-end and reminder messages (wired in pipeline/wire.ts); `after` wakes the sender after the commit. */
  onStanding(hook: StandingHook, after?: () => void): void {
    this.#standingHooks.push(hook);
    if (after) this.#afterStanding = after;
  }

  // ---- what covers an issue ----

  /** Every silence and open window at `now`, with its matchers (read in the caller's transaction). */
  async coversIn(tx: SqlExecutor, now: number): Promise<CoverEntry[]> {
    if (!this.#cacheStillFresh()) {
      const localWrites = this.#repo.localWrites; // before the read: a change of ours during it makes the cache stale
      const version = await this.#repo.version(tx);
      if (this.#cache?.version === version) this.#cache = { ...this.#cache, checkedAt: performance.now(), localWrites };
      else this.#cache = { version, silences: await this.#repo.candidates(tx), windows: await this.#repo.windows(tx), checkedAt: performance.now(), localWrites };
    }
    const cache = this.#cache!;
    const covers: CoverEntry[] = [];
    for (const s of cache.silences) {
      if (s.starts_at > now || (s.ends_at !== null && s.ends_at <= now)) continue;
      covers.push({
        id: s.id,
        kind: s.kind,
        until: s.ends_at,
        by: s.created_by,
        comment: s.comment,
        matchers: s.matchers,
        ...(s.ends_at === null && s.until_resolved_issue_id ? { onlyIssueId: s.until_resolved_issue_id } : {}),
      });
    }
    for (const w of [...this.#configWindows, ...cache.windows]) {
      const open = openOccurrence(w.schedule, now);
      if (open) covers.push({ id: w.id, kind: 'window', until: open.end, by: w.created_by, comment: w.comment || w.name, matchers: w.matchers });
    }
    return covers;
  }

  /**
   * On a remote database (Turso) every read is a round trip, and the ingest path asks for covers in each group commit:
   * there the version is re-read at most once a second, so a silence made by another agent takes effect within a
   * second; one made by this process at once. A local file is asked every time (a read costs microseconds).
   */
  #cacheStillFresh(): boolean {
    const c = this.#cache;
    return this.#db.remote && c !== undefined && c.localWrites === this.#repo.localWrites && performance.now() - c.checkedAt < REMOTE_COVER_TTL_MS;
  }

  /** The silence or window covering one issue now (the notification and remediation stages ask this in their transaction). */
  async coverOf(tx: SqlExecutor, issue: Issue, now = this.#now()): Promise<SilenceCover | undefined> {
    if (!isActive(issue)) return undefined;
    return pickCover(await this.coversIn(tx, now), targetOfIssue(issue), issue.id);
  }

  /**
   * The tracker's firing marker: loads the covers once per ingest transaction (only when a firing comment is about
   * to be written) and answers each firing with the id of the silence that covers it.
   */
  readonly firingMarker = async (tx: SqlExecutor): Promise<(issue: Issue) => string | undefined> => {
    const covers = await this.coversIn(tx, this.#now());
    if (covers.length === 0) return () => undefined;
    return (issue) => pickCover(covers, targetOfIssue(issue), issue.id)?.id;
  };

  /** Acknowledgement and cover of each issue, for listings (one read of the covers for the whole list). */
  async marksOf(issues: readonly Issue[], read?: SilenceSnapshot): Promise<Map<string, IssueMarks>> {
    const now = this.#now();
    const localWrites = this.#repo.localWrites;
    const snap = read ?? (await this.#repo.snapshot(issues.map((i) => i.id))); // one exchange: issues-list stays ≤ 3 round trips
    this.#cache = { version: snap.version, silences: snap.silences, windows: snap.windows, checkedAt: performance.now(), localWrites };
    const covers = await this.coversIn(this.#db, now);
    const acks = snap.acks;
    const out = new Map<string, IssueMarks>();
    for (const issue of issues) {
      const ack = acks.get(issue.id);
      out.set(issue.id, {
        issue_id: issue.id,
        acknowledged_by: ack?.acknowledged_by ?? null,
        acknowledged_at: ack?.acknowledged_at ?? null,
        silenced: isActive(issue) ? (pickCover(covers, targetOfIssue(issue), issue.id) ?? null) : null,
      });
    }
    return out;
  }

  async #marksIn(tx: SqlExecutor, issue: Issue, covers: CoverEntry[]): Promise<IssueMarks> {
    const ack = await this.#repo.ackOf(issue.id, tx);
    return {
      issue_id: issue.id,
      acknowledged_by: ack?.acknowledged_by ?? null,
      acknowledged_at: ack?.acknowledged_at ?? null,
      silenced: isActive(issue) ? (pickCover(covers, targetOfIssue(issue), issue.id) ?? null) : null,
    };
  }

  async #publishMarks(tx: SqlExecutor, issues: readonly Issue[], now: number): Promise<void> {
    if (this.#marksHooks.length === 0 || issues.length === 0) return;
    const covers = await this.coversIn(tx, now);
    const changes = [];
    for (const issue of issues) changes.push({ issue, marks: await this.#marksIn(tx, issue, covers) });
    for (const hook of this.#marksHooks) await hook(tx, changes);
  }

  async #matchingActive(tx: SqlExecutor, matchers: readonly Matcher[]): Promise<Issue[]> {
    return (await this.#repo.activeIssues(tx)).filter((i) => matches(matchers, targetOfIssue(i)));
  }

  // ---- silences ----

  async createSilence(input: SilenceRequest, by: string): Promise<SilenceView> {
    const who = checkBy(by);
    const now = this.#now();
    const fields = validateSilence(input, now, { maxDurationDays: this.#settings.maxDurationDays });
    const silence: Silence = { id: newSilenceId(now), ...fields, created_by: who, created_at: now, expired_at: null, expired_by: null, end_noted_at: null };
    await this.#db.transaction(async (tx) => {
      if (silence.until_resolved_issue_id) {
        const issue = await this.#issues.getIn(tx, silence.until_resolved_issue_id);
        if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${silence.until_resolved_issue_id}"`);
        if (!isActive(issue)) throw new AppError('CONFLICT', `issue ${issue.id} is ${issue.status}: a silence until it resolves would end at once`);
      }
      await this.#repo.insert(tx, silence);
      if (silence.issue_id) {
        const what = silence.kind === 'snooze' ? 'Snoozed' : 'Silenced';
        const until = silence.ends_at === null ? 'until it resolves' : `until ${new Date(silence.ends_at).toISOString()}`;
        await this.#issues.addComment(tx, silence.issue_id, {
          author_type: 'human',
          author_name: who,
          comment_type: 'note',
          content: `${what} ${until} by ${who}${silence.comment ? ` (${silence.comment})` : ''}`,
          metadata: { silence_id: silence.id, kind: silence.kind },
        }, now);
      }
      if (silence.starts_at <= now) await this.#publishMarks(tx, await this.#matchingActive(tx, silence.matchers), now);
    });
    this.#log.info({ silenceId: silence.id, by: who, matchers: silence.matchers.map(formatMatcher), endsAt: silence.ends_at }, 'silence created');
    return this.#view(silence, now);
  }

  /** Ends a silence now. Expiring one that already ended is a CONFLICT and changes nothing. */
  async expireSilence(id: string, by: string): Promise<SilenceView> {
    const who = checkBy(by);
    const fullId = await this.resolveSilenceId(id);
    const now = this.#now();
    const silence = await this.#db.transaction(async (tx) => {
      const s = await this.#repo.get(fullId, tx);
      if (!s) throw new AppError('NOT_FOUND', `no silence with id "${id}"`);
      const issue = s.until_resolved_issue_id ? await this.#issues.getIn(tx, s.until_resolved_issue_id) : undefined;
      if (silenceState(s, now, issue ? isActive(issue) : false) === 'expired' || !(await this.#repo.expire(tx, s.id, who, now))) {
        throw new AppError('CONFLICT', `silence ${s.id} has already ended${s.expired_by ? ` (expired by ${s.expired_by})` : ''}`);
      }
      return { ...s, expired_at: now, expired_by: who };
    });
    this.#log.info({ silenceId: silence.id, by: who }, 'silence expired');
    // Announced at once where this process can queue the message; otherwise the daemon's next check does it.
    if (this.#standingHooks.length > 0) await this.#announceEnds(now).catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'silence end check failed'));
    return this.#view(silence, now);
  }

  async resolveSilenceId(idOrPrefix: string): Promise<string> {
    const id = idOrPrefix.trim();
    if (!/^[\w-]{1,100}$/.test(id)) throw new AppError('INPUT_INVALID', `"${id.slice(0, 40)}" is not a silence id`);
    if (await this.#repo.get(id)) return id;
    const found = await this.#repo.idsStartingWith(id);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new AppError('AMBIGUOUS_ID', `"${id}" matches several silences; give more of the id`);
    throw new AppError('NOT_FOUND', `no silence with id "${id}"`);
  }

  async getSilence(idOrPrefix: string): Promise<SilenceView> {
    const s = await this.#repo.get(await this.resolveSilenceId(idOrPrefix));
    if (!s) throw new AppError('NOT_FOUND', `no silence with id "${idOrPrefix}"`);
    return this.#view(s, this.#now());
  }

  async listSilences(options: { all?: boolean } = {}): Promise<SilenceView[]> {
    const now = this.#now();
    return (await this.#repo.list(now, options)).map((s) => {
      const { until_issue_status: status, ...silence } = s;
      return this.#viewWith(silence, now, status === 'open' || status === 'investigating');
    });
  }

  async #view(s: Silence, now: number): Promise<SilenceView> {
    const issue = s.until_resolved_issue_id ? await this.#issues.get(s.until_resolved_issue_id) : undefined;
    return this.#viewWith(s, now, issue ? isActive(issue) : false);
  }

  #viewWith(s: Silence, now: number, issueActive: boolean): SilenceView {
    return { ...s, state: silenceState(s, now, issueActive), matcher_text: s.matchers.map(formatMatcher) };
  }

  // ---- one issue: snooze, silence until resolved, acknowledge ----

  async #activeIssue(issueId: string): Promise<Issue> {
    const issue = await this.#issues.get(issueId);
    if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
    return issue;
  }

  /** Silences one issue's alert for a while (default 1 h). */
  async snooze(issueId: string, by: string, options: { duration?: string; comment?: string } = {}): Promise<SilenceView> {
    const issue = await this.#activeIssue(issueId);
    if (!isActive(issue)) throw new AppError('CONFLICT', `issue ${issue.id} is ${issue.status}: nothing to snooze`);
    parseDuration(options.duration ?? SNOOZE_DEFAULT);
    return this.createSilence(
      { matchers: matchersForIssue(targetOfIssue(issue)), duration: options.duration ?? SNOOZE_DEFAULT, kind: 'snooze', issueId: issue.id, comment: options.comment ?? 'snoozed' },
      by,
    );
  }

  /** Silences one issue's alert until that issue resolves (or is closed). */
  async silenceUntilResolved(issueId: string, by: string, comment?: string): Promise<SilenceView> {
    const issue = await this.#activeIssue(issueId);
    const already = (await this.#repo.list(this.#now())).find((s) => s.until_resolved_issue_id === issue.id);
    if (already) throw new AppError('CONFLICT', `issue ${issue.id} is already silenced until it resolves (${already.id}, by ${already.created_by})`);
    return this.createSilence({ matchers: matchersForIssue(targetOfIssue(issue)), untilResolvedIssueId: issue.id, comment: comment ?? 'until resolved' }, by);
  }

  /** Records who owns an issue (ends its reminders). Acknowledging again moves it to the new name. */
  async ack(issueId: string, by: string): Promise<IssueMarks> {
    const who = checkBy(by);
    const now = this.#now();
    const marks = await this.#tracker.mutate(async (tx) => {
      const issue = await this.#issues.getIn(tx, issueId);
      if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      if (!isActive(issue)) throw new AppError('CONFLICT', `issue ${issue.id} is ${issue.status}: only an open or investigating issue can be acknowledged`);
      const before = await this.#repo.ack(tx, issue.id, who, now);
      if (before?.acknowledged_by !== who) {
        await this.#issues.addComment(tx, issue.id, {
          author_type: 'human',
          author_name: who,
          comment_type: 'note',
          content: before ? `Acknowledged by ${who} (was ${before.acknowledged_by})` : `Acknowledged by ${who}`,
          metadata: { acknowledged_by: who },
        }, now);
        for (const hook of this.#ackHooks) await hook(tx, issue, who, now);
      }
      await this.#publishMarks(tx, [issue], now);
      return this.#marksIn(tx, issue, await this.coversIn(tx, now));
    });
    for (const wake of this.#afterAck) wake();
    return marks;
  }

  async unack(issueId: string, by: string): Promise<IssueMarks> {
    const who = checkBy(by);
    const now = this.#now();
    return this.#tracker.mutate(async (tx) => {
      const issue = await this.#issues.getIn(tx, issueId);
      if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      const before = await this.#repo.ackOf(issue.id, tx);
      if (!before) throw new AppError('CONFLICT', `issue ${issue.id} is not acknowledged`);
      await this.#repo.unack(tx, issue.id);
      await this.#issues.addComment(tx, issue.id, {
        author_type: 'human',
        author_name: who,
        comment_type: 'note',
        content: `Acknowledgement by ${before.acknowledged_by} withdrawn by ${who}`,
        metadata: { unacknowledged_by: who },
      }, now);
      await this.#publishMarks(tx, [issue], now);
      return this.#marksIn(tx, issue, await this.coversIn(tx, now));
    });
  }

  /** tracker.onChanges: an issue that resolves loses its acknowledgement (a reopened issue needs a new owner). */
  readonly onIssueChanges = async (tx: SqlExecutor, changes: { kind: string; issue: Issue }[]): Promise<void> => {
    for (const c of changes) {
      if ((c.kind === 'resolved' || c.kind === 'status_changed') && !isActive(c.issue)) await this.#repo.unack(tx, c.issue.id);
    }
  };

  // ---- maintenance windows ----

  async createWindow(input: WindowInput, by: string): Promise<WindowView> {
    const who = checkBy(by);
    const now = this.#now();
    const fields = validateWindow(input, { maxDurationDays: this.#settings.maxDurationDays });
    if (this.#configWindows.some((w) => w.name === fields.name) || (await this.#repo.windows()).some((w) => w.name === fields.name)) {
      throw new AppError('CONFLICT', `a maintenance window named "${fields.name}" already exists`);
    }
    const w: StoredWindow = { ...fields, id: newSilenceId(now, 'window'), created_by: who, origin: 'api', created_at: now, removed_at: null, removed_by: null };
    await this.#db.transaction((tx) => this.#repo.insertWindow(tx, w));
    this.#log.info({ windowId: w.id, by: who, schedule: describeSchedule(w.schedule) }, 'maintenance window created');
    return this.#windowView(w, now);
  }

  async removeWindow(id: string, by: string): Promise<WindowView> {
    const who = checkBy(by);
    if (id.startsWith('config:')) throw new AppError('CONFLICT', `window ${id} is in the config file: remove it there`);
    const w = await this.#repo.getWindow(id);
    if (!w) throw new AppError('NOT_FOUND', `no maintenance window with id "${id}"`);
    const now = this.#now();
    const removed = await this.#db.transaction((tx) => this.#repo.removeWindow(tx, id, who, now));
    if (!removed) throw new AppError('CONFLICT', `maintenance window ${id} was already removed`);
    return this.#windowView(w, now);
  }

  async listWindows(): Promise<WindowView[]> {
    const now = this.#now();
    return [...this.#configWindows, ...(await this.#repo.windows())].map((w) => this.#windowView(w, now));
  }

  #windowView(w: MaintenanceWindow, now: number): WindowView {
    const open = openOccurrence(w.schedule, now);
    return {
      id: w.id,
      name: w.name,
      origin: w.origin,
      matchers: w.matchers,
      matcher_text: w.matchers.map(formatMatcher),
      schedule: w.schedule,
      schedule_text: describeSchedule(w.schedule),
      created_by: w.created_by,
      comment: w.comment,
      open_now: open !== undefined,
      next_change_at: open ? open.end : (nextBoundary(w.schedule, now) ?? null),
    };
  }

  // ---- the background step: ends, window boundaries, reminders ----

  /** One pass: announce ended silences and windows (once each), record windows that opened, run a reminder round. */
  async tick(): Promise<void> {
    const now = this.#now();
    await this.#silencesStarted(now);
    let queued = await this.#announceEnds(now);
    queued = (await this.#windowBoundaries(now)) || queued;
    queued = (await this.#reminderRound(now)) || queued;
    if (queued) this.#afterStanding?.();
  }

  /** A silence made to start later shows on its issues' cards once it starts (idempotent: each daemon may do it). */
  async #silencesStarted(now: number): Promise<void> {
    const since = this.#lastTick ?? now;
    this.#lastTick = now;
    if (this.#marksHooks.length === 0) return;
    await this.coversIn(this.#db, now); // refreshes the cache when another process changed the silences
    const started = (this.#cache?.silences ?? []).filter((s) => s.starts_at > since && s.starts_at <= now);
    if (started.length === 0) return;
    await this.#db.transaction(async (tx) => {
      const issues = new Map<string, Issue>();
      for (const s of started) for (const i of await this.#matchingActive(tx, s.matchers)) issues.set(i.id, i);
      await this.#publishMarks(tx, [...issues.values()], now);
    });
  }

  async #announceEnds(now: number): Promise<boolean> {
    let queued = false;
    for (const s of await this.#repo.endedUnnoted(now)) queued = (await this.#silenceEnded(s, now)) || queued;
    if (queued) this.#afterStanding?.();
    return queued;
  }

  async #silenceEnded(s: Silence, now: number): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      if (!(await this.#repo.claimEnd(tx, s.id, now))) return false;
      const covers = await this.coversIn(tx, now);
      const covered = (await this.#matchingActive(tx, s.matchers)).filter((i) => s.ends_at !== null || i.id === s.until_resolved_issue_id);
      const still = covered.filter((i) => !pickCover(covers, targetOfIssue(i), i.id));
      await this.#publishMarks(tx, still, now);
      const ended = silenceEnd(s) ?? now;
      this.#log.info({ silenceId: s.id, activeIssues: still.length }, 'silence ended');
      if (still.length === 0) return false;
      const why = s.expired_by ? `expired by ${s.expired_by}` : s.ends_at === null ? 'its issue resolved' : 'it ran out';
      return this.#report(tx, {
        reason: 'silence_ended',
        key: `silence-ended:${s.id}`,
        title: `🔔 Silence ${s.id} ended (${why}): ${still.length} issue${still.length === 1 ? '' : 's'} still active`,
        issues: await this.#withAcks(tx, still),
        at: ended,
      });
    });
  }

  async #windowBoundaries(now: number): Promise<boolean> {
    const windows = [...this.#configWindows, ...(await this.#repo.windows())];
    const known = new Set(windows.map((w) => w.id));
    let queued = false;
    for (const w of windows) {
      const open = openOccurrence(w.schedule, now);
      if (open) {
        await this.#db.transaction(async (tx) => {
          if (await this.#repo.markWindowOpen(tx, w.id, open.end, now)) {
            this.#log.info({ windowId: w.id, until: open.end }, 'maintenance window opened');
            await this.#publishMarks(tx, await this.#matchingActive(tx, w.matchers), now);
          }
        });
        continue;
      }
      queued = (await this.#windowClosed(w.id, w.name, w.matchers, now)) || queued;
    }
    // A window removed (or taken out of the config) while open ends too.
    for (const id of await this.#repo.openWindowIds()) {
      if (known.has(id)) continue;
      const removed = id.startsWith('window-') ? await this.#repo.getWindow(id) : undefined;
      queued = (await this.#windowClosed(id, removed?.name ?? id, removed?.matchers ?? [], now)) || queued;
    }
    return queued;
  }

  async #windowClosed(id: string, name: string, matchers: readonly Matcher[], now: number): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const state = await this.#repo.windowState(tx, id);
      if (!state?.active || !(await this.#repo.claimWindowClosed(tx, id, now))) return false;
      const covers = await this.coversIn(tx, now);
      const still = matchers.length === 0 ? [] : (await this.#matchingActive(tx, matchers)).filter((i) => !pickCover(covers, targetOfIssue(i), i.id));
      await this.#publishMarks(tx, still, now);
      this.#log.info({ windowId: id, activeIssues: still.length }, 'maintenance window ended');
      if (still.length === 0) return false;
      return this.#report(tx, {
        reason: 'window_ended',
        key: `window-ended:${id}:${state.occurrence_end ?? now}`,
        title: `🔔 Maintenance window "${name}" ended: ${still.length} issue${still.length === 1 ? '' : 's'} still active`,
        issues: await this.#withAcks(tx, still),
        at: Math.min(state.occurrence_end ?? now, now),
      });
    });
  }

  async #reminderRound(now: number): Promise<boolean> {
    const interval = this.#settings.reminderIntervalMs;
    if (interval <= 0) return false;
    const roundStart = Math.floor(now / interval) * interval;
    return this.#db.transaction(async (tx) => {
      if (!(await this.#repo.claimReminderRound(tx, roundStart, now))) return false;
      const covers = await this.coversIn(tx, now);
      const due = (await this.#repo.unacknowledgedCritical(tx, now - interval)).filter((i) => !pickCover(covers, targetOfIssue(i), i.id));
      await this.#repo.setReminderCount(tx, roundStart, due.length);
      if (due.length === 0) return false;
      this.#log.info({ issues: due.length }, 'reminder round');
      return this.#report(tx, {
        reason: 'reminder',
        key: `reminder:${roundStart}`,
        title: `⏰ Reminder: ${due.length} critical issue${due.length === 1 ? '' : 's'} open and not acknowledged`,
        issues: due.map((issue) => ({ issue, acknowledged_by: null })),
        at: now,
      });
    });
  }

  async #withAcks(tx: SqlExecutor, issues: Issue[]): Promise<{ issue: Issue; acknowledged_by: string | null }[]> {
    const out = [];
    for (const issue of issues) out.push({ issue, acknowledged_by: (await this.#repo.ackOf(issue.id, tx))?.acknowledged_by ?? null });
    return out;
  }

  async #report(tx: SqlExecutor, report: StandingReport): Promise<boolean> {
    for (const hook of this.#standingHooks) await hook(tx, report);
    return this.#standingHooks.length > 0;
  }

  /** The daemon's background step (every silences.checkIntervalSeconds). */
  service(): BackgroundService {
    return every('silences', this.#settings.checkIntervalMs, () => this.tick(), (err) => this.#log.warn({ err: errorMessage(err) }, 'silence check failed'));
  }
}
