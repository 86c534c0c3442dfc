import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { encodeCursor, PageCursor } from '../cursor.js';
import { labelForFeedback, type LabelPublisher } from '../feedback.js';
import type { Metrics } from '../metrics.js';
import { AlertFilters, FeedbackLabel, StoredAlert, untilAfterSince } from '../schemas.js';
import type { AlertStore } from '../store/alert-store.js';
import { errorResponses, notFound } from './errors.js';

export interface AlertRoutesOptions {
  store: AlertStore;
  labels: LabelPublisher;
  metrics: Metrics;
  readAccess: AccessCheck;
  writeAccess: AccessCheck;
  /** Called after a verdict is stored (wakes the live streams). */
  onReviewed?: () => void;
  now?: () => Date;
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const ReadToken = z.object({
  token: z.string().max(256).optional().describe('Read token, for clients that cannot send an Authorization header (EventSource)'),
});

const ListQuery = AlertFilters.extend(ReadToken.shape)
  .extend({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: PageCursor.optional(),
  })
  .superRefine(untilAfterSince);

const AlertPage = z.object({
  items: z.array(StoredAlert),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

const AlertIdParams = z.object({ alertId: z.string().min(1).max(128) });

const FeedbackBody = z.strictObject({
  label: FeedbackLabel,
  // PostgreSQL text cannot hold NUL.
  note: z.string().max(2000).regex(/^[^\0]*$/, 'must not contain NUL characters').optional(),
});

export const alertRoutes: FastifyPluginAsyncZod<AlertRoutesOptions> = async (app, options) => {
  const { store, labels, metrics, readAccess, writeAccess, onReviewed = () => {}, now = () => new Date() } = options;

  app.get(
    '/alerts',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Stored alerts, newest first',
        description: 'Filters combine with AND. Follow `nextCursor` for older alerts.',
        tags: ['alerts'],
        querystring: ListQuery,
        response: { 200: AlertPage, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { limit, cursor: after, token: _token, ...filters } = request.query;
      const rows = await store.listAlerts(filters, limit + 1, after);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > limit && last ? encodeCursor({ detectedAt: new Date(last.detectedAtMs), sequence: last.sequence }) : null;
      // The page is the hot path (up to 500 alerts): the database already wrote each alert's JSON
      // (validated when it was consumed), so the page is assembled as text, not re-serialised.
      // The zod schema above still documents the response.
      const page = `{"items":[${items.map((item) => item.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
      // A string with a JSON content type is sent as it is (fastify skips serialisation for it).
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(page);
    },
  );

  app.get(
    '/alerts/:alertId',
    {
      preHandler: readAccess,
      schema: {
        summary: 'One alert',
        tags: ['alerts'],
        params: AlertIdParams,
        querystring: ReadToken,
        response: { 200: StoredAlert, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { alertId } = request.params;
      const alert = uuidShape.test(alertId) ? await store.getAlert(alertId) : undefined;
      if (!alert) return reply.code(404).send(notFound(`No alert with id ${alertId}`));
      return alert;
    },
  );

  app.post(
    '/alerts/:alertId/feedback',
    {
      preHandler: writeAccess,
      schema: {
        summary: "An analyst's verdict on an alert",
        description:
          'Sets the alert status and publishes a Label (source `analyst`) for its transaction to fraud.labels. ' +
          'Requires `Authorization: Bearer <ALERTS_API_TOKEN>`. Sending a new verdict replaces the previous one.',
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: AlertIdParams,
        body: FeedbackBody,
        response: { 200: StoredAlert, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { alertId } = request.params;
      const alert = uuidShape.test(alertId) ? await store.getAlert(alertId) : undefined;
      if (!alert) return reply.code(404).send(notFound(`No alert with id ${alertId}`));
      const feedback = { label: request.body.label, note: request.body.note, at: now() };
      // Publish first: if Kafka refuses, nothing changed and the analyst can retry. The other order
      // could leave a reviewed alert whose label never reached the model's training data.
      await labels.publish(labelForFeedback(alert, feedback));
      const updated = await store.recordFeedback(alertId, feedback);
      if (!updated) return reply.code(404).send(notFound(`No alert with id ${alertId}`));
      metrics.feedback.inc({ label: feedback.label });
      onReviewed();
      request.log.info({ alertId, label: feedback.label }, 'analyst feedback recorded');
      return updated;
    },
  );
};
