import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { eventJsonSchemas } from '@fraudstream/shared';

const EventName = z.object({ event: z.enum(['transaction', 'label']).describe('transaction or label') });

/**
 * The input contract as JSON Schemas generated from the zod schemas the services validate with, so the
 * documented contract cannot drift from the enforced one. Public: it says nothing about any payment.
 */
export const schemaRoutes: FastifyPluginAsyncZod = async (app) => {
  const schemas = eventJsonSchemas();
  app.get(
    '/schemas/:event.json',
    {
      schema: {
        summary: 'The JSON Schema of an input event (Transaction or Label, version 1)',
        description: 'Generated from the schemas the detector and the alerts service validate with; rules JSON Schema cannot express are in its description.',
        tags: ['contract'],
        params: EventName,
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (request, reply) => reply.type('application/schema+json').header('cache-control', 'public, max-age=300').send(schemas[request.params.event]),
  );
};
