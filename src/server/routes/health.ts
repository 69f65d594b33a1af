import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface HealthReport {
  ok: boolean;
  store: { ok: boolean; location: string; error?: string };
  sources: Record<string, { state: string; [k: string]: unknown }>;
  [k: string]: unknown;
}
export type HealthCheck = () => Promise<HealthReport>;

export function registerHealthRoutes(app: FastifyInstance, deps: { health: HealthCheck; metrics: Metrics }): void {
  app.get('/healthz', async (_request, reply) => {
    const report = await deps.health();
    return reply.code(report.ok ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics.render());
  });
}
