import { z } from 'zod';
import { compileExpression, isFraudstreamError, ListName, NamedList, Rule, RuleDefinition, RuleId } from '@fraudstream/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AccessCheck } from '../auth.js';
import { VersionConflict, type RuleRegistry } from '../rules/registry.js';
import type { RuleHitStore } from '../store/rule-hits.js';
import { ErrorBody, errorResponses, notFound } from './errors.js';

export interface RuleRoutesOptions {
  registry: RuleRegistry;
  /** The detectors' hit counts per minute. */
  hits: Pick<RuleHitStore, 'totals'>;
  /** The admin token: rules and lists change what the detectors decide. */
  adminAccess: AccessCheck;
}

/** A 400 for an expression that does not compile: where it is wrong, as the editor shows it. */
export const ExpressionErrorBody = ErrorBody.extend({
  position: z.object({ offset: z.number().int(), line: z.number().int(), column: z.number().int() }),
});

const IfMatch = z.object({
  'if-match': z
    .string()
    .regex(/^"?\d+"?$/, 'expected the version to replace, such as "3"')
    .optional()
    .describe('Only change the item if its current version is this one (412 otherwise)'),
});

const expectedVersion = (header: string | undefined): number | undefined => (header === undefined ? undefined : Number(header.replaceAll('"', '')));

const ListSummary = NamedList.omit({ items: true }).extend({ size: z.number().int() });
const ListBody = z.strictObject({ items: NamedList.shape.items });

const unavailable = (message: string): ErrorBody => ({ statusCode: 503, error: 'Service Unavailable', message });
const conflict = (err: VersionConflict): ErrorBody => ({ statusCode: 412, error: 'Precondition Failed', message: err.message });

/** Turns what a change can fail with into its response; anything else is a server error. */
async function changing<T>(reply: { code(status: number): { send(body: unknown): unknown } }, change: () => Promise<T>): Promise<T | undefined> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof VersionConflict) {
      reply.code(412).send(conflict(err));
      return undefined;
    }
    if (isFraudstreamError(err, 'KAFKA_UNAVAILABLE')) {
      reply.code(503).send(unavailable(err.message));
      return undefined;
    }
    throw err;
  }
}

const changeResponses = { ...errorResponses, 412: ErrorBody, 503: ErrorBody };

const HitWindow = z.object({ hits: z.number().int(), errors: z.number().int() });
const RuleHitsResponse = z.object({
  payments: z.object({ lastHour: z.number().int(), lastDay: z.number().int() }).describe('Payments the rules were evaluated on'),
  rules: z.array(
    z.object({
      ruleId: z.string(),
      version: z.number().int().describe('The latest version that counted'),
      mode: z.enum(['active', 'shadow']),
      action: z.string(),
      lastHour: HitWindow,
      lastDay: HitWindow,
    }),
  ),
});

export const ruleRoutes: FastifyPluginAsyncZod<RuleRoutesOptions> = async (app, { registry, hits, adminAccess }) => {
  app.get(
    '/rule-hits',
    {
      preHandler: adminAccess,
      schema: {
        summary: "The rules' hits and run-time errors in the last hour and day, every replica's committed batches counted once",
        tags: ['rules'],
        security: [{ bearer: [] }],
        response: { 200: RuleHitsResponse, ...errorResponses, 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      try {
        return await hits.totals(new Date());
      } catch (err) {
        return reply.code(503).send(unavailable(`rule hits cannot be read: ${(err as Error).message}`));
      }
    },
  );

  app.get(
    '/rules',
    { preHandler: adminAccess, schema: { summary: 'Every rule, by id', tags: ['rules'], security: [{ bearer: [] }], response: { 200: z.object({ rules: z.array(Rule) }), ...errorResponses } } },
    async () => ({ rules: registry.rules() }),
  );

  app.get(
    '/rules/:id',
    { preHandler: adminAccess, schema: { summary: 'One rule', tags: ['rules'], security: [{ bearer: [] }], params: z.object({ id: RuleId }), response: { 200: Rule, ...errorResponses } } },
    async (request, reply) => {
      const rule = registry.rule(request.params.id);
      return rule ?? reply.code(404).send(notFound(`No rule ${request.params.id}`));
    },
  );

  app.put(
    '/rules/:id',
    {
      preHandler: adminAccess,
      schema: {
        summary: 'Create or change a rule',
        description:
          'The expression is CEL over `tx`, `features`, `score` and `lists`, type-checked here: a mistake is a 400 with its position. ' +
          'Every change increments the version; every detector applies it between two batches. Unchanged content keeps its version.',
        tags: ['rules'],
        security: [{ bearer: [] }],
        params: z.object({ id: RuleId }),
        headers: IfMatch,
        body: RuleDefinition,
        response: { ...changeResponses, 200: Rule, 201: Rule, 400: ExpressionErrorBody.or(ErrorBody) },
      },
    },
    async (request, reply) => {
      const compiled = compileExpression(request.body.expression);
      if (!compiled.ok) {
        const { message, offset, line, column } = compiled.error;
        return reply.code(400).send({
          statusCode: 400,
          error: 'Bad Request',
          message: `expression: ${message} (line ${line}, column ${column})`,
          field: 'expression',
          position: { offset, line, column },
        });
      }
      const result = await changing(reply, () => registry.putRule(request.params.id, request.body, 'admin', expectedVersion(request.headers['if-match'])));
      if (result === undefined) return reply;
      return reply.code(result.created ? 201 : 200).header('etag', `"${result.rule.version}"`).send(result.rule);
    },
  );

  app.delete(
    '/rules/:id',
    { preHandler: adminAccess, schema: { summary: 'Delete a rule', tags: ['rules'], security: [{ bearer: [] }], params: z.object({ id: RuleId }), response: { 204: z.null(), ...changeResponses } } },
    async (request, reply) => {
      const deleted = await changing(reply, () => registry.deleteRule(request.params.id));
      if (deleted === undefined) return reply;
      return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound(`No rule ${request.params.id}`));
    },
  );

  app.get(
    '/lists',
    {
      preHandler: adminAccess,
      schema: { summary: 'Every named list (without its items)', tags: ['rules'], security: [{ bearer: [] }], response: { 200: z.object({ lists: z.array(ListSummary) }), ...errorResponses } },
    },
    async () => ({ lists: registry.lists().map(({ items, ...list }) => ({ ...list, size: items.length })) }),
  );

  app.get(
    '/lists/:name',
    { preHandler: adminAccess, schema: { summary: 'One named list', tags: ['rules'], security: [{ bearer: [] }], params: z.object({ name: ListName }), response: { 200: NamedList, ...errorResponses } } },
    async (request, reply) => registry.list(request.params.name) ?? reply.code(404).send(notFound(`No list ${request.params.name}`)),
  );

  app.put(
    '/lists/:name',
    {
      preHandler: adminAccess,
      schema: {
        summary: 'Create or replace a named list',
        description: 'Rules read it as `lists["name"]` (e.g. `tx.cardId in lists["blocked-cards"]`). Items are ids (card tokens, terminal ids, BINs), never card numbers.',
        tags: ['rules'],
        security: [{ bearer: [] }],
        params: z.object({ name: ListName }),
        headers: IfMatch,
        body: ListBody,
        response: { 200: NamedList, 201: NamedList, ...changeResponses },
      },
    },
    async (request, reply) => {
      const result = await changing(reply, () => registry.putList(request.params.name, request.body.items, 'admin', expectedVersion(request.headers['if-match'])));
      if (result === undefined) return reply;
      return reply.code(result.created ? 201 : 200).header('etag', `"${result.list.version}"`).send(result.list);
    },
  );

  app.delete(
    '/lists/:name',
    { preHandler: adminAccess, schema: { summary: 'Delete a named list', tags: ['rules'], security: [{ bearer: [] }], params: z.object({ name: ListName }), response: { 204: z.null(), ...changeResponses } } },
    async (request, reply) => {
      const deleted = await changing(reply, () => registry.deleteList(request.params.name));
      if (deleted === undefined) return reply;
      return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound(`No list ${request.params.name}`));
    },
  );
};
