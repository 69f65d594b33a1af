import type { ChangeHook, CommitListener, IssueTracker } from '../issues/issue-tracker.js';
import type { AnalysisWorker } from './analysis-worker.js';
import type { ChannelHooks } from './channels.js';
import type { NotificationHooks } from './notifications.js';
import type { Remediation } from './remediation.js';

/** The parts whose reactions to a change are wired here; a part that is absent (turned off, or not in this process) is skipped. */
export interface PipelineParts {
  tracker: IssueTracker;
  /** Queues analysis jobs in the change's transaction (analysis.enabled). */
  analysisQueue?: ChangeHook | undefined;
  /** The daemon's worker: runs the jobs and hands their proposals on. */
  analysisWorker?: AnalysisWorker | undefined;
  /** Gates and runs proposals; verifies actions when their alert clears. */
  remediation?: Remediation | undefined;
  /** Outbox rows for Discord in the change's transaction, and a wake-up for the sender after the commit. */
  notifications?: NotificationHooks | undefined;
  /** Outbox rows for the configured channels (Slack, Telegram, PagerDuty, webhook), the same way. */
  channels?: ChannelHooks | undefined;
}

/**
 * How far this process carries an analysis: the CLI records it ('record-only': the daemon picks the proposals up
 * from the job row within a minute), the daemon hands them to its remediation stage ('remediate').
 */
export interface PipelineMode {
  handOff: 'record-only' | 'remediate';
}

/**
 * Every subscription of the pipeline, in the order the data flows; nothing registers itself in a constructor or in
 * start(). Call it once per process, after building the parts and before starting any of them.
 */
export function wirePipeline(p: PipelineParts, mode: PipelineMode): void {
  const { tracker } = p;
  // 1. Inside the ingest / status-change transaction: what a change calls for commits with it, or not at all.
  if (p.analysisQueue) tracker.onChanges(p.analysisQueue); // new, escalated, reopened → an analysis job
  if (p.notifications) tracker.onChanges(p.notifications.onIssueChanges); // critical, resolved, flapping → outbox rows
  if (p.channels) tracker.onChanges(p.channels.onIssueChanges); // routed per channel → channel_outbox rows
  if (p.remediation) tracker.onChanges(p.remediation.verifyOnResolution); // the alert cleared → its actions verified

  // 2. After the commit: wake whoever has new work instead of waiting for its poll.
  const wakes: CommitListener[] = [];
  if (p.analysisWorker) wakes.push(p.analysisWorker.wakeOnChanges);
  if (p.notifications) wakes.push(p.notifications.afterCommit);
  if (p.channels) wakes.push(p.channels.afterCommit);
  for (const wake of wakes) tracker.afterCommit(wake);

  // 3. Analysis → remediation: each recorded analysis's proposals go through the gate, or stay recorded.
  if (mode.handOff === 'remediate' && p.analysisWorker) {
    const { remediation } = p;
    if (!remediation) throw new Error("handOff 'remediate' needs the remediation stage");
    p.analysisWorker.handOffTo(async (issue, proposals, commentId) => {
      await remediation.handleProposals(issue, proposals, commentId);
    });
  } else {
    p.analysisWorker?.handOffTo('record-only');
  }

  // 4. Remediation → notifications: approval requests, results and verifications queued with the decision.
  if (p.remediation && p.notifications) {
    p.remediation.onActionChanges(p.notifications.onActionChanges);
    p.remediation.onActionEvent(p.notifications.afterCommit);
  }
  if (p.remediation && p.channels) {
    p.remediation.onActionChanges(p.channels.onActionChanges);
    p.remediation.onActionEvent(p.channels.afterCommit);
  }
}

/**
 * A process that records action decisions but runs nothing (`opsagent mcp`): its decisions (an assistant's proposal
 * waiting for approval) queue their Discord messages in the same transaction, and the daemon's sender posts them.
 */
export function wireRecordingRemediation(remediation: Remediation, notifications: NotificationHooks | undefined): void {
  if (notifications) remediation.onActionChanges(notifications.onActionChanges);
}
