import type { ValidProposal } from '../model/action-catalog.js';
import type { IssueAnalyzer } from '../analysis/issue-analyzer.js';
import { analysisMetadata, renderAnalysis } from '../analysis/render-analysis.js';
import type { AnalysisResult } from '../analysis/types.js';
import { AppError, errorMessage } from '../errors.js';
import type { ChangeHook, IssueTracker } from '../issues/issue-tracker.js';
import type { Issue, IssueChange } from '../model/issue.js';
import type { Logger } from '../logger.js';
import { SecretMasker } from '../secrets.js';
import type { AnalysisJob, AnalysisReason, AnalysisRepository, ClaimPreference } from '../store/analysis-repository.js';
import type { IssueRepository } from '../store/issue-repository.js';
import type { BackgroundService } from './service.js';

/**
 * Which changes call for an analysis: new, escalated, reopened (by an alert or a person). Plain repeat firings never
 * do, and neither does an alert reopening a flapping issue: that one is summarised (the flapping notice), not
 * analysed again on every bounce. A person reopening it is a deliberate request and is analysed.
 */
export function analysisReasonFor(change: IssueChange): AnalysisReason | undefined {
  switch (change.kind) {
    case 'created':
      return 'created';
    case 'escalated':
      return 'escalated';
    case 'reopened':
      return change.issue.metadata.flapping === true ? undefined : 'reopened';
    case 'status_changed':
      return change.issue.status === 'open' && (change.previousStatus === 'resolved' || change.previousStatus === 'closed') ? 'reopened' : undefined;
    case 'fired':
    case 'late':
    case 'resolved':
      return undefined;
  }
}

/**
 * A tracker change hook (pipeline/wire.ts): queues analyses in the same transaction as the changes that call for
 * them, so none is lost to a crash.
 */
export function queueAnalysisJobs(jobs: AnalysisRepository, now: () => number = Date.now): ChangeHook {
  return async (tx, changes) => {
    for (const change of changes) {
      const reason = analysisReasonFor(change);
      if (reason) jobs.queueJob(tx, change.issue.id, reason, now());
    }
  };
}

/** Receives each recorded analysis's valid proposals (the remediation stage). Errors are logged, never fatal. */
export type OnAnalysed = (issue: Issue, proposals: ValidProposal[], commentId: number) => Promise<void> | void;

/**
 * What happens to an analysis's proposals once it is recorded: 'record-only' keeps them on the issue for the daemon
 * to pick up (the CLI), a function hands them on now (the daemon's remediation stage).
 */
export type HandOff = 'record-only' | OnAnalysed;

export interface AnalysisWorkerDeps {
  tracker: IssueTracker;
  issues: IssueRepository;
  jobs: AnalysisRepository;
  analyzer: IssueAnalyzer;
  /** This agent's server_id: the claim owner, so crash recovery only touches this agent's jobs. */
  agentId: string;
  /** Agents sharing one database: take other servers' jobs only after their own agent had the chance. */
  claimPreference?: ClaimPreference;
  /** llm.maxCallsPerHour: LLM analyses in a sliding hour (counted from job rows, so it survives restarts). */
  maxLlmPerHour: number;
  logger: Logger;
  now?: () => number;
  pollIntervalMs?: number;
  /** How far back recorded analyses are still handed to remediation after a restart (default 1 h). */
  handOffWindowMs?: number;
  /**
   * How long stop() waits for an analysis in flight (default 5 s: the daemon exits within 10 s of SIGTERM, and the
   * HTTP server and the database need their share); after that the job stays 'running' and is retried at start.
   */
  stopGraceMs?: number;
  /**
   * The config's secrets: masked in what an analysis writes on the issue (its comment, the job's note and error), since
   * upstream answers end up there (an LLM 401 repeating the key, a Netdata error naming its URL). Default: URL
   * credentials only.
   */
  secrets?: SecretMasker;
}

export interface AnalysisRun {
  job: AnalysisJob;
  issue: Issue;
  result: AnalysisResult | undefined;
  commentId: number | null;
  note?: string;
}

/**
 * Runs queued analyses one at a time: claims a job atomically, moves the issue open -> investigating, analyses,
 * writes the `analysis` comment and finishes the job in one transaction, then hands valid proposals on as wired (handOffTo).
 * Woken by commits of the tracker and by a slow poll (for jobs queued by other processes, e.g. the CLI).
 */
export class AnalysisWorker implements BackgroundService {
  readonly name = 'analysis';
  readonly #d: AnalysisWorkerDeps;
  readonly #now: () => number;
  readonly #secrets: SecretMasker;
  #stopped = true;
  #handOff: HandOff = 'record-only';
  #wanted = false;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = 0;
  #failed = 0;
  #lastError: string | undefined;

  constructor(deps: AnalysisWorkerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#secrets = deps.secrets ?? new SecretMasker();
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#recover().then(() => this.#run());
    this.#timer = setInterval(() => this.wake(), this.#d.pollIntervalMs ?? 30_000);
    this.#timer.unref();
  }

  /** Set once by pipeline/wire.ts; until then analyses are only recorded. */
  handOffTo(handOff: HandOff): void {
    this.#handOff = handOff;
  }

  /** A tracker commit listener (pipeline/wire.ts): committed changes that call for an analysis wake the worker. */
  readonly wakeOnChanges = (changes: IssueChange[]): void => {
    if (changes.some((c) => analysisReasonFor(c) !== undefined)) this.wake();
  };

  wake(): void {
    if (this.#stopped) return;
    this.#wanted = true;
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    const inFlight = this.#loop;
    if (!inFlight) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#d.stopGraceMs ?? 5_000)))]);
    clearTimeout(timer);
  }

  health(): { state: string; [k: string]: unknown } {
    return {
      state: this.#stopped ? 'stopped' : this.#lastError ? 'degraded' : 'ok',
      analysed: this.#done,
      failed: this.#failed,
      ...(this.#lastError ? { error: this.#lastError } : {}),
    };
  }

  /** Resolves when no claimable job is left (tests and the CLI). */
  async idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  async #recover(): Promise<void> {
    try {
      const r = await this.#d.jobs.recoverInterrupted(this.#d.agentId, this.#now());
      if (r.retried + r.failed > 0) this.#d.logger.warn({ component: 'analysis', ...r }, 'recovered analyses interrupted by a restart');
    } catch (err) {
      this.#lastError = errorMessage(err);
      this.#d.logger.error({ component: 'analysis', err: this.#lastError }, 'cannot recover interrupted analyses');
    }
  }

  async #run(): Promise<void> {
    this.#wanted = true;
    try {
      while (this.#wanted && !this.#stopped) {
        this.#wanted = false;
        for (;;) {
          if (this.#stopped) break;
          const job = await this.#d.jobs.claim(this.#d.agentId, this.#now(), undefined, this.#d.claimPreference);
          if (!job) break;
          this.#wanted = true; // claimed one: look again after it
          await this.runJob(job).catch(() => undefined); // recorded on the job row and logged; go on with the next
        }
        await this.#handOffRecorded();
      }
    } catch (err) {
      this.#lastError = errorMessage(err);
      this.#d.logger.error({ component: 'analysis', err: this.#lastError }, 'analysis worker failed; will retry on the next wake');
    } finally {
      this.#loop = undefined;
    }
  }

  /** Analyses one issue right now (`issues-analyze`): takes over its pending job or starts a manual one. */
  async analyseNow(issueId: string): Promise<AnalysisRun> {
    const job = await this.#d.jobs.claimForIssue(issueId, this.#d.agentId, this.#now());
    if (!job) throw new AppError('CONFLICT', `an analysis of ${issueId} is already running`);
    return this.runJob(job);
  }

  /** Runs a claimed job to its end; records every failure on the job row. */
  async runJob(job: AnalysisJob): Promise<AnalysisRun> {
    const log = this.#d.logger.child({ component: 'analysis', issueId: job.issue_id, jobId: job.id });
    try {
      let issue = await this.#d.issues.get(job.issue_id);
      if (!issue) {
        await this.#d.jobs.fail(job.id, 'the issue no longer exists', this.#now());
        throw new AppError('NOT_FOUND', `no issue with id "${job.issue_id}"`);
      }
      if (job.reason !== 'manual' && issue.status !== 'open' && issue.status !== 'investigating') {
        const note = `issue is ${issue.status}; not analysed`;
        await this.#d.jobs.finish(this.#d.issues.db, job.id, { analyzer: 'none', commentId: null, now: this.#now(), note });
        log.info({ status: issue.status }, 'analysis skipped: issue no longer active');
        return { job, issue, result: undefined, commentId: null, note };
      }
      if (issue.status === 'open') {
        issue = await this.#d.tracker.setStatus(issue.id, 'investigating', {
          author: { type: 'agent', name: 'opsagent' },
          reason: `Agent is analysing the issue (${job.reason === 'created' ? 'new issue' : job.reason})`,
          expectStatus: ['open'],
        });
      }
      log.info({ reason: job.reason, attempt: job.attempts }, 'analysis started');
      const result = await this.#d.analyzer.analyse(issue, { reserveLlm: () => this.#reserveLlm(job.id) });
      const commentId = await this.#d.tracker.mutate(async (tx) => {
        const id = await this.#d.issues.addComment(
          tx,
          job.issue_id,
          {
            author_type: 'agent',
            author_name: 'opsagent',
            comment_type: 'analysis',
            content: this.#secrets.mask(renderAnalysis(result)),
            metadata: this.#secrets.maskDeep(analysisMetadata(result)),
          },
          this.#now(),
        );
        const note = result.fallbackReason ? { note: this.#secrets.mask(result.fallbackReason) } : {};
        await this.#d.jobs.finish(tx, job.id, { analyzer: result.analyzer, commentId: id, now: this.#now(), ...note });
        return id;
      });
      this.#done++;
      log.info(
        { analyzer: result.analyzer, proposals: result.proposedActions.map((p) => p.type), rejected: result.rejectedProposals.length, durationMs: result.durationMs, fallback: result.fallbackReason ?? undefined },
        'analysis recorded',
      );
      const handOff = this.#handOff;
      if (handOff !== 'record-only') {
        try {
          await handOff(issue, result.proposedActions, commentId);
          await this.#d.jobs.markProposalsHandled(job.id, this.#now());
        } catch (err) {
          log.warn({ err: errorMessage(err) }, 'the remediation stage failed on this analysis; it is retried on the next wake');
        }
      }
      return { job, issue, result, commentId };
    } catch (err) {
      this.#failed++;
      if (!(err instanceof AppError && err.code === 'NOT_FOUND')) {
        await this.#d.jobs.fail(job.id, this.#secrets.mask(errorMessage(err)), this.#now()).catch(() => undefined);
        log.error({ err: errorMessage(err) }, 'analysis failed');
      }
      throw err;
    }
  }

  /**
   * Hands recorded analyses to the remediation stage when that did not happen right after them: the agent stopped
   * in between, or the analysis ran from the CLI (`issues-analyze`), which records but never acts. Only recent ones
   * (within the approval timeout): an old analysis no longer describes the machine.
   */
  async #handOffRecorded(): Promise<void> {
    const onAnalysed = this.#handOff;
    if (onAnalysed === 'record-only') return;
    const since = this.#now() - (this.#d.handOffWindowMs ?? 3_600_000);
    for (const pending of await this.#d.jobs.awaitingHandoff(since, 20)) {
      if (this.#stopped) return;
      const issue = await this.#d.issues.get(pending.issueId);
      const proposals = (pending.metadata as { proposedActions?: unknown } | null)?.proposedActions;
      if (issue && (issue.status === 'open' || issue.status === 'investigating') && Array.isArray(proposals)) {
        try {
          // Re-validated by the remediation stage against the catalog and gated like any other proposal.
          await onAnalysed(issue, proposals as ValidProposal[], pending.commentId);
        } catch (err) {
          this.#d.logger.warn({ component: 'analysis', issueId: issue.id, err: errorMessage(err) }, 'handing an analysis to remediation failed; retried on the next wake');
          continue;
        }
      }
      await this.#d.jobs.markProposalsHandled(pending.jobId, this.#now());
    }
  }

  async #reserveLlm(jobId: number): Promise<string | undefined> {
    const now = this.#now();
    const used = await this.#d.jobs.llmAnalysesSince(now - 3_600_000);
    if (used >= this.#d.maxLlmPerHour) {
      return `the LLM hourly cap is reached (${used} of llm.maxCallsPerHour = ${this.#d.maxLlmPerHour} analyses in the last hour)`;
    }
    await this.#d.jobs.markLlmStarted(jobId, now);
    return undefined;
  }
}
