import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { CaseStreamFilters } from '../cases/schemas.js';
import { AlertFilters, untilAfterSince } from '../schemas.js';
import type { AlertFeed } from '../stream/alert-feed.js';
import type { CaseFeed } from '../stream/case-feed.js';
import type { EventFeed } from '../stream/event-feed.js';
import { ReadToken } from './alerts.js';
import { ErrorBody, errorResponses } from './errors.js';

/** An event id is a store sequence: a positive safe integer. */
const eventId = z
  .string()
  .regex(/^\d{1,16}$/, 'expected the id of an event sent by this stream')
  .refine((id) => Number.isSafeInteger(Number(id)), { message: `expected the id of an event sent by this stream (at most ${Number.MAX_SAFE_INTEGER})` })
  .transform(Number);

/** Long enough for a burst of refused clients not to come back at once, short for a dashboard. */
const retryAfterSeconds = 10;

const resume = {
  lastEventId: eventId.optional().describe('Resume after this event id (for the first connection; reconnects send the header)'),
};

const StreamQuery = AlertFilters.extend(ReadToken.shape).extend(resume).superRefine(untilAfterSince);
const CaseStreamQuery = CaseStreamFilters.extend(ReadToken.shape).extend(resume);

const streamResponses = { 200: z.string().describe('text/event-stream'), ...errorResponses, 429: ErrorBody };

const sharedDescription =
  'A reconnecting client sends `Last-Event-ID` and receives every event stored after it. ' +
  'Comments (`: keep-alive`) keep idle connections open. With ALERTS_READ_TOKEN set, pass it as `?token=`. ' +
  'At most ALERTS_MAX_STREAMS streams of each kind are open at once; beyond that the answer is 429 with Retry-After.';

/** Hands the connection to `feed`, or answers 429 when it serves as many streams as it may. */
async function serve<Filters>(feed: EventFeed<Filters>, reply: FastifyReply, filters: Filters, lastSequence: number | undefined): Promise<FastifyReply> {
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
}

export const streamRoutes: FastifyPluginAsyncZod<{
  feed: AlertFeed;
  caseFeed: CaseFeed;
  readAccess: AccessCheck;
}> = async (app, { feed, caseFeed, readAccess }) => {
  app.get(
    '/alerts/stream',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Live alerts (Server-Sent Events)',
        description:
          'One `alert` event per newly stored alert matching the filters, and again when an analyst reviews it ' +
          '(with its new status); the event id is the alert sequence. ' +
          sharedDescription,
        tags: ['alerts'],
        produces: ['text/event-stream'],
        querystring: StreamQuery,
        headers: z.object({ 'last-event-id': eventId.optional() }),
        response: streamResponses,
      },
    },
    async (request, reply) => {
      const { token: _token, lastEventId, ...filters } = request.query;
      return serve(feed, reply, filters, request.headers['last-event-id'] ?? lastEventId);
    },
  );

  app.get(
    '/cases/stream',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Live case changes (Server-Sent Events)',
        description:
          'One `case` event per entry of a case\'s audit trail: `type` opened (a card\'s first alert since its last decided case), ' +
          'updated (an alert joined or was reviewed, the case was assigned) or decided, with the change, who made it and the case as it is now. ' +
          'The data is a `CaseStreamEvent` (see the schemas below); the event id is the audit trail entry. ' +
          sharedDescription,
        tags: ['cases'],
        produces: ['text/event-stream'],
        querystring: CaseStreamQuery,
        headers: z.object({ 'last-event-id': eventId.optional() }),
        response: streamResponses,
      },
    },
    async (request, reply) => {
      const { token: _token, lastEventId, ...filters } = request.query;
      return serve(caseFeed, reply, filters, request.headers['last-event-id'] ?? lastEventId);
    },
  );
};
