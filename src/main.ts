import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { AppError, errorMessage } from './errors.js';
import { IssueTracker } from './issues/issue-tracker.js';
import type { Logger } from './logger.js';
import { opsagentHome, resolveDatabaseUrl } from './paths.js';
import { IssueAnalyzer } from './analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from './analysis/settings.js';
import { AnalysisWorker, enqueueAnalysisOnChanges, type OnAnalysed } from './pipeline/analysis-worker.js';
import type { IssueDetailSource } from './pipeline/issue-detail.js';
import { every, type BackgroundService } from './pipeline/service.js';
import { buildApp } from './server/app.js';
import { dashboardPlugin } from './server/routes/dashboard.js';
import { Metrics } from './server/metrics.js';
import { NetdataPoller } from './sources/netdata-poller.js';
import { netdataTargets } from './sources/netdata-targets.js';
import type { HealthReport } from './server/routes/health.js';
import { AnalysisRepository, type ClaimPreference } from './store/analysis-repository.js';
import type { Database } from './store/database.js';
import { IssueRepository } from './store/issue-repository.js';
import { ActionRepository } from './store/action-repository.js';
import { Remediation } from './pipeline/remediation.js';
import { remediationService } from './pipeline/remediation-service.js';
import { discordForAgent, enqueueIssueNotifications } from './pipeline/notifications.js';
import { discordInteractionsPlugin } from './server/routes/discord.js';
import { actionRoutes } from './server/routes/actions.js';
import { openDatabase } from './store/open-database.js';

export interface Store {
  db: Database;
  issues: IssueRepository;
  tracker: IssueTracker;
  serverId: string;
  actions: ActionRepository;
  /** The actions of an issue, for issues-show and the API (filled in by the actions stage). */
  issueActions?: IssueDetailSource;
  /** Per-action-type execution and verification counts since a time, for issues-stats. */
  actionStats?: (sinceMs: number) => Promise<ActionStat[]>;
  /** Durable analysis jobs (queued by a tracker hook on new, escalated and reopened issues). */
  analysisJobs: AnalysisRepository;
  /** Receives each recorded analysis's valid proposals (the remediation stage sets it); until set, they are only recorded. */
  onAnalysed?: OnAnalysed;
}

export interface ActionStat {
  action_type: string;
  executed: number;
  succeeded: number;
  verified: number;
}

export function serverIdOf(config: Config): string {
  return config.opsagent.serverId || hostname();
}

/** How long a job of another server's issue waits for that server's own agent, when agents share a database. */
const FOREIGN_JOB_WAIT_MS = 120_000;

/**
 * Agents of a fleet share one libSQL server; each takes its own machines' analyses first (it can look at their
 * processes and disks) and another machine's only when nobody took it in time. A local file has one agent: no wait.
 */
function claimPreferenceOf(store: Store, pollers: NetdataPoller[]): ClaimPreference {
  const shared = store.db.kind === 'libsql' && !store.db.location.startsWith('file:');
  return {
    // Read at each claim: a polled Netdata without a configured id is known by its uid only once it answered.
    ownServers: () => [...new Set([store.serverId, ...pollers.map((p) => p.serverId).filter(Boolean)])],
    othersAfterMs: shared ? FOREIGN_JOB_WAIT_MS : 0,
  };
}

/** Opens the store and the tracker the CLI and the daemon share. */
export async function openStore(
  config: Config,
  options: { dbUrl?: string; home?: string; driver?: 'sqlite' | 'libsql' } = {},
): Promise<Store> {
  const url = options.dbUrl ?? resolveDatabaseUrl(config.database.url, options.home ?? opsagentHome());
  const db = await openDatabase(url, { authToken: config.database.authToken, ...(options.driver ? { driver: options.driver } : {}) });
  const issues = new IssueRepository(db);
  const tracker = new IssueTracker(issues, { policy: config.issues });
  const analysisJobs = new AnalysisRepository(db);
  if (config.analysis.enabled) enqueueAnalysisOnChanges(tracker, analysisJobs);
  enqueueIssueNotifications(config, db, tracker);
  const actions = new ActionRepository(db);
  return {
    db,
    issues,
    tracker,
    serverId: serverIdOf(config),
    analysisJobs,
    actions,
    issueActions: async (issueId) => (await actions.listForIssue(issueId)) as unknown as Record<string, unknown>[],
    actionStats: (sinceMs) => actions.stats(sinceMs),
  };
}

export interface RunningAgent {
  url: string;
  app: FastifyInstance;
  store: Store;
  metrics: Metrics;
  /** The gate, approvals and verification of DESIGN §4 (notifiers subscribe with remediation.onActionEvent). */
  remediation: Remediation;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The composition root: builds every object of the daemon, starts it, and returns how to stop it. */
export async function startAgent(config: Config, logger: Logger, options: { dbUrl?: string; home?: string } = {}): Promise<RunningAgent> {
  if (!LOOPBACK.has(config.server.host) && !config.server.apiToken) {
    throw new AppError('CONFIG_INVALID', `refusing to listen on ${config.server.host} without server.apiToken (set OPSAGENT_API_TOKEN)`);
  }
  const store = await openStore(config, options);
  const metrics = new Metrics();
  const services: BackgroundService[] = [];
  const remediation = new Remediation({ ...store, config, logger, executeApproved: true });
  store.onAnalysed = async (issue, proposals, commentId) => {
    await remediation.handleProposals(issue, proposals, commentId);
  };
  services.push(remediationService(remediation, config.actions.scanIntervalSeconds * 1000, logger));
  const discord = discordForAgent({ config, db: store.db, tracker: store.tracker, remediation, logger });
  services.push(...discord.services);

  services.push(
    every('archiver', 86_400_000, async () => {
      const n = await store.tracker.archive(config.issues.archiveAfterDays);
      if (n > 0) logger.info({ component: 'archiver', closed: n }, 'archived resolved issues');
    }, (err) => logger.warn({ component: 'archiver', err: errorMessage(err) }, 'archiving failed')),
  );

  for (const source of ['netdata', 'alertmanager', 'opsagent']) {
    metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source }, 0);
  }
  const pollers = netdataTargets(config).map((target) => {
    const labels = { source: 'netdata', url: target.url };
    metrics.inc('opsagent_poll_errors_total', 'Failed polls of an alert source', labels, 0);
    return new NetdataPoller({
      ...target,
      pollIntervalMs: config.netdata.pollInterval * 1000,
      timeoutMs: config.netdata.timeoutMs,
      tracker: store.tracker,
      cursors: store.issues,
      logger,
      onIngested: (n) => metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source: 'netdata' }, n),
      onPollError: () => metrics.inc('opsagent_poll_errors_total', 'Failed polls of an alert source', labels),
    });
  });
  if (config.analysis.enabled) {
    services.push(
      new AnalysisWorker({
        tracker: store.tracker,
        issues: store.issues,
        jobs: store.analysisJobs,
        analyzer: new IssueAnalyzer(analyzerSettingsFrom(config, store.serverId)),
        agentId: store.serverId,
        claimPreference: claimPreferenceOf(store, pollers),
        maxLlmPerHour: config.llm.maxCallsPerHour,
        logger,
        onAnalysed: (issue, proposals, commentId) => store.onAnalysed?.(issue, proposals, commentId),
      }),
    );
  }
  services.push(...pollers);

  metrics.collect(async () => {
    const rows = await store.db.all(
      `SELECT severity, COUNT(*) AS n FROM issues WHERE status IN ('open','investigating') GROUP BY severity`,
    );
    metrics.replace('opsagent_open_issues', 'Open or investigating issues by severity', [
      [{ severity: 'warning' }, Number(rows.find((r) => r.severity === 'warning')?.n ?? 0)],
      [{ severity: 'critical' }, Number(rows.find((r) => r.severity === 'critical')?.n ?? 0)],
    ]);
  });

  const health = async (): Promise<HealthReport> => {
    let storeState: HealthReport['store'] = { ok: true, location: store.db.location };
    try {
      await store.db.get('SELECT 1 AS ok');
    } catch (err) {
      storeState = { ok: false, location: store.db.location, error: errorMessage(err) };
    }
    const sources = Object.fromEntries(services.map((s) => [s.name, s.health()]));
    return { ok: storeState.ok, store: storeState, sources };
  };

  const app = await buildApp({
    logger,
    tracker: store.tracker,
    issues: store.issues,
    ...(store.issueActions ? { issueActions: store.issueActions } : {}),
    serverId: store.serverId,
    apiToken: config.server.apiToken,
    bodyLimitBytes: config.server.bodyLimitBytes,
    metrics,
    health,
    plugins: [
      actionRoutes(remediation),
      ...(discord.interactions ? [discordInteractionsPlugin(discord.interactions)] : []),
      dashboardPlugin({
        apiToken: config.server.apiToken,
        issues: store.issues,
        actionStats: async (sinceMs) => store.actionStats?.(sinceMs),
      }),
    ],
  });

  let url: string;
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await app.close();
    await store.db.close();
    throw new AppError('CONFIG_INVALID', `cannot listen on ${config.server.host}:${config.server.port}: ${errorMessage(err)}`, { cause: err });
  }
  for (const s of services) s.start();
  logger.info({ url, db: store.db.location, serverId: store.serverId, permissionLevel: config.opsagent.permissionLevel }, 'opsagent started');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await app.close(); // stop taking work first, then finish what is in flight, then release the store
    await Promise.all(services.map((s) => s.stop()));
    await store.tracker.drain();
    await store.db.close();
    logger.info('opsagent stopped');
  };
  return { url, app, store, metrics, remediation, stop: () => (stopping ??= stop()) };
}
