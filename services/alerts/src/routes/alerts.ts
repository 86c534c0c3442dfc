import { z } from 'zod';
import { maskCardNumbers } from '@fraudstream/shared';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { encodeCursor, PageCursor } from '../cursor.js';
import type { LabelPublisher } from '../feedback.js';
import type { Metrics } from '../metrics.js';
import { AlertFilters, FeedbackLabel, StoredAlert, untilAfterSince } from '../schemas.js';
import type { AlertStore } from '../store/alert-store.js';
import { ErrorBody, errorResponses, notFound } from './errors.js';

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

/** A lone UTF-16 surrogate: JSON can carry one, UTF-8 (hence PostgreSQL text) cannot. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const FeedbackBody = z.strictObject({
  label: FeedbackLabel,
  // What PostgreSQL text cannot store is refused here, before anything is written.
  note: z
    .string()
    .max(2000)
    .refine((note) => !note.includes('\u0000'), 'must not contain the NUL character (\\u0000)')
    .refine((note) => !loneSurrogate.test(note), 'must be valid Unicode (a lone surrogate such as \\ud800 is not)')
    // An analyst may paste a card number: it is stored and published masked.
    .transform(maskCardNumbers)
    .optional(),
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
          'Sets the alert status and, in the same database transaction, queues a Label (source `analyst`) for its ' +
          'transaction; the answer comes once both are committed, and the label follows on fraud.labels (within a ' +
          'second while Kafka is up; while it is down, when it is back). ' +
          'Requires `Authorization: Bearer <ALERTS_API_TOKEN>`. Sending a new verdict replaces the previous one ' +
          '(and sends a new label). 503 when the database cannot store it: nothing changed and nothing is sent; retry.',
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: AlertIdParams,
        body: FeedbackBody,
        response: { 200: StoredAlert, ...errorResponses, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { alertId } = request.params;
      if (!uuidShape.test(alertId)) return reply.code(404).send(notFound(`No alert with id ${alertId}`));
      const feedback = { label: request.body.label, note: request.body.note, at: now() };
      let updated: StoredAlert | undefined;
      try {
        updated = await store.recordFeedback(alertId, feedback);
      } catch (err) {
        request.log.error({ err, alertId }, 'analyst feedback could not be stored; nothing published');
        return reply.code(503).send({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'The verdict could not be stored and nothing was sent; retry later',
        } satisfies ErrorBody);
      }
      if (!updated) return reply.code(404).send(notFound(`No alert with id ${alertId}`));
      metrics.feedback.inc({ label: feedback.label });
      labels.wake();
      onReviewed();
      request.log.info({ alertId, label: feedback.label }, 'analyst feedback recorded; its label is queued for fraud.labels');
      return updated;
    },
  );
};
