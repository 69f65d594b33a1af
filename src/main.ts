import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { secretMaskerFor } from './config/secret-values.js';
import { AppError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { opsagentHome, resolveDatabaseUrl, resolveRunbooksDir } from './paths.js';
import { loadRunbooks } from './model/runbook.js';
import { Remediation } from './pipeline/remediation.js';
import { openRepositories, type Store } from './pipeline/store-setup.js';
import { IssueAnalyzer } from './analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from './analysis/settings.js';
import { AnalysisWorker, queueAnalysisJobs } from './pipeline/analysis-worker.js';
import { channelButtons, channelsForAgent } from './pipeline/channels.js';
import { discordForAgent } from './pipeline/notifications.js';
import { remediationService } from './pipeline/remediation-service.js';
import { alertExpiryService, expireDueActivations } from './pipeline/alert-expiry.js';
import { every, type BackgroundService } from './pipeline/service.js';
import { wirePipeline } from './pipeline/wire.js';
import { AccessPolicy } from './server/api-access.js';
import { buildApp } from './server/app.js';
import { allowedHostNames } from './server/host-names.js';
import { isLoopbackAddress } from './model/loopback.js';
import { Metrics } from './server/metrics.js';
import { actionRoutes } from './server/routes/actions.js';
import { alertRoutes } from './server/routes/alerts.js';
import { alertmanagerApiRoutes } from './server/routes/alertmanager-api.js';
import { dashboardRoutes } from './server/routes/dashboard.js';
import { discordInteractionRoutes } from './server/routes/discord.js';
import { slackInteractionRoutes } from './server/routes/slack.js';
import { telegramWebhookRoutes } from './server/routes/telegram.js';
import { healthRoutes, type HealthReport } from './server/routes/health.js';
import { issueRoutes } from './server/routes/issues.js';
import { silenceRoutes } from './server/routes/silences.js';
import { mcpRoutes } from './server/routes/mcp.js';
import type { McpDeps } from './mcp/deps.js';
import { webhookRoutes } from './server/routes/webhooks.js';
import { NetdataPoller } from './sources/netdata-poller.js';
import { netdataTargets } from './sources/netdata-targets.js';
import type { ClaimPreference } from './store/analysis-repository.js';
import { ensureLocalToken, localTokenPath } from './store/local-token.js';
import { checkIntegrity, StoreProbe } from './store/store-health.js';
import { redactUrl } from './secrets.js';

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

export { openStore, recordingRemediation, serverIdOf, type Store } from './pipeline/store-setup.js';

export interface RunningAgent {
  url: string;
  app: FastifyInstance;
  store: Store;
  metrics: Metrics;
  /** The gate, approvals and verification of DESIGN §4. */
  remediation: Remediation;
  /** The local API token file (0600, beside the database); undefined when server.apiToken is the credential. */
  tokenFile: string | undefined;
  stop(): Promise<void>;
}

/** The composition root: builds every object of the daemon, wires them, starts it, and returns how to stop it. */
export async function startAgent(config: Config, logger: Logger, options: { dbUrl?: string; home?: string } = {}): Promise<RunningAgent> {
  if (!isLoopbackAddress(config.server.host) && !config.server.apiToken) {
    throw new AppError('CONFIG_INVALID', `refusing to listen on ${config.server.host} without server.apiToken (set OPSAGENT_API_TOKEN)`);
  }
  // Steering over HTTP always needs a credential: server.apiToken, else a local token only the agent's user can read
  // (beside the database; `opsagent token` prints it). Made before anything opens, so a bad token file stops nothing.
  const home = options.home ?? opsagentHome();
  const tokenFile = config.server.apiToken ? undefined : localTokenPath(options.dbUrl ?? resolveDatabaseUrl(config.database.url, home), home);
  let steeringToken = config.server.apiToken;
  if (tokenFile) {
    const local = ensureLocalToken(tokenFile);
    steeringToken = local.token;
    if (local.created) logger.info({ tokenFile }, 'created the local API token');
  }
  const store = await openRepositories(config, { ...options, logger });
  // A damaged file refuses to start with one sentence (what to do included); see store-health.ts for why.
  await checkIntegrity(store.db).catch(async (err: unknown) => {
    await store.db.close();
    throw err;
  });
  const secrets = secretMaskerFor(config); // masked in /healthz, /metrics, error answers and analysis comments
  const metrics = new Metrics({ mask: secrets.mask });

  // Local runbooks, read once at start (`opsagent runbooks-check` validates the folder; a bad file is skipped).
  const runbooksDir = resolveRunbooksDir(config.runbooks.dir, home);
  const runbookFolder = runbooksDir ? loadRunbooks(runbooksDir) : { runbooks: [], problems: [] };
  const runbooks = runbookFolder.runbooks;
  for (const problem of runbookFolder.problems) logger.warn({ component: 'runbooks', problem }, 'runbook skipped');

  // ---- the stages ----
  const pollers = netdataTargets(config).map((target) => {
    const labels = { source: 'netdata', url: redactUrl(target.url) };
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
  const analysisWorker = config.analysis.enabled
    ? new AnalysisWorker({
        tracker: store.tracker,
        issues: store.issues,
        jobs: store.analysisJobs,
        analyzer: new IssueAnalyzer({ ...analyzerSettingsFrom(config, store.serverId), runbooks }),
        agentId: store.serverId,
        claimPreference: claimPreferenceOf(store, pollers),
        maxLlmPerHour: config.llm.maxCallsPerHour,
        secrets,
        logger,
      })
    : undefined;
  const remediation = new Remediation({ ...store, config, logger, executeApproved: true });
  const discord = discordForAgent({
    config,
    db: store.db,
    approvals: remediation,
    issueButtons: {
      ack: (issueId, by) => store.silences.ack(issueId, by),
      snooze: (issueId, by) => store.silences.snooze(issueId, by),
      silenceUntilResolved: (issueId, by) => store.silences.silenceUntilResolved(issueId, by),
    },
    logger,
  });
  const channels = channelsForAgent({
    config,
    db: store.db,
    logger,
    onOutcome: (channel, outcome) => metrics.inc('opsagent_channel_deliveries_total', 'Answers of each channel to a delivery, by outcome', { channel, outcome }),
  });
  for (const c of config.channels.filter((ch) => ch.enabled)) {
    metrics.inc('opsagent_channel_deliveries_total', 'Answers of each channel to a delivery, by outcome', { channel: c.name, outcome: 'sent' }, 0);
  }

  wirePipeline(
    {
      tracker: store.tracker,
      analysisQueue: analysisWorker ? queueAnalysisJobs(store.analysisJobs) : undefined,
      analysisWorker,
      remediation,
      notifications: discord.hooks,
      silences: store.silences,
      channels: channels.hooks,
    },
    { handOff: 'remediate' },
  );

  const services: BackgroundService[] = [
    remediationService(remediation, config.actions.scanIntervalSeconds * 1000, logger),
    ...discord.services,
    store.silences.service(),
    ...channels.senders,
    ...channels.services,
    every('archiver', 86_400_000, async () => {
      const n = await store.tracker.archive(config.issues.archiveAfterDays);
      if (n > 0) logger.info({ component: 'archiver', closed: n }, 'archived resolved issues');
    }, (err) => logger.warn({ component: 'archiver', err: errorMessage(err) }, 'archiving failed')),
    alertExpiryService(store.tracker, store.db, logger),
    ...(analysisWorker ? [analysisWorker] : []),
    ...pollers,
  ];

  // ---- what the operator sees: metrics, health, HTTP ----
  for (const source of ['netdata', 'alertmanager', 'opsagent']) {
    metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source }, 0);
  }
  metrics.collect(async () => {
    const rows = await store.db.all(
      `SELECT severity, COUNT(*) AS n FROM issues WHERE status IN ('open','investigating') GROUP BY severity`,
    );
    metrics.replace('opsagent_open_issues', 'Open or investigating issues by severity', [
      [{ severity: 'warning' }, Number(rows.find((r) => r.severity === 'warning')?.n ?? 0)],
      [{ severity: 'critical' }, Number(rows.find((r) => r.severity === 'critical')?.n ?? 0)],
    ]);
  });
  metrics.collect(async () => {
    const series: [Record<string, string>, number][] = [];
    for (const sender of channels.senders) {
      series.push([{ channel: sender.channel.name }, await channels.repo.pendingCount(sender.channel.name)]);
    }
    metrics.replace('opsagent_channel_queue', 'Notifications waiting in each channel\'s outbox', series);
    metrics.replace(
      'opsagent_channel_up',
      'Whether each channel is delivering (0 after a 401/403/404 or while backing off)',
      channels.senders.map((s) => [{ channel: s.channel.name, type: s.channel.type }, s.health().state === 'ok' ? 1 : 0]),
    );
  });
  // /healthz says whether the store can write (a rolled-back write, cached a few seconds), not merely whether it
  // answers a SELECT: a read-only or damaged file answers reads while every ingest fails.
  const storeProbe = new StoreProbe(store.db);
  const health = async (): Promise<HealthReport> => {
    const storeState = await storeProbe.check();
    const sources = Object.fromEntries(services.map((s) => [s.name, s.health()]));
    // Every notification channel: the seed's Discord keys (the channel named discord) and each configured one.
    const channelHealth = Object.fromEntries([
      ...discord.services.filter((s) => s.name === 'discord').map((s) => ['discord', { type: 'discord', ...s.health() }] as const),
      ...channels.senders.map((s) => [s.channel.name, s.health()] as const),
      ...config.channels.filter((c) => !c.enabled).map((c) => [c.name, { state: 'off', type: c.type }] as const),
    ]);
    return secrets.maskDeep({ ok: storeState.ok, store: storeState, sources, channels: channelHealth });
  };

  const access = new AccessPolicy({
    apiToken: config.server.apiToken,
    steeringToken,
    allowedHosts: allowedHostNames({ bindHost: config.server.host, publicUrl: config.server.publicUrl, extra: config.server.allowedHosts }),
    publicUrl: config.server.publicUrl,
  });
  const app = await buildApp({ logger, access, bodyLimitBytes: config.server.bodyLimitBytes, requestTimeoutMs: config.server.requestTimeoutMs, secrets });
  const ingest = { tracker: store.tracker, serverId: store.serverId, metrics };
  await app.register(healthRoutes, { health, metrics });
  await app.register(alertRoutes, ingest);
  await app.register(webhookRoutes, ingest);
  await app.register(alertmanagerApiRoutes, ingest);
  await app.register(issueRoutes, { tracker: store.tracker, issues: store.issues, issueActions: store.issueActions, silences: store.silences, runbooks });
  await app.register(silenceRoutes, { silences: store.silences });
  await app.register(actionRoutes, { remediation });
  if (discord.interactions) await app.register(discordInteractionRoutes, discord.interactions);
  const buttons = channelButtons(config);
  if (buttons.slack.length > 0) await app.register(slackInteractionRoutes, { channels: buttons.slack, approvals: remediation, snoozer: store.silences, interactions: channels.repo, logger });
  if (buttons.telegram.length > 0) await app.register(telegramWebhookRoutes, { channels: buttons.telegram, approvals: remediation, snoozer: store.silences, interactions: channels.repo, logger });
  await app.register(dashboardRoutes, { access, issues: store.issues, actionStats: store.actionStats });
  // MCP's SDK and tools load on the first /mcp request: the daemon's start-up and memory do not pay for them.
  let mcp: McpDeps | undefined;
  await app.register(mcpRoutes, {
    access,
    logger,
    newServer: async () => {
      const [{ buildMcpServer }, { mcpDeps }] = await Promise.all([import('./mcp/server.js'), import('./mcp/compose.js')]);
      mcp ??= mcpDeps({ config, store, remediation, analyseNow: analysisWorker ? (id) => analysisWorker.analyseNow(id) : undefined });
      return buildMcpServer(mcp);
    },
  });

  // Alerts whose endsAt passed while the agent was down expire before any post is taken, so a re-send arriving at
  // start finds the same state as one arriving a second later.
  await expireDueActivations(store.tracker, store.db).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'expiring alerts at start failed'));
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
  const storeAtStart = await storeProbe.check();
  if (!storeAtStart.ok) logger.error({ db: store.db.location, err: storeAtStart.error }, 'the database cannot be written: ingest answers 503 and /healthz 503 until it is fixed');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    // Stop taking work first, then finish what is in flight, then release the store. Every step runs even when an
    // earlier one failed, so the database is closed whatever happened; the failures are reported together.
    const failures: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${errorMessage(err)}`);
      }
    };
    await step('HTTP server', () => app.close());
    await Promise.all(services.map((s) => step(s.name, () => s.stop())));
    await step('ingest queue', () => store.tracker.drain());
    await step('database', () => store.db.close());
    if (failures.length > 0) {
      logger.error({ failures }, 'opsagent stopped with errors');
      throw new Error(`stopping failed: ${failures.join('; ')}`);
    }
    logger.info('opsagent stopped');
  };
  return { url, app, store, metrics, remediation, tokenFile, stop: () => (stopping ??= stop()) };
}
