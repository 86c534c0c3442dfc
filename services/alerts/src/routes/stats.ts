import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { AlertStats } from '../schemas.js';
import type { AlertStore } from '../store/alert-store.js';
import { ReadToken } from './alerts.js';
import { errorResponses } from './errors.js';

export const statsRoutes: FastifyPluginAsyncZod<{
  store: AlertStore;
  readAccess: AccessCheck;
  now?: () => Date;
}> = async (app, { store, readAccess, now = () => new Date() }) => {
  app.get(
    '/stats',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Alert rate, review totals, precision and model versions',
        description:
          'alertsPerMinute covers the last 60 minutes of detection time; precision is fraud / (fraud + legit) over ' +
          'analyst-reviewed alerts; modelVersions lists the versions that raised alerts in the last 24 hours.',
        tags: ['stats'],
        querystring: ReadToken,
        response: { 200: AlertStats, ...errorResponses },
      },
    },
    async () => store.stats(now()),
  );
};
