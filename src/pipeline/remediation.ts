import { decideProposal, NOTIFICATION_REASON, type ProposalDecision } from '../actions/decide-proposal.js';
import { executeAction, EXECUTORS } from '../actions/executors/registry.js';
import type { ExecutionContext, ExecutorTable } from '../actions/executors/types.js';
import { canExecuteAction } from '../actions/permission-gate.js';
import type { Config } from '../config/schema.js';
import { AppError, errorMessage } from '../errors.js';
import type { AfterCommit } from '../issues/issue-tracker.js';
import { ACTION_RISK, validateProposal, type ActionType, type ValidProposal } from '../model/action-catalog.js';
import type { ActionEvent, ActionRecord } from '../model/action.js';
import { isActive, type Issue, type IssueChange } from '../model/issue.js';
import type { Permissions } from '../model/permission.js';
import type { Logger } from '../logger.js';
import { ActionRepository, newActionId, paramsHash } from '../store/action-repository.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { IssueRepository } from '../store/issue-repository.js';
import {
  approvalRequestedComment,
  deniedComment,
  describeParams,
  expiredComment,
  humanDecisionComment,
  manualInterventionComment,
  notVerifiedComment,
  proposedByComment,
  resolvedByHandComment,
  resultComment,
  skippedComment,
  verifiedComment,
} from './remediation-comments.js';

/** Runs inside the transaction that recorded the events (e.g. to enqueue an outbox row with them). */
export type ActionHook = (tx: SqlExecutor, events: ActionEvent[]) => Promise<void>;
/** Runs after the commit. Must not throw. */
export type ActionListener = (event: ActionEvent) => void;

export interface RemediationDeps {
  db: Database;
  issues: IssueRepository;
  actions: ActionRepository;
  serverId: string;
  config: Pick<Config, 'opsagent' | 'actions' | 'analysis'>;
  logger: Logger;
  now?: () => number;
  executors?: ExecutorTable;
  /** true in the daemon: approved actions run in this process. The CLI only records decisions; the daemon runs them. */
  executeApproved?: boolean;
  /** PIDs kill_process must never signal; default this process and its parent. */
  selfPids?: number[];
}

/** An outside proposal never runs by itself: what the gate would execute (or send, for notify_human) waits for a human. */
function capToApproval(d: ProposalDecision, proposer: string): ProposalDecision {
  if (d.status !== 'executing' && d.status !== 'succeeded') return d;
  return { status: 'pending_approval', reason: `Proposed by ${proposer}: an assistant's proposal always needs human approval (the gate alone: ${d.reason})` };
}

/** Remediations whose effect the verification window checks (notify_human and log_analysis change nothing). */
const VERIFIABLE = new Set<ActionType>(['clear_cache', 'cleanup_disk', 'kill_process', 'restart_service', 'custom_command']);
const HOUR_MS = 3_600_000;

/**
 * The remediation stage: every proposal goes through the gate (DESIGN §4) and ends as a row in `actions` with its
 * decision, plus a comment on the issue. Allowed actions run now; risky ones wait for a human (single-use,
 * expiring approvals); afterwards the issue is watched to verify the action helped.
 */
export class Remediation {
  readonly #db: Database;
  readonly #issues: IssueRepository;
  readonly #actions: ActionRepository;
  readonly #serverId: string;
  readonly #config: RemediationDeps['config'];
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #executors: ExecutorTable;
  readonly #executeApproved: boolean;
  readonly #selfPids: number[];
  readonly #hooks: ActionHook[] = [];
  readonly #listeners: ActionListener[] = [];
  readonly #running = new Set<string>();

  constructor(deps: RemediationDeps) {
    this.#db = deps.db;
    this.#issues = deps.issues;
    this.#actions = deps.actions;
    this.#serverId = deps.serverId;
    this.#config = deps.config;
    this.#log = deps.logger.child({ component: 'remediation' });
    this.#now = deps.now ?? Date.now;
    this.#executors = deps.executors ?? EXECUTORS;
    this.#executeApproved = deps.executeApproved ?? true;
    this.#selfPids = deps.selfPids ?? [process.pid, process.ppid];
  }

  get repository(): ActionRepository {
    return this.#actions;
  }

  /** Listen to every action decision and outcome after it is committed (notifications). */
  onActionEvent(listener: ActionListener): void {
    this.#listeners.push(listener);
  }

  /** Run code inside the transaction that records action events (e.g. enqueue a durable notification). */
  onActionChanges(hook: ActionHook): void {
    this.#hooks.push(hook);
  }

  get #permissions(): Permissions {
    return { level: this.#config.opsagent.permissionLevel, autoRemediate: this.#config.opsagent.autoRemediate };
  }

  async #write<T>(fn: (tx: SqlExecutor, emit: (e: ActionEvent) => void) => Promise<T>): Promise<T> {
    const events: ActionEvent[] = [];
    const result = await this.#db.transaction(async (tx) => {
      events.length = 0;
      const r = await fn(tx, (e) => events.push(e));
      if (events.length > 0) for (const hook of this.#hooks) await hook(tx, events);
      return r;
    });
    this.#emit(events);
    return result;
  }

  #emit(events: ActionEvent[]): void {
    for (const e of events) {
      this.#log.info({ actionId: e.action.id, issueId: e.issue.id, action: e.action.action_type, event: e.kind }, 'action event');
      for (const l of this.#listeners) {
        try {
          l(e);
        } catch (err) {
          this.#log.warn({ err: errorMessage(err) }, 'action listener failed');
        }
      }
    }
  }

  async #comment(tx: SqlExecutor, issueId: string, comment: Parameters<IssueRepository['addComment']>[2]): Promise<void> {
    await this.#issues.addComment(tx, issueId, comment, this.#now());
  }

  // ---- proposals -------------------------------------------------------------------------------------

  /**
   * Gates and records each proposal of one analysis, runs what is allowed now, and returns the final rows.
   * In readonly mode nothing waits for approval: a human is told "Manual intervention required" instead.
   */
  async handleProposals(issue: Issue, proposals: readonly ValidProposal[], analysisCommentId?: number | null): Promise<ActionRecord[]> {
    // An analysis may be handed off twice (a restart between the decisions and their record, two agents on one
    // database): its decisions are taken once.
    if (analysisCommentId != null) {
      const decided = await this.#actions.listForAnalysis(analysisCommentId);
      if (decided.length > 0) return decided;
    }
    const results: ActionRecord[] = [];
    const readonlyDenied: ActionRecord[] = [];
    for (const proposal of proposals) {
      // Re-checked here: the gate is applied to every proposal, whoever built it.
      const check = validateProposal({ type: proposal.type, params: proposal.params, reason: proposal.reason });
      if (!check.ok) {
        this.#log.warn({ issueId: issue.id, type: check.type, reason: check.reason }, 'invalid proposal ignored');
        continue;
      }
      let action = await this.#decide(issue.id, check.proposal, analysisCommentId ?? null);
      if (action.status === 'executing') action = await this.#execute(action);
      if (action.status === 'denied' && this.#permissions.level === 'readonly') readonlyDenied.push(action);
      results.push(action);
    }
    if (readonlyDenied.length > 0) results.push(await this.#manualIntervention(issue.id, readonlyDenied));
    return results;
  }

  /**
   * A proposal from outside the analysis (an assistant over MCP): gated exactly like the model's, then capped, so it
   * can only ever wait for a human or be refused. What the gate would have run at once (any level, autoRemediate on,
   * notify_human included) waits for approval instead; a denial or a skip (cooldown, inactive issue) is thrown as
   * ACTION_DENIED and writes nothing. The proposer is written on the issue with the request. Machine checks are the
   * caller's (analysis/proposal-checks.ts).
   */
  async proposeForApproval(issueId: string, proposal: ValidProposal, proposer: string): Promise<ActionRecord> {
    const check = validateProposal({ type: proposal.type, params: proposal.params, reason: proposal.reason });
    if (!check.ok) throw new AppError('INPUT_INVALID', `${check.type}: ${check.reason}`);
    return this.#decide(issueId, check.proposal, null, { proposer });
  }

  async #decide(issueId: string, p: ValidProposal, analysisCommentId: number | null, origin?: { proposer: string }): Promise<ActionRecord> {
    return this.#write(async (tx, emit) => {
      const issue = await this.#issues.getIn(tx, issueId);
      if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      const now = this.#now();
      const cfg = this.#config.actions;
      const hash = paramsHash(p.params);
      const gated = decideProposal({
        type: p.type,
        risk: p.risk,
        issue: { status: issue.status, server_id: issue.server_id, flapping: issue.metadata.flapping === true },
        agentServerId: this.#serverId,
        // A pending or approved copy is a duplicate at any age; other recent ones only within the cooldown.
        sameAction: await this.#actions.findRecentSame(tx, issue.id, p.type, hash, now - cfg.cooldownMinutes * 60_000),
        cooldownMinutes: cfg.cooldownMinutes,
        permissions: this.#permissions,
        // Counted in the same transaction that claims the action as executing, so concurrent proposals never exceed the limit.
        executedLastHour: await this.#actions.countExecutedSince(tx, this.#serverId, now - HOUR_MS),
        now,
      });
      const decision = origin ? capToApproval(gated, origin.proposer) : gated;
      if (origin && (decision.status === 'denied' || decision.status === 'skipped')) {
        // Thrown inside the transaction: a refused outside proposal leaves no row and no comment behind.
        this.#log.warn({ issueId: issue.id, action: p.type, proposer: origin.proposer, decision: decision.status, reason: decision.reason }, 'outside proposal refused');
        throw new AppError('ACTION_DENIED', `${p.type} ${decision.status === 'denied' ? 'denied' : 'skipped'}: ${decision.reason}`);
      }
      const a: ActionRecord = {
        id: newActionId(now),
        issue_id: issue.id,
        server_id: this.#serverId,
        action_type: p.type,
        risk: p.risk,
        params: p.params,
        params_hash: hash,
        reason: p.reason,
        status: decision.status,
        decision_reason: decision.reason,
        decided_by: 'agent',
        decided_at: now,
        analysis_comment_id: analysisCommentId,
        created_at: now,
        expires_at: null,
        executed_at: null,
        finished_at: null,
        output: null,
        success: null,
        dry_run: cfg.dryRun,
        verification: null,
        verify_deadline: null,
        verified_at: null,
      };
      if (origin) await this.#comment(tx, issue.id, proposedByComment(a, origin.proposer));
      switch (decision.status) {
        case 'succeeded': {
          const message = String(p.params.message ?? '');
          Object.assign(a, { executed_at: now, finished_at: now, success: true, output: message, dry_run: false });
          await this.#actions.insert(tx, a);
          await this.#comment(tx, issue.id, resultComment(a, `Human notified: ${message.split('\n')[0]!.slice(0, 200)}`, true, message));
          emit({ kind: 'notify', action: a, issue, message, cause: 'proposed' });
          return a;
        }
        case 'executing':
          a.executed_at = now;
          await this.#actions.insert(tx, a);
          return a;
        case 'pending_approval':
          Object.assign(a, { expires_at: now + cfg.approvalTimeoutMinutes * 60_000, decided_by: null, decided_at: null });
          await this.#actions.insert(tx, a);
          await this.#comment(tx, issue.id, approvalRequestedComment(a, cfg.approvalTimeoutMinutes));
          emit({ kind: 'pending_approval', action: a, issue, message: `⚠️ Action requires approval: ${a.action_type}` });
          return a;
        case 'denied':
          await this.#actions.insert(tx, a);
          await this.#comment(tx, issue.id, deniedComment(a));
          emit({ kind: 'denied', action: a, issue, message: `🚫 Action denied: ${a.action_type} (${decision.reason})` });
          return a;
        case 'skipped':
          await this.#actions.insert(tx, a);
          await this.#comment(tx, issue.id, skippedComment(a));
          emit({ kind: 'skipped', action: a, issue, message: `⏭ Action skipped: ${a.action_type} (${decision.reason})` });
          return a;
      }
    });
  }

  async #manualIntervention(issueId: string, denied: ActionRecord[]): Promise<ActionRecord> {
    return this.#write(async (tx, emit) => {
      const issue = await this.#issues.getIn(tx, issueId);
      if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${issueId}"`);
      const now = this.#now();
      const proposed = denied.map((a) => `${a.action_type}${describeParams(a.params)}${a.reason ? ` (${a.reason})` : ''}`).join('; ');
      const message = `Manual intervention required on ${issue.title} (${issue.server_id}): readonly mode, the agent takes no actions. Proposed: ${proposed}`.slice(0, 2_000);
      const a = await this.#insertNotification(tx, issue, message, now);
      await this.#comment(tx, issue.id, manualInterventionComment(message));
      emit({ kind: 'notify', action: a, issue, message, cause: 'manual_intervention' });
      return a;
    });
  }

  async #insertNotification(tx: SqlExecutor, issue: Issue, message: string, now: number): Promise<ActionRecord> {
    const params = { message };
    const a: ActionRecord = {
      id: newActionId(now), issue_id: issue.id, server_id: this.#serverId, action_type: 'notify_human', risk: 'low',
      params, params_hash: paramsHash(params), reason: '', status: 'succeeded',
      decision_reason: NOTIFICATION_REASON, decided_by: 'agent', decided_at: now,
      analysis_comment_id: null, created_at: now, expires_at: null, executed_at: now, finished_at: now, output: message,
      success: true, dry_run: false, verification: null, verify_deadline: null, verified_at: null,
    };
    await this.#actions.insert(tx, a);
    return a;
  }

  // ---- execution ---------------------------------------------------------------------------------------

  /** Runs an action already claimed as 'executing' and records its outcome; never throws for a failed action. */
  async #execute(action: ActionRecord): Promise<ActionRecord> {
    this.#running.add(action.id);
    try {
      const issue = await this.#issues.get(action.issue_id);
      const ctx: ExecutionContext = {
        config: this.#config.actions,
        logFiles: this.#config.analysis.logFiles,
        permissionLevel: this.#config.opsagent.permissionLevel,
        issue: issue ?? { id: action.issue_id, title: '', first_seen_at: action.created_at, last_seen_at: action.created_at },
        now: this.#now,
        selfPids: this.#selfPids,
      };
      const result = await executeAction(action.action_type, action.params, ctx, this.#executors);
      this.#log.info({ actionId: action.id, action: action.action_type, success: result.success }, 'action executed');
      return await this.#write(async (tx, emit) => {
        const now = this.#now();
        const verify = result.success && !this.#config.actions.dryRun && VERIFIABLE.has(action.action_type);
        const status = result.success ? 'succeeded' : 'failed';
        const fields = {
          finished_at: now,
          output: result.output,
          success: result.success,
          dry_run: this.#config.actions.dryRun,
          verification: verify ? ('pending' as const) : null,
          verify_deadline: verify ? now + this.#config.actions.verifyWindowMinutes * 60_000 : null,
        };
        const moved = await this.#actions.move(tx, action.id, 'finish', status, fields);
        if (!moved.moved) {
          // Failed as interrupted by another process meanwhile: the action ran, but that row is no longer ours to write.
          this.#log.warn({ actionId: action.id, now: moved.now }, 'action finished after its row was settled elsewhere');
          return (await this.#actions.getIn(tx, action.id)) ?? action;
        }
        const done: ActionRecord = { ...action, ...fields, status };
        const current = await this.#issues.getIn(tx, action.issue_id);
        await this.#comment(tx, action.issue_id, resultComment(done, result.summary, result.success, result.output));
        if (current) emit({ kind: 'executed', action: done, issue: current, message: `${result.success ? '✅' : '❌'} ${done.action_type}: ${result.summary}` });
        return done;
      });
    } finally {
      this.#running.delete(action.id);
    }
  }

  /**
   * Claims an approved action (approved → executing, once) and runs it. Undefined when someone else claimed it.
   * The approval is re-checked against the present: the issue must still be open, the approval fresh, and the
   * current permission level must still allow the action (a human approval overrides "needs approval" and the
   * hourly limit, never a denial such as readonly mode). Otherwise the action is refused with a comment.
   */
  async #runApproved(id: string): Promise<ActionRecord | undefined> {
    const now = this.#now();
    const claimed = await this.#write(async (tx, emit) => {
      const a = await this.#actions.getIn(tx, id);
      if (!a || a.status !== 'approved') return undefined;
      const issue = await this.#issues.getIn(tx, a.issue_id);
      const refusal = this.#approvalRefusal(a, issue, now);
      if (refusal) {
        const fields = { decided_at: now, decision_reason: refusal.reason };
        if (!(await this.#actions.move(tx, id, 'refuse', refusal.status, fields)).moved) return undefined;
        const refused = { ...a, ...fields, status: refusal.status };
        await this.#comment(tx, a.issue_id, refusal.status === 'denied' ? deniedComment(refused) : skippedComment(refused));
        if (issue) {
          const message = refusal.status === 'denied' ? `🚫 Action denied: ${a.action_type} (${refusal.reason})` : `⏭ Action skipped: ${a.action_type} (${refusal.reason})`;
          emit({ kind: refusal.status, action: refused, issue, message });
        }
        return undefined;
      }
      if (!(await this.#actions.move(tx, id, 'claim', 'executing', { executed_at: now })).moved) return undefined;
      return this.#actions.getIn(tx, id);
    });
    return claimed ? this.#execute(claimed) : undefined;
  }

  /** Why an approved action must not run now, or undefined when it may. */
  #approvalRefusal(a: ActionRecord, issue: Issue | undefined, now: number): { status: 'skipped' | 'denied'; reason: string } | undefined {
    const by = a.decided_by ?? 'a human';
    if (!issue || !isActive(issue)) return { status: 'skipped', reason: `Approved by ${by} but issue ${a.issue_id} is ${issue?.status ?? 'gone'}: not executed` };
    const timeout = this.#config.actions.approvalTimeoutMinutes;
    if (a.decided_at !== null && now - a.decided_at > timeout * 60_000) {
      return { status: 'skipped', reason: `Approved by ${by} more than ${timeout} min ago and not run since: approval too old, not executed` };
    }
    if (issue.server_id !== this.#serverId) return { status: 'denied', reason: `this agent only acts on ${this.#serverId}; the issue is on ${issue.server_id}` };
    // Counted as 0: the hourly limit is the one denial a human approval overrides (DESIGN §4).
    const gate = canExecuteAction(this.#permissions, a.action_type, ACTION_RISK[a.action_type], 0); // risk from the catalog, not the row
    if (!gate.allowed && !gate.requiresApproval) return { status: 'denied', reason: `Approved by ${by} but no longer allowed: ${gate.reason}` };
    return undefined;
  }

  // ---- approvals -----------------------------------------------------------------------------------------

  /**
   * A human approves a pending action. Single-use: the pending → approved step is a compare-and-set, so of two
   * approvals at once exactly one wins (the other gets CONFLICT). Re-checks expiry, the issue's status and, when the
   * approver saw them, the parameters. A human-approved action runs even at the hourly limit, and is counted.
   */
  async approve(idOrPrefix: string, by: string, options: { paramsHash?: string } = {}): Promise<ActionRecord> {
    const id = await this.#actions.resolveId(idOrPrefix);
    const who = by.trim().slice(0, 100) || 'human';
    const outcome = await this.#write(async (tx, emit): Promise<{ error?: AppError; action?: ActionRecord }> => {
      const a = await this.#actions.getIn(tx, id);
      if (!a) return { error: new AppError('NOT_FOUND', `no action with id "${id}"`) };
      if (a.status !== 'pending_approval') return { error: new AppError('CONFLICT', `action ${id} is ${a.status}, not pending approval${a.decided_by && a.decided_by !== 'agent' ? ` (decided by ${a.decided_by})` : ''}`) };
      const now = this.#now();
      const issue = await this.#issues.getIn(tx, a.issue_id);
      if (a.expires_at !== null && a.expires_at <= now) {
        await this.#expireOne(tx, a, issue, emit);
        return { error: new AppError('CONFLICT', `action ${id} expired before it was approved`) };
      }
      if (options.paramsHash !== undefined && options.paramsHash !== a.params_hash) {
        return { error: new AppError('CONFLICT', `action ${id} has different parameters from the ones approved (params_hash ${a.params_hash}, not ${options.paramsHash}); nothing was executed`) };
      }
      if (paramsHash(a.params) !== a.params_hash) {
        return { error: new AppError('CONFLICT', `action ${id}'s parameters changed since approval was requested; nothing was executed`) };
      }
      if (!issue || !isActive(issue)) {
        const reason = `Approved by ${who} but issue ${a.issue_id} is ${issue?.status ?? 'gone'}: not executed`;
        if ((await this.#actions.move(tx, id, 'dismiss', 'skipped', { decided_by: who, decided_at: now, decision_reason: reason })).moved && issue) {
          const skipped = { ...a, status: 'skipped' as const, decision_reason: reason, decided_by: who };
          await this.#comment(tx, a.issue_id, skippedComment(skipped));
          emit({ kind: 'skipped', action: skipped, issue, message: `⏭ Action skipped: ${a.action_type} (${reason})` });
        }
        return { error: new AppError('CONFLICT', `issue ${a.issue_id} is ${issue?.status ?? 'gone'}; action ${id} was not executed`) };
      }
      const fields = { decided_by: who, decided_at: now, decision_reason: `Approved by ${who} (${a.decision_reason ?? 'approval required'})` };
      if (!(await this.#actions.move(tx, id, 'approve', 'approved', fields)).moved) {
        return { error: new AppError('CONFLICT', `action ${id} was decided by someone else first`) };
      }
      const approved = { ...a, ...fields, status: 'approved' as const };
      await this.#comment(tx, a.issue_id, humanDecisionComment(approved, who, true));
      emit({ kind: 'approved', action: approved, issue, message: `👍 ${who} approved ${a.action_type}` });
      return { action: approved };
    });
    if (outcome.error) throw outcome.error;
    if (this.#executeApproved && outcome.action!.server_id === this.#serverId) {
      const ran = await this.#runApproved(id);
      if (ran) return ran;
    }
    return (await this.#actions.get(id))!;
  }

  async reject(idOrPrefix: string, by: string, reason?: string): Promise<ActionRecord> {
    const id = await this.#actions.resolveId(idOrPrefix);
    const who = by.trim().slice(0, 100) || 'human';
    const why = reason?.trim().slice(0, 1_000) || undefined;
    const outcome = await this.#write(async (tx, emit): Promise<{ error?: AppError; action?: ActionRecord }> => {
      const a = await this.#actions.getIn(tx, id);
      if (!a) return { error: new AppError('NOT_FOUND', `no action with id "${id}"`) };
      const now = this.#now();
      const fields = { decided_by: who, decided_at: now, decision_reason: `Rejected by ${who}${why ? `: ${why}` : ''}` };
      const moved = await this.#actions.move(tx, id, 'reject', 'rejected', fields);
      if (!moved.moved) return { error: new AppError('CONFLICT', `action ${id} is ${moved.now ?? a.status}, not pending approval`) };
      const rejected = { ...a, ...fields, status: 'rejected' as const };
      await this.#comment(tx, a.issue_id, humanDecisionComment(rejected, who, false, why));
      const issue = await this.#issues.getIn(tx, a.issue_id);
      if (issue) emit({ kind: 'rejected', action: rejected, issue, message: `👎 ${who} rejected ${a.action_type}${why ? `: ${why}` : ''}` });
      return { action: rejected };
    });
    if (outcome.error) throw outcome.error;
    return outcome.action!;
  }

  async #expireOne(tx: SqlExecutor, a: ActionRecord, issue: Issue | undefined, emit: (e: ActionEvent) => void): Promise<boolean> {
    const timeout = this.#config.actions.approvalTimeoutMinutes;
    const fields = { decided_by: 'agent', decided_at: this.#now(), decision_reason: `No decision within ${timeout} min` };
    if (!(await this.#actions.move(tx, a.id, 'expire', 'expired', fields)).moved) return false;
    const expired = { ...a, ...fields, status: 'expired' as const };
    await this.#comment(tx, a.issue_id, expiredComment(expired, timeout));
    if (issue) emit({ kind: 'expired', action: expired, issue, message: `⌛ Approval expired: ${a.action_type}` });
    return true;
  }

  // ---- durable scans (the daemon runs these every few seconds; all state is in rows) ----------------------

  /** Marks pending approvals past their deadline as expired, with a comment. Returns how many. */
  async expireDue(): Promise<number> {
    let n = 0;
    for (const a of await this.#actions.dueExpiries(this.#now())) {
      if (await this.#write(async (tx, emit) => this.#expireOne(tx, a, await this.#issues.getIn(tx, a.issue_id), emit))) n++;
    }
    return n;
  }

  /** Runs approved actions of this agent that were approved elsewhere (CLI, another process). */
  async runApproved(): Promise<number> {
    let n = 0;
    for (const a of await this.#actions.approvedFor(this.#serverId)) if (await this.#runApproved(a.id)) n++;
    return n;
  }

  /** Actions left 'executing' by a crash are failed, never re-run: nothing is done twice. */
  async recoverInterrupted(): Promise<number> {
    const cfg = this.#config.actions;
    const budget = cfg.timeoutSeconds * 1000 + cfg.killProcess.graceMs + 60_000;
    let n = 0;
    for (const a of await this.#actions.staleExecuting(this.#serverId, this.#now() - budget)) {
      if (this.#running.has(a.id)) continue;
      const ok = await this.#write(async (tx, emit) => {
        const fields = { finished_at: this.#now(), success: false, output: 'interrupted: the agent stopped while the action ran' };
        if (!(await this.#actions.move(tx, a.id, 'interrupt', 'failed', fields)).moved) return false;
        const failed = { ...a, ...fields, status: 'failed' as const };
        await this.#comment(tx, a.issue_id, resultComment(failed, 'interrupted: the agent stopped while it ran; not retried', false, fields.output));
        const issue = await this.#issues.getIn(tx, a.issue_id);
        if (issue) emit({ kind: 'executed', action: failed, issue, message: `❌ ${a.action_type}: interrupted` });
        return true;
      });
      if (ok) n++;
    }
    return n;
  }

  /**
   * Whether the issue's latest resolution was its alert clearing (the resolution's typed cause), not a person or the
   * agent setting the status: only the former verifies an action.
   */
  async #resolvedByAlert(issueId: string): Promise<boolean> {
    const resolutions = (await this.#issues.comments(issueId)).filter((c) => c.comment_type === 'status_change' && c.metadata?.status === 'resolved');
    return resolutions.at(-1)?.metadata?.cause === 'alert_cleared';
  }

  /**
   * Settles verifications whose window has passed: verified when the alert cleared after the action (a clearing
   * the hook did not see, e.g. ingested by the CLI), else not verified, with a comment and, when the alert is still
   * firing, a notification to a human. A resolution set by a person does not verify anything.
   */
  async verifyDue(): Promise<number> {
    let n = 0;
    const window = this.#config.actions.verifyWindowMinutes;
    for (const a of await this.#actions.dueVerifications(this.#now(), this.#serverId)) {
      const byAlert = await this.#resolvedByAlert(a.issue_id);
      const settled = await this.#write(async (tx, emit) => {
        const issue = await this.#issues.getIn(tx, a.issue_id);
        const now = this.#now();
        const after = a.finished_at ?? a.executed_at ?? a.created_at;
        if (issue && !isActive(issue) && !byAlert) {
          if (!(await this.#actions.settleVerification(tx, a.id, 'not_verified', now))) return false;
          const unverified = { ...a, verification: 'not_verified' as const, verified_at: now };
          await this.#comment(tx, a.issue_id, resolvedByHandComment(a, issue.status));
          emit({ kind: 'not_verified', action: unverified, issue, message: `Not verified: ${a.action_type} (the issue was ${issue.status} by hand, not by the alert clearing)` });
          return true;
        }
        if (issue && !isActive(issue) && issue.resolved_at !== null && issue.resolved_at >= (a.executed_at ?? after)) {
          if (!(await this.#actions.settleVerification(tx, a.id, 'verified', now))) return false;
          const minutes = Math.max(0, Math.round((issue.resolved_at - after) / 60_000));
          await this.#comment(tx, a.issue_id, verifiedComment(a, minutes));
          emit({ kind: 'verified', action: { ...a, verification: 'verified', verified_at: now }, issue, message: `Verified: alert cleared ${minutes} min after ${a.action_type}` });
          return true;
        }
        if (!(await this.#actions.settleVerification(tx, a.id, 'not_verified', now))) return false;
        if (!issue) return true;
        const failedAction = { ...a, verification: 'not_verified' as const, verified_at: now };
        await this.#comment(tx, a.issue_id, notVerifiedComment(a, window));
        emit({ kind: 'not_verified', action: failedAction, issue, message: `Not verified: alert still firing ${window} min after ${a.action_type}` });
        const message = `${issue.title} on ${issue.server_id} is still firing ${window} min after ${a.action_type}${describeParams(a.params)}: please take a look (issue ${issue.id})`;
        const note = await this.#insertNotification(tx, issue, message, now);
        emit({ kind: 'notify', action: note, issue, message, cause: 'still_firing' });
        return true;
      });
      if (settled) n++;
    }
    return n;
  }

  /** One pass of every durable scan; the daemon's timer calls this. */
  async scan(): Promise<void> {
    await this.expireDue();
    await this.verifyDue();
    await this.recoverInterrupted();
    if (this.#executeApproved) await this.runApproved();
  }

  // ---- verification on resolution (inside the tracker's transaction) --------------------------------------

  /** A tracker change hook (pipeline/wire.ts): an alert clearing verifies the actions taken on its issue. */
  readonly verifyOnResolution = async (tx: SqlExecutor, changes: IssueChange[]): Promise<AfterCommit | undefined> => {
    const events: ActionEvent[] = [];
    for (const change of changes) {
      const issue = change.issue;
      // Only the alert clearing proves an action helped; a human resolving the issue proves nothing.
      if (change.kind !== 'resolved') continue;
      const now = this.#now();
      for (const a of await this.#actions.pendingVerifications(tx, issue.id)) {
        if (!(await this.#actions.settleVerification(tx, a.id, 'verified', now))) continue;
        const after = a.finished_at ?? a.executed_at ?? a.created_at;
        const minutes = Math.max(0, Math.round(((issue.resolved_at ?? now) - after) / 60_000));
        await this.#comment(tx, issue.id, verifiedComment(a, minutes));
        events.push({ kind: 'verified', action: { ...a, verification: 'verified', verified_at: now }, issue, message: `Verified: alert cleared ${minutes} min after ${a.action_type}` });
      }
    }
    if (events.length === 0) return undefined;
    for (const hook of this.#hooks) await hook(tx, events);
    return () => this.#emit(events); // listeners hear of a verification only once it is committed
  };
}
