import { AppError } from '../errors.js';
import { ActivationBook } from './activations.js';
import { ActivationRepository } from '../store/activation-repository.js';
import { isStaleWrite, type Database, type SqlExecutor } from '../store/database.js';
import type { IssueRepository } from '../store/issue-repository.js';
import { refusesEveryWrite } from '../store/sqlite-errors.js';
import { generateFingerprint, newIssueId } from './fingerprint.js';
import {
  DEFAULT_POLICY,
  decideStep,
  escalationComment,
  firedAgainComment,
  firstDetectedComment,
  severityOf,
  statusChangeComment,
  trackTransition,
  type IssuePolicy,
} from './lifecycle.js';
import type { AlertEvent } from '../model/alert.js';
import type { Issue, IngestResult, IssueChange, IssueMetadata, IssueStatus, NewComment } from '../model/issue.js';

/**
 * Runs inside the transaction that made the changes, so follow-up work (analysis, outbox) commits with them. It may
 * return a callback to run once that work is committed; the callback is dropped when the transaction rolls back.
 * Read the issue from the change, not from its row: repeat firings of a group commit reach the row just before it.
 */
export type ChangeHook = (tx: SqlExecutor, changes: IssueChange[]) => Promise<void | AfterCommit>;
export type AfterCommit = () => void;
/** Runs after the commit; used to wake workers without polling. Must not throw. */
export type CommitListener = (changes: IssueChange[]) => void;

/** Loads what tells each firing's issue the silence covering it (undefined: none): in the transaction, or before it. */
export type FiringMarker = (tx: SqlExecutor) => Promise<(issue: Issue) => string | undefined>;

/** Extra writes that must commit atomically with a batch of events (e.g. a poller's cursor). */
export type IngestStep = (tx: SqlExecutor) => Promise<void>;

interface Pending {
  events: AlertEvent[];
  step: IngestStep | undefined;
  resolve: (results: IngestResult[]) => void;
  reject: (err: unknown) => void;
}

/** Another process created the active issue this group was about to create (the database's one-active-issue rule). */
function isActiveIssueConflict(error: unknown): boolean {
  return error instanceof Error && /UNIQUE/i.test(error.message) && /issues\.(server_id|alert_fingerprint)|issues_one_active_per_alert/.test(error.message);
}

/**
 * Group commits on their way to a remote database at once. Each is one batch; the next is planned while the others
 * travel, from what this process expects them to leave (its cache). Every write is guarded, so a batch applied in
 * another order, or after a batch that failed, fails its guards and is decided again, awaiting the database's
 * answers: counts stay exact. Over a 50 ms round trip one group at a time caps ingest at about 1,000 requests/s
 * however many wait; a few in flight keep sqld busy.
 */
const MAX_REMOTE_GROUPS_IN_FLIGHT = 8;
const REMOTE_GATHER_MS = 1;

/** Most events one group commit takes, so one transaction stays short under a storm. */
const MAX_GROUP_EVENTS = 5_000;

/**
 * The issue lifecycle of DESIGN §3 on top of the store. Ingest is batched: callers that arrive while a commit is
 * running are committed together in the next transaction (group commit), each in its own savepoint so one failing
 * batch does not take the others down, and in arrival order so the events of one issue are never reordered.
 */
export class IssueTracker {
  readonly #db: Database;
  readonly #repo: IssueRepository;
  readonly #policy: IssuePolicy;
  readonly #now: () => number;
  readonly #hooks: ChangeHook[] = [];
  readonly #listeners: CommitListener[] = [];
  /**
   * Active issues by server + fingerprint, as this process last wrote them. A firing for one of them skips the lookup:
   * the write itself is conditional on the issue still being active, so an entry made stale by another process (or a
   * rolled-back transaction) only costs a fall-back to the full path.
   */
  readonly #active = new Map<string, { issue: Issue; epoch: number }>();
  /**
   * The database's external-write marker when this process last held the write lock, and an epoch that moves with
   * it. An entry written in the current epoch is exact (no other process has written since), so its firing needs no
   * read-back; an older entry is read back once.
   */
  #lastMarker: number | undefined;
  #epoch = 0;
  /**
   * Within one group commit, further firings of an issue already counted in it are added up here and written with
   * one UPDATE before anything reads the issue again and before the commit: a storm repeats the same few alerts, and
   * one row write per firing was a third of the cost. Only issues whose first firing in this transaction passed the
   * conditional UPDATE are deferred, and nothing else can write while the transaction holds the lock.
   */
  readonly #deferred = new Map<string, { firings: number; lastSeen: number }>();
  readonly #fingerprints = new Map<string, string>();
  /**
   * A remote database, first attempt of a group: every write is queued (the group commit is one exchange) and guarded
   * by what this process knows — the cache, and `#view`, read in one exchange before the transaction. A guard that
   * fails (another process changed the row) rolls the whole group back and it runs again with `#pipelined` off:
   * answers awaited inside the transaction, the database deciding at each step.
   */
  #pipelined = false;
  /** Active and latest resolved issue per server + fingerprint for the keys the cache does not hold (pipelined only). */
  #view: Map<string, { active: Issue | undefined; resolved: Issue | undefined }> | undefined;
  /** Pipelined: idempotency keys this transaction claimed, and those not yet queued. */
  readonly #claimedKeys = new Set<string>();
  #queuedKeys: { source: string; eventKey: string; issueId: string | null }[] = [];
  #marker: FiringMarker | undefined;
  /** The marker's answer for the current transaction (reset at each BEGIN; read before it on a remote database). */
  #marks: ((issue: Issue) => string | undefined) | undefined;
  /** API v2 alerts: which post is a re-send and which a new activation (activations.ts). */
  readonly #activations: ActivationBook;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Group commits sent and not yet answered (one at a time on a local file; a few on a remote database). */
  readonly #inFlight = new Set<Promise<void>>();
  /** Groups waiting to be sent again alone after a guard failed: no new group starts meanwhile. */
  #retrying = 0;

  constructor(repo: IssueRepository, options: { policy?: IssuePolicy; now?: () => number } = {}) {
    this.#repo = repo;
    this.#db = repo.db;
    this.#policy = options.policy ?? DEFAULT_POLICY;
    this.#now = options.now ?? Date.now;
    this.#activations = new ActivationBook(new ActivationRepository(), () => this.#epoch);
  }

  /** The activations of API v2 alerts (the sweeper reads the due ones; issues-show the ones of an issue). */
  get activations(): ActivationRepository {
    return this.#activations.repository;
  }

  get repository(): IssueRepository {
    return this.#repo;
  }

  /** Marks each firing comment with the silence that covered it (wired in pipeline/wire.ts). */
  markFirings(marker: FiringMarker): void {
    this.#marker = marker;
  }

  /**
   * A firing comment, with `silenced_by` when a silence or window covers the issue. The marker's covers are read
   * once per transaction, and only when a firing is commented (a storm past the comment limit reads nothing); on a
   * remote database before the transaction, so its writes stay one exchange.
   */
  async #addFiringComment(tx: SqlExecutor, issue: Issue, comment: NewComment, now: number): Promise<void> {
    if (this.#marker) {
      this.#marks ??= await this.#marker(tx);
      const silence = this.#marks(issue);
      if (silence) comment = { ...comment, metadata: { ...comment.metadata, silenced_by: silence } };
    }
    this.#repo.queueComment(tx, issue.id, comment, now);
  }

  onChanges(hook: ChangeHook): void {
    this.#hooks.push(hook);
  }

  afterCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Applies a batch of events all-or-nothing; resolves once they are committed. Validate events before calling.
   * `options.inTransaction` runs after the events in the same transaction (and savepoint), so e.g. a source cursor
   * commits exactly with the events it covers; with it, an empty batch still commits.
   */
  ingest(events: AlertEvent[], options: { inTransaction?: IngestStep } = {}): Promise<IngestResult[]> {
    if (events.length === 0 && !options.inTransaction) return Promise.resolve([]);
    return new Promise<IngestResult[]>((resolve, reject) => {
      this.#queue.push({ events, step: options.inTransaction, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flushSoon();
    });
  }

  /** Waits for every queued ingest to be committed (used at shutdown). */
  async drain(): Promise<void> {
    while (this.#flushing || this.#inFlight.size > 0) await (this.#flushing ?? Promise.all(this.#inFlight));
  }

  /**
   * better-sqlite3 runs a whole transaction without yielding to I/O, so requests that arrived meanwhile are parsed
   * only after it. Starting the flush from setImmediate lets everything already received join the next group commit.
   */
  async #flushSoon(): Promise<void> {
    // A remote commit costs a network round trip: a millisecond more to gather callers makes groups fuller.
    if (this.#db.remote) await new Promise<void>((resolve) => setTimeout(resolve, REMOTE_GATHER_MS));
    else await new Promise<void>((resolve) => setImmediate(resolve));
    await this.#flush();
  }

  /**
   * Drains the queue. `#flushing` is cleared in the same synchronous step that finds the queue empty, so an ingest
   * arriving at any moment either sees a running flush that will take it, or starts a new one.
   */
  async #flush(): Promise<void> {
    const maxInFlight = this.#db.remote ? MAX_REMOTE_GROUPS_IN_FLIGHT : 1;
    try {
      for (;;) {
        while (this.#inFlight.size >= maxInFlight || this.#retrying > 0) await Promise.race(this.#inFlight);
        if (this.#queue.length === 0) break;
        const group: Pending[] = [];
        let size = 0;
        while (this.#queue.length > 0 && (group.length === 0 || size + this.#queue[0]!.events.length <= MAX_GROUP_EVENTS)) {
          const next = this.#queue.shift()!;
          group.push(next);
          size += next.events.length;
        }
        const commit: Promise<void> = this.#commitGroup(group).finally(() => this.#inFlight.delete(commit));
        this.#inFlight.add(commit);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /**
   * Commits a group in one transaction. Optimistically without savepoints (two statements less per caller); when any
   * caller fails, the transaction is rolled back and the group is run again with each caller in its own savepoint, so
   * only the failing caller is refused.
   */
  async #commitGroup(group: Pending[], isolated = false, attempt: 'pipelined' | 'pipelined-again' | 'awaiting-answers' = 'pipelined'): Promise<void> {
    type Outcome = { ok: true; results: IngestResult[]; changes: IssueChange[]; after: AfterCommit[] } | { ok: false; error: unknown };
    const outcomes: Outcome[] = [];
    let callerFailed = false;
    const pipelined = this.#db.remote && attempt !== 'awaiting-answers';
    try {
      const looked = pipelined ? await this.#lookUp(group) : undefined;
      const marks = pipelined && this.#marker ? await this.#marker(this.#db) : undefined;
      await this.#db.transaction(async (tx) => {
        outcomes.length = 0;
        this.#deferred.clear();
        this.#activations.begin();
        this.#marks = marks;
        this.#pipelined = pipelined;
        this.#view = looked ? new Map(looked) : undefined;
        this.#claimedKeys.clear();
        this.#queuedKeys = [];
        await this.#checkCache(tx);
        for (const [i, pending] of group.entries()) {
          if (isolated) await tx.run(`SAVEPOINT ingest_${i}`);
          try {
            const changes: IssueChange[] = [];
            const results: IngestResult[] = [];
            for (const event of pending.events) results.push(await this.#apply(tx, event, changes));
            const after = await this.#runHooks(tx, changes);
            if (pending.step) await pending.step(tx);
            if (isolated) {
              this.#writeDeferred(tx);
              await this.#activations.flush(tx);
              await tx.run(`RELEASE ingest_${i}`);
            }
            outcomes.push({ ok: true, results, changes, after });
          } catch (error) {
            callerFailed = true;
            // A remote guard refused a queued write: the plan was stale, not the caller wrong; plan the group again.
            if (!isolated || (this.#pipelined && (isStaleWrite(error) || isActiveIssueConflict(error)))) throw error;
            this.#deferred.clear(); // this caller's own counts, rolled back with it (earlier callers' were written)
            for (const k of this.#queuedKeys.splice(0)) this.#claimedKeys.delete(`${k.source}\u0000${k.eventKey}`);
            this.#activations.reset();
            try {
              await tx.run(`ROLLBACK TO ingest_${i}`);
              await tx.run(`RELEASE ingest_${i}`);
            } catch {
              // SQLite already rolled the whole transaction back (SQLITE_FULL, IOERR): fail the group with the real cause.
              throw error;
            }
            this.#active.clear();
            this.#pipelined = false; // #view may hold the rolled-back caller's rows: the callers after it ask the database
            outcomes.push({ ok: false, error });
          }
        }
        this.#writeDeferred(tx);
        await this.#activations.flush(tx);
      });
    } catch (error) {
      // Not #deferred: another group may be planning now (each transaction starts with it empty).
      this.#active.clear();
      this.#activations.forgetCached(); // what it cached may have been rolled back
      // A guard refused a queued write (another process changed a row this group assumed): decide again, awaiting answers.
      if (pipelined && (isStaleWrite(error) || isActiveIssueConflict(error))) {
        if (attempt === 'pipelined-again') return this.#commitGroup(group, isolated, 'awaiting-answers');
        // Usually a batch of this process applied out of order: once the others in flight are answered, a fresh
        // read and one more batch settle it; only then answers are awaited statement by statement.
        this.#retrying++;
        try {
          while (this.#inFlight.size > this.#retrying) await Promise.race(this.#inFlight);
          return await this.#commitGroup(group, isolated, 'pipelined-again');
        } finally {
          this.#retrying--;
        }
      }
      // A database that refuses every write (disk full, locked, read-only) would refuse the retry too.
      if (!isolated && callerFailed && group.length > 1 && !refusesEveryWrite(error)) return this.#commitGroup(group, true);
      for (const pending of group) pending.reject(error);
      return;
    }
    const committed: IssueChange[] = [];
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return pending.reject(outcome.error);
      committed.push(...outcome.changes);
      this.#runAfterCommit(outcome.after);
      pending.resolve(outcome.results);
    });
    if (committed.length > 0) this.#notify(committed);
  }

  /** One exchange: what the database holds for the keys of the group the cache does not know. */
  async #lookUp(group: Pending[]): Promise<Map<string, { active: Issue | undefined; resolved: Issue | undefined }>> {
    const keys = new Map<string, { serverId: string; fingerprint: string }>();
    for (const pending of group) {
      for (const event of pending.events) {
        const fingerprint = this.#fingerprint(event);
        const key = `${event.server_id}\u0000${fingerprint}`;
        if (!this.#active.has(key) && !keys.has(key)) keys.set(key, { serverId: event.server_id, fingerprint });
      }
    }
    const view = new Map<string, { active: Issue | undefined; resolved: Issue | undefined }>();
    if (keys.size === 0) return view;
    const found = await this.#repo.lookupMany([...keys.values()]);
    [...keys.keys()].forEach((key, i) => {
      const seen = found[i]!;
      view.set(key, seen);
      // A group planned meanwhile may have cached a newer state of it: keep that one.
      if (seen.active && !this.#active.has(key)) this.#active.set(key, { issue: seen.active, epoch: this.#epoch });
    });
    return view;
  }

  async #runHooks(tx: SqlExecutor, changes: IssueChange[]): Promise<AfterCommit[]> {
    const after: AfterCommit[] = [];
    if (changes.length === 0) return after;
    for (const hook of this.#hooks) {
      const callback = await hook(tx, changes);
      if (callback) after.push(callback);
    }
    return after;
  }

  #runAfterCommit(callbacks: AfterCommit[]): void {
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // Only wakes or informs listeners: the data is committed, and ingest must not fail after the fact.
      }
    }
  }

  #notify(changes: IssueChange[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(changes);
      } catch {
        // A listener only wakes a worker; its failure must not stall ingest (the worker also polls).
      }
    }
  }

  /** An API v2 alert first asks its activation whether it counts; everything else goes straight to the lifecycle. */
  async #apply(tx: SqlExecutor, event: AlertEvent, changes: IssueChange[]): Promise<IngestResult> {
    if (!event.activation) return this.#applyEvent(tx, event, changes);
    const { fingerprint } = event.activation;
    const verdict = await this.#activations.decide(tx, event, this.#fingerprint(event), this.#now());
    if (!verdict.apply) {
      if (verdict.issueId && event.status !== 'CLEAR' && event.annotations && this.#activations.annotationsChanged(fingerprint, event.annotations)) {
        this.#repo.queueAnnotations(tx, verdict.issueId, event.annotations);
        this.#active.delete(`${event.server_id}\u0000${this.#fingerprint(event)}`); // its cached issue holds the old ones
      }
      return { outcome: 'duplicate', issue_id: verdict.issueId, status: null, alert_count: null };
    }
    if (event.annotations) this.#activations.annotationsChanged(fingerprint, event.annotations);
    const result = await this.#applyEvent(tx, verdict.event, changes);
    this.#activations.attach(fingerprint, result.issue_id);
    return result;
  }

  async #applyEvent(tx: SqlExecutor, event: AlertEvent, changes: IssueChange[]): Promise<IngestResult> {
    const now = this.#now();
    const inputs = { name: event.name, context: event.context, chart: event.chart };
    const fingerprint = this.#fingerprint(event);
    const cacheKey = `${event.server_id}\u0000${fingerprint}`;
    const entry = event.status === 'CLEAR' ? undefined : this.#active.get(cacheKey);
    const cached = entry?.issue;
    let keyClaimed = false;
    // A plain repeat firing of an issue this process knows to be active: no lookup, one conditional write. An
    // escalation takes the full path, which reads the severity from the database.
    if (cached && this.#pipelined && !(event.status === 'CRITICAL' && cached.severity === 'warning')) {
      // Remote: nothing awaited. A duplicate key, or an issue changed by another process, fails the guard.
      if (!this.#claimQueued(event, cached.id)) return { outcome: 'duplicate', issue_id: null, status: null, alert_count: null };
      const metadata = withAnnotations(cached.metadata, event);
      if (metadata !== cached.metadata) this.#repo.queueAnnotations(tx, cached.id, metadata.annotations!);
      const updated: Issue = { ...cached, ...this.#countQueued(tx, cached, event.occurred_at), metadata };
      const comment = firedAgainComment(event, updated.alert_count, this.#policy);
      if (comment) await this.#addFiringComment(tx, updated, comment, now);
      this.#active.set(cacheKey, { issue: updated, epoch: this.#epoch });
      changes.push({ kind: 'fired', issue: updated, event });
      return { outcome: 'fired', issue_id: updated.id, status: updated.status, alert_count: updated.alert_count };
    }
    if (cached && !this.#pipelined && !(event.status === 'CRITICAL' && cached.severity === 'warning')) {
      if (event.event_key !== undefined && !(await this.#repo.claimIngestKey(tx, event.source, event.event_key, cached.id, now))) {
        return { outcome: 'duplicate', issue_id: null, status: null, alert_count: null };
      }
      keyClaimed = event.event_key !== undefined;
      const fresh = await this.#countFiring(tx, cached, entry!.epoch === this.#epoch, event.occurred_at);
      if (fresh) {
        const metadata = withAnnotations(cached.metadata, event);
        if (metadata !== cached.metadata) this.#repo.queueAnnotations(tx, cached.id, metadata.annotations!);
        const updated: Issue = { ...cached, ...fresh, metadata };
        const comment = firedAgainComment(event, updated.alert_count, this.#policy);
        if (comment) await this.#addFiringComment(tx, updated, comment, now);
        this.#active.set(cacheKey, { issue: updated, epoch: this.#epoch });
        changes.push({ kind: 'fired', issue: updated, event });
        return { outcome: 'fired', issue_id: updated.id, status: updated.status, alert_count: updated.alert_count };
      }
      this.#active.delete(cacheKey); // resolved or closed elsewhere: decide from the database
    }
    this.#writeDeferred(tx); // the full path reads issues: they must hold every firing counted so far
    const known = this.#known(cacheKey);
    const active = known ? known.active : await this.#repo.findActive(tx, event.server_id, fingerprint);
    const lastResolved = active || event.status === 'CLEAR' ? undefined : known ? known.resolved : await this.#repo.findLatestResolved(tx, event.server_id, fingerprint);
    const step = decideStep(event, active, lastResolved, this.#policy);
    // What the decision was made from, when it was read before the transaction: each write checks it still holds.
    const expect = (issue: Issue) => (known ? { status: issue.status, alert_count: issue.alert_count } : undefined);
    // Only reads so far: the idempotency key is claimed now, with the issue it goes to, before any write.
    const issueId = step.kind === 'create' ? newIssueId(now) : step.kind === 'ignore' ? (active?.id ?? null) : step.issue.id;
    if (keyClaimed) {
      await this.#repo.setIngestKeyIssue(tx, event.source, event.event_key!, issueId);
    } else if (known) {
      if (!this.#claimQueued(event, issueId)) return { outcome: 'duplicate', issue_id: null, status: null, alert_count: null };
    } else if (event.event_key !== undefined && !(await this.#repo.claimIngestKey(tx, event.source, event.event_key, issueId, now))) {
      return { outcome: 'duplicate', issue_id: null, status: null, alert_count: null };
    }
    let change: IssueChange | undefined;

    switch (step.kind) {
      case 'ignore':
        return { outcome: 'ignored', issue_id: active?.id ?? null, status: active?.status ?? null, alert_count: active?.alert_count ?? null };
      case 'create': {
        const issue: Issue = {
          id: issueId!,
          server_id: event.server_id,
          alert_fingerprint: fingerprint,
          title: event.name,
          description: event.info ?? null,
          severity: severityOf(event),
          status: 'open',
          source: event.source,
          source_alert_id: event.source_alert_id ?? null,
          first_seen_at: event.occurred_at,
          last_seen_at: event.occurred_at,
          resolved_at: null,
          alert_count: 1,
          metadata: {
            fingerprint_inputs: inputs,
            ...(event.units ? { units: event.units } : {}),
            ...(event.labels ? { labels: event.labels } : {}),
            ...(event.annotations ? { annotations: event.annotations } : {}),
          },
        };
        this.#repo.queueInsert(tx, issue); // guarded by the index issues_one_active_per_alert
        await this.#addFiringComment(tx, issue, firstDetectedComment(event), now);
        change = { kind: 'created', issue, event };
        break;
      }
      case 'fire': {
        const issue = step.issue;
        const count = issue.alert_count + 1;
        const severity = step.escalate ? 'critical' : issue.severity;
        this.#repo.queueUpdate(tx, issue.id, { alert_count: count, last_seen_at: Math.max(issue.last_seen_at, event.occurred_at), severity }, expect(issue));
        const metadata = withAnnotations(issue.metadata, event);
        if (metadata !== issue.metadata) this.#repo.queueAnnotations(tx, issue.id, metadata.annotations!);
        const comment = firedAgainComment(event, count, this.#policy);
        if (comment) await this.#addFiringComment(tx, { ...issue, severity }, comment, now);
        if (step.escalate) this.#repo.queueComment(tx, issue.id, escalationComment(event), now);
        const updated = { ...issue, alert_count: count, severity, metadata, last_seen_at: Math.max(issue.last_seen_at, event.occurred_at) };
        change = step.escalate
          ? { kind: 'escalated', issue: updated, event, previousSeverity: issue.severity }
          : { kind: 'fired', issue: updated, event };
        break;
      }
      case 'reopen': {
        const issue = step.issue;
        const count = issue.alert_count + 1;
        const severity = step.escalate ? 'critical' : issue.severity;
        const flap = trackTransition(issue.metadata, event.occurred_at, this.#policy);
        const minutesSince = Math.max(0, Math.round((event.occurred_at - (issue.resolved_at ?? event.occurred_at)) / 60_000));
        const metadata = withAnnotations({ ...flap.metadata, reopen_count: (issue.metadata.reopen_count ?? 0) + 1 }, event);
        this.#repo.queueUpdate(
          tx,
          issue.id,
          { status: 'open', resolved_at: null, alert_count: count, severity, last_seen_at: Math.max(issue.last_seen_at, event.occurred_at), metadata },
          expect(issue),
        );
        this.#repo.queueComment(
          tx,
          issue.id,
          statusChangeComment('open', `Alert fired again ${minutesSince} min after it was resolved (reopened)`, {
            previous_status: 'resolved',
            reopened: true,
            flapping: metadata.flapping === true,
          }),
          now,
        );
        const comment = firedAgainComment(event, count, this.#policy);
        if (comment) await this.#addFiringComment(tx, { ...issue, status: 'open', severity }, comment, now);
        const updated: Issue = { ...issue, status: 'open', resolved_at: null, alert_count: count, severity, metadata, last_seen_at: Math.max(issue.last_seen_at, event.occurred_at) };
        change = { kind: 'reopened', issue: updated, event, previousStatus: 'resolved', previousSeverity: issue.severity, flappingStarted: flap.started };
        break;
      }
      case 'late': {
        // A firing that happened before the issue resolved: counted (never lose an event), but it does not reopen.
        const issue = step.issue;
        const count = issue.alert_count + 1;
        this.#repo.queueUpdate(tx, issue.id, { alert_count: count }, expect(issue));
        const comment = firedAgainComment(event, count, this.#policy);
        if (comment) await this.#addFiringComment(tx, issue, { ...comment, metadata: { ...comment.metadata, late: true } }, now);
        change = { kind: 'late', issue: { ...issue, alert_count: count }, event };
        break;
      }
      case 'resolve': {
        const issue = step.issue;
        const flap = trackTransition(issue.metadata, event.occurred_at, this.#policy);
        this.#repo.queueUpdate(tx, issue.id, { status: 'resolved', resolved_at: event.occurred_at, metadata: flap.metadata }, expect(issue));
        const comment = event.activation?.expired
          ? statusChangeComment('resolved', `Alert not re-sent before its endsAt (${new Date(event.occurred_at).toISOString()}): expired`, { previous_status: issue.status, cause: 'alert_expired' })
          : statusChangeComment('resolved', 'Alert condition cleared', { previous_status: issue.status, cause: 'alert_cleared' });
        this.#repo.queueComment(tx, issue.id, comment, now);
        const updated: Issue = { ...issue, status: 'resolved', resolved_at: event.occurred_at, metadata: flap.metadata };
        change = { kind: 'resolved', issue: updated, event, previousStatus: issue.status, flappingStarted: flap.started };
        break;
      }
    }
    changes.push(change);
    this.#remember(change.issue);
    if (this.#view) {
      const isActive = change.issue.status === 'open' || change.issue.status === 'investigating';
      this.#view.set(cacheKey, { active: isActive ? change.issue : undefined, resolved: change.issue.status === 'resolved' ? change.issue : known?.resolved });
    }
    return { outcome: change.kind, issue_id: change.issue.id, status: change.issue.status, alert_count: change.issue.alert_count };
  }

  /**
   * Counts one more firing of an issue this process believes active; undefined when it is no longer active. `exact`:
   * the cached count is current (no other process wrote since), so the new values need no read-back.
   */
  async #countFiring(tx: SqlExecutor, cached: Issue, exact: boolean, occurredAt: number): Promise<Pick<Issue, 'alert_count' | 'last_seen_at'> | undefined> {
    const deferred = this.#deferred.get(cached.id);
    if (deferred) {
      // Counted earlier in this transaction, so the cached values are current: add to the pending write.
      deferred.firings++;
      deferred.lastSeen = Math.max(deferred.lastSeen, occurredAt);
    } else {
      if (!(await this.#repo.countFiringIfActive(tx, cached.id, occurredAt))) return undefined;
      if (!exact) {
        const fresh = await this.#repo.firingState(tx, cached.id);
        if (fresh) this.#deferred.set(cached.id, { firings: 0, lastSeen: fresh.last_seen_at });
        return fresh;
      }
      this.#deferred.set(cached.id, { firings: 0, lastSeen: Math.max(cached.last_seen_at, occurredAt) });
    }
    return { alert_count: cached.alert_count + 1, last_seen_at: Math.max(cached.last_seen_at, occurredAt) };
  }

  #writeDeferred(tx: SqlExecutor): void {
    for (const [issueId, d] of this.#deferred) {
      if (d.firings > 0) this.#repo.addFirings(tx, issueId, d.firings, d.lastSeen);
    }
    this.#deferred.clear();
    if (this.#queuedKeys.length > 0) this.#repo.queueIngestKeys(tx, this.#queuedKeys.splice(0), this.#now());
  }

  /**
   * Pipelined: claims an event's idempotency key without a statement of its own (written with the others by
   * #writeDeferred); false when this transaction already took it. A key claimed before fails the guard.
   */
  #claimQueued(event: AlertEvent, issueId: string | null): boolean {
    if (event.event_key === undefined) return true;
    const key = `${event.source}\u0000${event.event_key}`;
    if (this.#claimedKeys.has(key)) return false;
    this.#claimedKeys.add(key);
    this.#queuedKeys.push({ source: event.source, eventKey: event.event_key, issueId });
    return true;
  }

  /** Pipelined: one more firing of a cached active issue, guarded by its count (the first in this transaction). */
  #countQueued(tx: SqlExecutor, cached: Issue, occurredAt: number): Pick<Issue, 'alert_count' | 'last_seen_at'> {
    const deferred = this.#deferred.get(cached.id);
    if (deferred) {
      deferred.firings++;
      deferred.lastSeen = Math.max(deferred.lastSeen, occurredAt);
    } else {
      this.#repo.queueFiringIfUnchanged(tx, cached.id, cached.alert_count, occurredAt);
      this.#deferred.set(cached.id, { firings: 0, lastSeen: Math.max(cached.last_seen_at, occurredAt) });
    }
    return { alert_count: cached.alert_count + 1, last_seen_at: Math.max(cached.last_seen_at, occurredAt) };
  }

  /**
   * Pipelined: what this process knows of a key without asking (the cache, else the view read before the transaction);
   * undefined when it must be read in the transaction.
   */
  #known(cacheKey: string): { active: Issue | undefined; resolved: Issue | undefined } | undefined {
    if (!this.#pipelined || !this.#view) return undefined;
    const cached = this.#active.get(cacheKey)?.issue;
    const seen = this.#view.get(cacheKey);
    if (cached) return { active: cached, resolved: seen?.resolved };
    return seen;
  }

  /** Runs first in every ingest transaction, under the write lock: nobody else can write until it commits. */
  async #checkCache(tx: SqlExecutor): Promise<void> {
    const marker = await this.#db.externalWriteMarker(tx);
    if (marker === undefined || marker !== this.#lastMarker) {
      // Another process wrote (or we cannot tell): entries still route firings, but counts are read back once each.
      this.#epoch++;
      this.#lastMarker = marker;
    }
  }

  /** sha256 per event adds up under a storm; the same few alerts repeat, so their fingerprints are memoised. */
  #fingerprint(event: AlertEvent): string {
    const key = `${event.name}\u0000${event.context}\u0000${event.chart}`;
    let fp = this.#fingerprints.get(key);
    if (fp === undefined) {
      if (this.#fingerprints.size >= 50_000) this.#fingerprints.clear();
      fp = generateFingerprint(event);
      this.#fingerprints.set(key, fp);
    }
    return fp;
  }

  #remember(issue: Issue): void {
    const key = `${issue.server_id}\u0000${issue.alert_fingerprint}`;
    if (issue.status !== 'open' && issue.status !== 'investigating') {
      if (this.#active.get(key)?.issue.id === issue.id) this.#active.delete(key);
      return;
    }
    if (this.#active.size >= 50_000) this.#active.clear(); // bounded; the next firing of each refills it
    this.#active.set(key, { issue, epoch: this.#epoch });
  }

  // ---- changes made by people or by the agent ----------------------------------------------------

  /** Runs fn in a write transaction and passes its changes through the hooks and listeners like ingest does. */
  async mutate<T>(fn: (tx: SqlExecutor, changes: IssueChange[]) => Promise<T>): Promise<T> {
    const changes: IssueChange[] = [];
    let after: AfterCommit[] = [];
    const result = await this.#db.transaction(async (tx) => {
      changes.length = 0;
      this.#marks = undefined;
      const r = await fn(tx, changes);
      after = await this.#runHooks(tx, changes);
      return r;
    });
    this.#runAfterCommit(after);
    if (changes.length > 0) this.#notify(changes);
    return result;
  }

  async addComment(issueId: string, comment: NewComment): Promise<number> {
    return this.mutate(async (tx) => {
      if (!(await this.#repo.getIn(tx, issueId))) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      return this.#repo.addComment(tx, issueId, comment, this.#now());
    });
  }

  /**
   * Changes an issue's status with a status_change comment. Moving back to open/investigating fails with CONFLICT
   * when another issue is already active for the same alert (the database's one-active-issue rule).
   */
  async setStatus(
    issueId: string,
    status: IssueStatus,
    options: { author?: { type: 'agent' | 'human'; name?: string | null }; reason?: string; expectStatus?: IssueStatus[] } = {},
  ): Promise<Issue> {
    return this.mutate(async (tx, changes) => {
      const issue = await this.#repo.getIn(tx, issueId);
      if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      if (options.expectStatus && !options.expectStatus.includes(issue.status)) return issue;
      if (issue.status === status) return issue;
      const now = this.#now();
      const fields: Partial<Issue> = { status };
      if (status === 'resolved') fields.resolved_at = now;
      if (status === 'open' || status === 'investigating') fields.resolved_at = null;
      if (status === 'closed' && issue.resolved_at === null) fields.resolved_at = now;
      try {
        await this.#repo.update(tx, issueId, fields);
      } catch (err) {
        if (err instanceof Error && /UNIQUE/i.test(err.message)) {
          throw new AppError('CONFLICT', `cannot set ${issueId} to ${status}: another issue is already active for this alert on ${issue.server_id}`, { cause: err });
        }
        throw err;
      }
      const reason = options.reason ?? (options.author?.type === 'human' ? `set by ${options.author.name ?? 'a human'}` : 'changed by the agent');
      await this.#repo.addComment(tx, issueId, statusChangeComment(status, reason, { previous_status: issue.status }, options.author), now);
      const updated = { ...issue, ...fields } as Issue;
      changes.push({ kind: 'status_changed', issue: updated, previousStatus: issue.status });
      this.#active.delete(`${issue.server_id}\u0000${issue.alert_fingerprint}`); // the next firing reads it again
      return updated;
    });
  }

  /** Closes issues resolved before the cutoff (the daily job and `issues-archive`). Returns how many. */
  async archive(olderThanDays: number): Promise<number> {
    const cutoff = this.#now() - olderThanDays * 86_400_000;
    let total = 0;
    for (;;) {
      const n = await this.mutate(async (tx) => {
        const batch = await this.#repo.resolvedBefore(tx, cutoff, 500);
        const now = this.#now();
        for (const issue of batch) {
          await this.#repo.update(tx, issue.id, { status: 'closed' });
          await this.#repo.addComment(tx, issue.id, statusChangeComment('closed', `Archived: resolved more than ${olderThanDays} days ago`, { previous_status: 'resolved' }), now);
        }
        return batch.length;
      });
      total += n;
      if (n < 500) return total;
    }
  }
}

/**
 * Annotations change while an alert fires (a summary with the current value, a runbook_url added later), so the
 * issue keeps the latest set a firing carried; the metadata object is returned as it was when nothing changed, so
 * the caller writes only on a change.
 */
function withAnnotations(metadata: IssueMetadata, event: AlertEvent): IssueMetadata {
  const next = event.annotations;
  if (!next || sameRecord(metadata.annotations, next)) return metadata;
  return { ...metadata, annotations: next };
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}
