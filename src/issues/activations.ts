import type { AlertActivation, AlertEvent } from '../model/alert.js';
import type { ActivationRepository, ActivationRow } from '../store/activation-repository.js';
import type { SqlExecutor } from '../store/database.js';

/**
 * What one Alertmanager API v2 post of a label set means, given the activation the store holds for it (docs/sources.md):
 * - `start`: a new activation: the alert fired (counted once); after an expiry with the same startsAt, it was still
 *   firing all along, so it counts as of now (a startsAt before the expiry would read as a late firing, never reopening)
 * - `refresh`: a re-send of the live activation, whatever its startsAt (a sender restarted while it never ended gives a
 *   new one): only endsAt moves, nothing is counted
 * - `end`: the live activation is over (resolved by the sender, or expired): the issue resolves
 * - `ignore`: a resolved alert re-sent, a resolution of an older activation, a stale firing of an ended one
 */
export type ActivationStep =
  | { kind: 'start'; occurredAt: number }
  | { kind: 'refresh' }
  | { kind: 'end'; how: 'resolved' | 'expired'; at: number }
  | { kind: 'ignore'; reason: string };

export function activationStep(row: ActivationRow | undefined, a: AlertActivation, resolved: boolean, now: number): ActivationStep {
  const live = row !== undefined && row.ended === null;
  if (a.expired) {
    if (!live || row.ends_at > now) return { kind: 'ignore', reason: 're-sent since the expiry was due' };
    return { kind: 'end', how: 'expired', at: row.ends_at };
  }
  if (resolved) {
    if (!live) return { kind: 'ignore', reason: row ? 'a resolved alert re-sent' : 'resolved, never seen firing' };
    if (a.endsAt < row.starts_at) return { kind: 'ignore', reason: 'the resolution of an earlier activation' };
    return { kind: 'end', how: 'resolved', at: a.endsAt };
  }
  if (!row) return { kind: 'start', occurredAt: a.startsAt };
  if (live) return { kind: 'refresh' };
  if (a.startsAt < row.starts_at) return { kind: 'ignore', reason: 'a firing older than the last activation' };
  if (a.startsAt >= row.ends_at) return { kind: 'start', occurredAt: a.startsAt };
  // Began before the last activation ended: a late re-send of it.
  if (row.ended === 'resolved') return { kind: 'ignore', reason: 'a late re-send of a resolved activation' };
  return { kind: 'start', occurredAt: now };
}

/** Where an event's activation leads, for the tracker: the step, and the event to apply (its time may move). */
export type ActivationVerdict =
  | { apply: true; event: AlertEvent; step: ActivationStep }
  | { apply: false; issueId: string | null; reason: string };

const SOURCE = 'alertmanager';

/**
 * The activations of API v2 alerts inside the tracker's transactions. Rows read once per transaction (and kept for the
 * next while no other process writes), written once per transaction however many re-sends of a label set it holds:
 * a Prometheus re-sends every live alert each minute, and a write per re-send would be most of the cost.
 */
export class ActivationBook {
  readonly #repo: ActivationRepository;
  readonly #epoch: () => number;
  readonly #cache = new Map<string, { row: ActivationRow | undefined; epoch: number }>();
  readonly #pending = new Map<string, ActivationRow>();
  /** The annotations each label set's issue last got, so a re-send writes them only when they changed. */
  readonly #annotations = new Map<string, string>();

  constructor(repo: ActivationRepository, epoch: () => number) {
    this.#repo = repo;
    this.#epoch = epoch;
  }

  get repository(): ActivationRepository {
    return this.#repo;
  }

  /**
   * Decides what the event means and records the activation's new state (written by flush, before the commit).
   * `issueFingerprint`: the fingerprint of the issue the event counts on.
   */
  async decide(tx: SqlExecutor, event: AlertEvent, issueFingerprint: string, now: number): Promise<ActivationVerdict> {
    const a = event.activation!;
    const row = await this.#read(tx, a.fingerprint);
    const step = activationStep(row, a, event.status === 'CLEAR', now);
    switch (step.kind) {
      case 'ignore':
        return { apply: false, issueId: row?.issue_id ?? null, reason: step.reason };
      case 'refresh': {
        const r = row!;
        if (a.endsAt > r.ends_at) this.#stage({ ...r, ends_at: a.endsAt, updated_at: now });
        return { apply: false, issueId: r.issue_id, reason: 're-sent' };
      }
      case 'start': {
        this.#stage({
          source: SOURCE, fingerprint: a.fingerprint, server_id: event.server_id, name: event.name, context: event.context,
          chart: event.chart, issue_fingerprint: issueFingerprint, issue_id: row?.issue_id ?? null, starts_at: a.startsAt,
          ends_at: Math.max(a.endsAt, now), ended: null, updated_at: now,
        });
        return { apply: true, step, event: step.occurredAt === event.occurred_at ? event : { ...event, occurred_at: step.occurredAt } };
      }
      case 'end': {
        const r = row!;
        const ended: ActivationRow = { ...r, ends_at: step.at, ended: step.how, updated_at: now };
        this.#stage(ended);
        await this.flush(tx); // the check below reads the table
        if (await this.#repo.otherLive(tx, ended)) return { apply: false, issueId: r.issue_id, reason: 'another alert of the issue is still firing' };
        return { apply: true, step, event: { ...event, occurred_at: step.at } };
      }
    }
  }

  /** The issue an applied event went to (a start creates or reopens one; its id is known only then). */
  attach(fingerprint: string, issueId: string | null): void {
    if (issueId === null) return;
    const row = this.#pending.get(fingerprint) ?? this.#cache.get(fingerprint)?.row;
    if (row && row.issue_id !== issueId) this.#stage({ ...row, issue_id: issueId });
  }

  async flush(tx: SqlExecutor): Promise<void> {
    for (const row of this.#pending.values()) await this.#repo.put(tx, row);
    this.#pending.clear();
  }

  /**
   * Whether a post's annotations differ from those its issue last got from this label set (a summary with the current
   * value, a runbook_url added by a rule reload): re-sends count nothing but keep the issue's annotations current.
   */
  annotationsChanged(fingerprint: string, annotations: Record<string, string>): boolean {
    const text = JSON.stringify(annotations);
    if (this.#annotations.get(fingerprint) === text) return false;
    if (this.#annotations.size >= 50_000) this.#annotations.clear();
    this.#annotations.set(fingerprint, text);
    return true;
  }

  /** A transaction begins (also the same one run again after the server took its lock back): nothing is staged. */
  begin(): void {
    this.#pending.clear();
  }

  /**
   * A transaction failed after it was planned: what it cached may never have been committed. Its staged rows are not
   * touched here: another group may be planning meanwhile (a remote database), and begin() clears them anyway.
   */
  forgetCached(): void {
    this.#cache.clear();
    this.#annotations.clear();
  }

  /** A caller's savepoint rolled back (inside the transaction): nothing staged or cached can be trusted. */
  reset(): void {
    this.#pending.clear();
    this.#cache.clear();
    this.#annotations.clear();
  }

  async #read(tx: SqlExecutor, fingerprint: string): Promise<ActivationRow | undefined> {
    const staged = this.#pending.get(fingerprint);
    if (staged) return staged;
    const cached = this.#cache.get(fingerprint);
    if (cached && cached.epoch === this.#epoch()) return cached.row;
    const row = await this.#repo.get(tx, SOURCE, fingerprint);
    this.#remember(fingerprint, row);
    return row;
  }

  #stage(row: ActivationRow): void {
    this.#pending.set(row.fingerprint, row);
    this.#remember(row.fingerprint, row);
  }

  #remember(fingerprint: string, row: ActivationRow | undefined): void {
    if (this.#cache.size >= 50_000) this.#cache.clear(); // bounded; the next post of each reads its row again
    this.#cache.set(fingerprint, { row, epoch: this.#epoch() });
  }
}
