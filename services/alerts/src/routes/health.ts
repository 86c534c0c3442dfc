import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Metrics } from '../metrics.js';
import type { AlertStore } from '../store/alert-store.js';

const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

export const healthRoutes: FastifyPluginAsyncZod<{
  store: AlertStore;
  metrics: Metrics;
  /** Whether the Kafka consumer is running; absent when the app runs without one. */
  consumerHealthy?: () => boolean;
}> = async (app, { store, metrics, consumerHealthy }) => {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: the process answers', tags: ['operations'], response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store answers and the consumer runs',
        tags: ['operations'],
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      const checks: Record<string, string> = {};
      try {
        await store.ping();
        checks['store'] = 'ok';
      } catch (err) {
        request.log.warn({ err }, 'store not ready');
        checks['store'] = 'unavailable';
      }
      if (consumerHealthy) checks['consumer'] = consumerHealthy() ? 'ok' : 'unavailable';
      const ready = Object.values(checks).every((check) => check === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
};
