import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { AlertFilters, untilAfterSince } from '../schemas.js';
import type { AlertFeed } from '../stream/alert-feed.js';
import { ReadToken } from './alerts.js';
import { ErrorBody, errorResponses } from './errors.js';

/** An event id is an alert sequence: a positive safe integer. */
const eventId = z
  .string()
  .regex(/^\d{1,16}$/, 'expected the id of an event sent by this stream')
  .refine((id) => Number.isSafeInteger(Number(id)), { message: `expected the id of an event sent by this stream (at most ${Number.MAX_SAFE_INTEGER})` })
  .transform(Number);

/** Long enough for a burst of refused clients not to come back at once, short for a dashboard. */
const retryAfterSeconds = 10;

const StreamQuery = AlertFilters.extend(ReadToken.shape)
  .extend({
    lastEventId: eventId.optional().describe('Resume after this event id (for the first connection; reconnects send the header)'),
  })
  .superRefine(untilAfterSince);

export const streamRoutes: FastifyPluginAsyncZod<{
  feed: AlertFeed;
  readAccess: AccessCheck;
}> = async (app, { feed, readAccess }) => {
  app.get(
    '/alerts/stream',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Live alerts (Server-Sent Events)',
        description:
          'One `alert` event per newly stored alert matching the filters, and again when an analyst reviews it ' +
          '(with its new status); the event id is the alert sequence. ' +
          'A reconnecting client sends `Last-Event-ID` and receives every alert stored after it. ' +
          'Comments (`: keep-alive`) keep idle connections open. With ALERTS_READ_TOKEN set, pass it as `?token=`. ' +
          'At most ALERTS_MAX_STREAMS streams are open at once; beyond that the answer is 429 with Retry-After.',
        tags: ['alerts'],
        produces: ['text/event-stream'],
        querystring: StreamQuery,
        headers: z.object({ 'last-event-id': eventId.optional() }),
        response: { 200: z.string().describe('text/event-stream'), ...errorResponses, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const { token: _token, lastEventId, ...filters } = request.query;
      const lastSequence = request.headers['last-event-id'] ?? lastEventId;
      if (!feed.admit()) {
        return reply
          .code(429)
          .header('retry-after', String(retryAfterSeconds))
          .send({
            statusCode: 429,
            error: 'Too Many Requests',
            message: `${feed.maxStreams} streams are open, the most this service serves at once (ALERTS_MAX_STREAMS); retry later`,
          } satisfies ErrorBody);
      }
      reply.hijack();
      await feed.open(reply.raw, { filters, lastSequence });
      return reply;
    },
  );
};
