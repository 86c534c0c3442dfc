import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Metrics } from '../metrics.js';
import type { AlertStore } from '../store/alert-store.js';

const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

export const healthRoutes: FastifyPluginAsyncZod<{
  store: AlertStore;
  metrics: Metrics;
  /** Why the Kafka consumer is not consuming (empty when it is); absent when the app runs without one. */
  consumerProblems?: () => string[];
  /** Why analysts' labels are late reaching Kafka (empty when they are not). */
  labelProblems?: () => string[];
}> = async (app, { store, metrics, consumerProblems, labelProblems }) => {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: the process answers', tags: ['operations'], response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store answers, the consumer runs and no label has waited too long for Kafka',
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
      if (consumerProblems) {
        const problems = consumerProblems();
        checks['consumer'] = problems.length === 0 ? 'ok' : `unavailable: ${problems.join('; ')}`;
      }
      if (labelProblems) {
        const problems = labelProblems();
        checks['labels'] = problems.length === 0 ? 'ok' : `unavailable: ${problems.join('; ')}`;
      }
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
