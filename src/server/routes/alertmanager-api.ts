import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../errors.js';
import { parseAlertmanagerApiAlerts } from '../../sources/alertmanager-api.js';
import type { IngestRouteOptions } from './ingest-options.js';

/**
 * POST /api/v2/alerts: the Alertmanager API v2 receiver, so Prometheus (`alerting.alertmanagers`, api_version v2),
 * vmalert and the rulers of Loki and Mimir post straight to the agent. Answers exactly as Alertmanager does — 200 with
 * an empty body once the valid alerts are committed, 400 with a JSON string naming the invalid ones (the valid ones
 * of the post are stored), 400/422 `{code, message}` for a body that is not a list of alerts — because senders
 * never retry (the next re-send covers a failure) and vmalert takes anything but 200 as an error.
 */
export const alertmanagerApiRoutes: FastifyPluginAsync<IngestRouteOptions> = async (app, deps) => {
  // This plugin's own answers for what Fastify refuses before the handler (bad JSON, a body too large), in
  // Alertmanager's shape; anything else (a store failure) goes on to the app's handler.
  app.setErrorHandler((err, _request, reply) => {
    const e = err as { statusCode?: number; message?: string };
    if (err instanceof AppError && err.code === 'INPUT_INVALID') return reply.code(400).send({ code: 400, message: err.message });
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ code: e.statusCode, message: `parsing alerts body failed, because ${e.message ?? 'it is malformed'}` });
    }
    throw err;
  });

  app.post('/api/v2/alerts', async (request, reply) => {
    const started = performance.now();
    const parsed = parseAlertmanagerApiAlerts(request.body, { serverId: deps.serverId, now: Date.now() });
    if (parsed.kind === 'rejected') return reply.code(parsed.status).send(parsed.body);
    if (parsed.events.length > 0) await deps.tracker.ingest(parsed.events);
    deps.metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source: 'alertmanager' }, parsed.events.length);
    deps.metrics.inc('opsagent_ingest_seconds_sum', 'Total time spent ingesting over HTTP', {}, (performance.now() - started) / 1000);
    deps.metrics.inc('opsagent_ingest_requests_total', 'HTTP ingest requests', {});
    if (parsed.problems.length > 0) {
      deps.metrics.inc('opsagent_alerts_invalid_total', 'Alerts of an API v2 post refused as invalid', {}, parsed.problems.length);
      // The valid alerts are stored; the answer names the first problems, bounded whatever the body held.
      const shown = parsed.problems.slice(0, 20).join('; ') + (parsed.problems.length > 20 ? `; …and ${parsed.problems.length - 20} more` : '');
      return reply.code(400).type('application/json').send(JSON.stringify(shown));
    }
    return reply.code(200).send();
  });
};
