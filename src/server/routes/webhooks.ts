import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, zodProblem } from '../../errors.js';
import type { AlertEvent, AlertSource } from '../../model/alert.js';
import { parseAlertmanagerWebhook } from '../../sources/alertmanager-webhook.js';
import { parseNetdataNotification } from '../../sources/netdata-webhook.js';
import type { IngestRouteOptions } from './ingest-options.js';

const WebhookQuery = z.strictObject({
  token: z.string().optional(), // checked by the app's token hook
  server_id: z.string().trim().min(1).max(200).optional(),
});

function queryOf(request: FastifyRequest): z.infer<typeof WebhookQuery> {
  const parsed = WebhookQuery.safeParse(request.query ?? {});
  if (!parsed.success) throw new AppError('INPUT_INVALID', `query: ${zodProblem(parsed.error, { whole: null })}`);
  return parsed.data;
}

/**
 * Source webhooks (DESIGN §5). Handlers only translate and record: each answers 202 after the events are committed,
 * 4xx with nothing stored on bad input. The body limit (1 MiB by default) is the app's.
 */
export const webhookRoutes: FastifyPluginAsync<IngestRouteOptions> = async (app, deps) => {
  const record = async (source: AlertSource, events: AlertEvent[], started: number) => {
    const results = await deps.tracker.ingest(events);
    deps.metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source }, events.length);
    deps.metrics.inc('opsagent_ingest_seconds_sum', 'Total time spent ingesting over HTTP', {}, (performance.now() - started) / 1000);
    deps.metrics.inc('opsagent_ingest_requests_total', 'HTTP ingest requests', {});
    return results;
  };

  app.post('/api/v1/webhooks/netdata', async (request, reply) => {
    const started = performance.now();
    const query = queryOf(request);
    const result = parseNetdataNotification(request.body, {
      serverId: deps.serverId,
      now: Date.now(),
      ...(query.server_id ? { serverIdOverride: query.server_id } : {}),
    });
    if (result.kind === 'ignored') return reply.code(202).send({ accepted: 0, ignored: result.reason, results: [] });
    const results = await record('netdata', [result.event], started);
    return reply.code(202).send({ accepted: 1, results });
  });

  app.post('/api/v1/webhooks/alertmanager', async (request, reply) => {
    const started = performance.now();
    const query = queryOf(request);
    const events = parseAlertmanagerWebhook(request.body, { serverId: query.server_id ?? deps.serverId, now: Date.now() });
    const results = await record('alertmanager', events, started);
    return reply.code(202).send({ accepted: events.length, results });
  });
};
