import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { Case, CaseAssignBody, CaseDecisionBody, CaseDetail, CaseHistory, CaseList, CaseQuery } from '../cases/schemas.js';
import type { LabelPublisher } from '../feedback.js';
import type { Metrics } from '../metrics.js';
import type { AlertStore } from '../store/alert-store.js';
import { ReadToken } from './alerts.js';
import { ErrorBody, errorResponses, notFound } from './errors.js';

const CaseParams = z.object({ caseId: z.string().max(64).describe('The case id (a UUID)') });

/** The card's payments shown around a case: from a week before its first alert. */
const PAYMENTS_BEFORE_MS = 7 * 86_400_000;
const PAYMENTS_LIMIT = 500;

const unavailable = (what: string): ErrorBody => ({ statusCode: 503, error: 'Service Unavailable', message: `${what} could not be stored and nothing was sent; retry later` });

/** The analysts' desk: a card's alerts as one case, its payments around them, one decision for all. */
export const caseRoutes: FastifyPluginAsyncZod<{
  store: AlertStore;
  labels: LabelPublisher;
  metrics: Metrics;
  readAccess: AccessCheck;
  writeAccess: AccessCheck;
  /** Called after a decision or an assignment is stored (wakes the live streams). */
  onChanged: () => void;
  now?: () => Date;
}> = async (app, { store, labels, metrics, readAccess, writeAccess, onChanged, now = () => new Date() }) => {
  app.get(
    '/cases',
    {
      preHandler: readAccess,
      schema: {
        summary: 'The case queue: one case per card with open alerts (or decided ones)',
        description:
          'A new alert joins its card\'s open case or opens one; a decided case is closed and the card\'s next alert opens a new one. ' +
          'sort=priority puts first the highest maxScore, a block decision and the amount at risk; sort=age the oldest opened.',
        tags: ['cases'],
        querystring: CaseQuery,
        response: { 200: CaseList, ...errorResponses },
      },
    },
    async (request) => store.cases.list(request.query),
  );

  app.get(
    '/cases/:caseId',
    {
      preHandler: readAccess,
      schema: {
        summary: 'A case with its alerts and the card\'s payments around them',
        description: `payments: the card's scored payments (the payments store), alerted or not, with their scores and labels, from 7 days before the case's first alert, newest first, at most ${PAYMENTS_LIMIT}.`,
        tags: ['cases'],
        params: CaseParams,
        querystring: ReadToken,
        response: { 200: CaseDetail, ...errorResponses },
      },
    },
    async (request, reply) => {
      const found = await store.cases.get(request.params.caseId);
      if (!found) return reply.code(404).send(notFound(`No case with id ${request.params.caseId}`));
      const [alerts, payments] = await Promise.all([
        store.cases.alerts(found.caseId),
        store.cases.payments(found.cardId, new Date(Date.parse(found.firstAlertAt) - PAYMENTS_BEFORE_MS), PAYMENTS_LIMIT),
      ]);
      return { case: found, alerts, payments };
    },
  );

  app.post(
    '/cases/:caseId/decision',
    {
      preHandler: writeAccess,
      schema: {
        summary: 'Decide a case: one verdict for every open alert of it',
        description:
          'In one database transaction: each open alert of the case gets the verdict and its Label (source `analyst`) is queued ' +
          'for fraud.labels; the case is decided and closed. 409 when it is decided already, or when `openAlertCount` is given and the case ' +
          'has another number of open alerts now (nothing changes: look again). Requires the analysts\' token.',
        tags: ['cases'],
        security: [{ bearer: [] }],
        params: CaseParams,
        body: CaseDecisionBody,
        response: { 200: Case, ...errorResponses, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { caseId } = request.params;
      const { label, note, analyst = 'analyst', openAlertCount } = request.body;
      let outcome: Awaited<ReturnType<AlertStore['cases']['decide']>>;
      try {
        outcome = await store.cases.decide(caseId, { label, note, analyst, at: now(), openAlertCount });
      } catch (err) {
        request.log.error({ err, caseId }, 'case decision could not be stored; nothing published');
        return reply.code(503).send(unavailable('The decision'));
      }
      if (outcome === 'not-found') return reply.code(404).send(notFound(`No case with id ${caseId}`));
      if (outcome === 'already-decided') {
        return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: `Case ${caseId} is decided already` } satisfies ErrorBody);
      }
      if ('changed' in outcome) {
        const now = outcome.changed.openAlertCount;
        return reply.code(409).send({
          statusCode: 409,
          error: 'Conflict',
          message: `Case ${caseId} changed: it has ${now} open alert${now === 1 ? '' : 's'} now, not ${openAlertCount}; nothing was decided`,
        } satisfies ErrorBody);
      }
      metrics.feedback.inc({ label }, outcome.alerts.length);
      metrics.casesDecided.inc({ label });
      labels.wake();
      onChanged();
      request.log.info({ caseId, label, alerts: outcome.alerts.length, analyst }, 'case decided; its labels are queued for fraud.labels');
      return outcome.case;
    },
  );

  app.post(
    '/cases/:caseId/assign',
    {
      preHandler: writeAccess,
      schema: {
        summary: 'Assign a case to an analyst (null: unassign)',
        tags: ['cases'],
        security: [{ bearer: [] }],
        params: CaseParams,
        body: CaseAssignBody,
        response: { 200: Case, ...errorResponses, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { caseId } = request.params;
      let updated;
      try {
        updated = await store.cases.assign(caseId, request.body.assignee, request.body.analyst ?? 'analyst');
      } catch (err) {
        request.log.error({ err, caseId }, 'assignment could not be stored');
        return reply.code(503).send(unavailable('The assignment'));
      }
      if (!updated) return reply.code(404).send(notFound(`No case with id ${caseId}`));
      onChanged();
      return updated;
    },
  );

  app.get(
    '/cases/:caseId/history',
    {
      preHandler: readAccess,
      schema: {
        summary: 'Who did what to a case, when (oldest first)',
        tags: ['cases'],
        params: CaseParams,
        querystring: ReadToken,
        response: { 200: CaseHistory, ...errorResponses },
      },
    },
    async (request, reply) => {
      const found = await store.cases.get(request.params.caseId);
      if (!found) return reply.code(404).send(notFound(`No case with id ${request.params.caseId}`));
      return { events: await store.cases.history(found.caseId) };
    },
  );
};
