import type { FastifyPluginAsync } from 'fastify';
import { parseGenericEvents } from '../../sources/generic-event.js';
import type { IngestRouteOptions } from './ingest-options.js';

/** POST /api/v1/alerts: one generic AlertEvent or an array; answers after the commit. */
export const alertRoutes: FastifyPluginAsync<IngestRouteOptions> = async (app, deps) => {
  app.post('/api/v1/alerts', async (request, reply) => {
    const started = performance.now();
    const events = parseGenericEvents(request.body, { serverId: deps.serverId, now: Date.now() });
    const results = await deps.tracker.ingest(events);
    deps.metrics.inc('opsagent_events_ingested_total', 'Alert events committed, by source', { source: 'opsagent' }, events.length);
    deps.metrics.inc('opsagent_ingest_seconds_sum', 'Total time spent ingesting over HTTP', {}, (performance.now() - started) / 1000);
    deps.metrics.inc('opsagent_ingest_requests_total', 'HTTP ingest requests', {});
    return reply.code(202).send({ accepted: events.length, results });
  });
};
