import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { IssueTracker } from '../issues/issue-tracker.js';
import type { Logger } from '../logger.js';
import { opsagentHome, resolveDatabaseUrl } from '../paths.js';
import { AnalysisRepository } from '../store/analysis-repository.js';
import { ActionRepository, type ActionStatRow } from '../store/action-repository.js';
import type { Database } from '../store/database.js';
import { IssueRepository } from '../store/issue-repository.js';
import { openDatabase } from '../store/open-database.js';
import { queueAnalysisJobs } from './analysis-worker.js';
import type { IssueDetailSource } from './issue-detail.js';
import { channelQueue } from './channels.js';
import { notificationQueue } from './notifications.js';
import { Remediation } from './remediation.js';
import { wirePipeline } from './wire.js';

// Apart from the daemon (main.ts) so that a CLI command opens the store without loading the HTTP server.

/** The database and what every process reads and writes it through. */
export interface Store {
  db: Database;
  issues: IssueRepository;
  tracker: IssueTracker;
  serverId: string;
  actions: ActionRepository;
  /** Durable analysis jobs (queued in the transaction of new, escalated and reopened issues). */
  analysisJobs: AnalysisRepository;
  /** The actions of an issue, for issues-show and the API. */
  issueActions: IssueDetailSource;
  /** Per-action-type execution and verification counts since a time, for issues-stats. */
  actionStats: (sinceMs: number) => Promise<ActionStatRow[]>;
}

export function serverIdOf(config: Config): string {
  return config.opsagent.serverId || hostname();
}

export type StoreOptions = { dbUrl?: string; home?: string; driver?: 'sqlite' | 'libsql' };

/** Opens the database and builds the repositories and the tracker, with no subscriptions yet. */
export async function openRepositories(config: Config, options: StoreOptions): Promise<Store> {
  const url = options.dbUrl ?? resolveDatabaseUrl(config.database.url, options.home ?? opsagentHome());
  const db = await openDatabase(url, { authToken: config.database.authToken, ...(options.driver ? { driver: options.driver } : {}) });
  const issues = new IssueRepository(db);
  const actions = new ActionRepository(db);
  return {
    db,
    issues,
    tracker: new IssueTracker(issues, { policy: config.issues }),
    serverId: serverIdOf(config),
    analysisJobs: new AnalysisRepository(db),
    actions,
    issueActions: async (issueId) => (await actions.listForIssue(issueId)) as unknown as Record<string, unknown>[],
    actionStats: (sinceMs) => actions.stats(sinceMs),
  };
}

/**
 * The store of a process that records but does not act (the CLI): its changes queue their analyses and Discord
 * notifications in their own transactions, and the running daemon carries them out.
 */
export async function openStore(config: Config, options: StoreOptions = {}): Promise<Store> {
  const store = await openRepositories(config, options);
  wirePipeline(
    {
      tracker: store.tracker,
      analysisQueue: config.analysis.enabled ? queueAnalysisJobs(store.analysisJobs) : undefined,
      notifications: notificationQueue(config, store.db),
      channels: channelQueue(config, store.db),
    },
    { handOff: 'record-only' },
  );
  return store;
}

/** The CLI's remediation stage: records decisions (approve, reject) and leaves executing them to the daemon. */
export function recordingRemediation(config: Config, store: Store, logger: Logger): Remediation {
  return new Remediation({ ...store, config, logger, executeApproved: false });
}
