import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface HealthReport {
  ok: boolean;
  store: { ok: boolean; location: string; error?: string };
  sources: Record<string, { state: string; [k: string]: unknown }>;
  [k: string]: unknown;
}
export type HealthCheck = () => Promise<HealthReport>;

export interface HealthRouteOptions {
  health: HealthCheck;
  metrics: Metrics;
}

/** GET /healthz (503 when the store or a source is down) and GET /metrics (Prometheus text). */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, deps) => {
  app.get('/healthz', async (_request, reply) => {
    const report = await deps.health();
    return reply.code(report.ok ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics.render());
  });
};
