import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { lastDays, type ModelHealthMonitor } from '../monitoring/model-health.js';
import { ModelHealth, ModelHealthQuery } from '../monitoring/schemas.js';
import { ErrorBody, errorResponses } from './errors.js';

export const modelHealthRoutes: FastifyPluginAsyncZod<{ monitor: ModelHealthMonitor; readAccess: AccessCheck }> = async (app, { monitor, readAccess }) => {
  app.get(
    '/model-health',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Live model quality per day (mature or provisional), champion and challenger, and drift per feature',
        description:
          'From the payments store (every score of fraud.scores and every label of fraud.labels of the last PAYMENTS_KEEP_DAYS days). ' +
          'A day is mature once the label delay (LABEL_DELAY_DAYS) has passed since it ended in both streams\' event time; before, its ' +
          'frauds, recall and precision are provisional. Drift: each feature\'s population stability index over the last ' +
          'MODEL_HEALTH_DRIFT_WINDOW_HOURS of event time against the serving model\'s training distribution. Figures are at most ' +
          'MODEL_HEALTH_REFRESH_MS old.',
        tags: ['model health'],
        querystring: ModelHealthQuery,
        response: { 200: ModelHealth, ...errorResponses, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      try {
        return lastDays(await monitor.snapshot(), request.query.days);
      } catch (err) {
        request.log.warn({ err }, 'model health unavailable');
        return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: `model health could not be computed: ${(err as Error).message}` });
      }
    },
  );
};
