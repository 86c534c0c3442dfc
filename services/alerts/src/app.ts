import { STATUS_CODES } from 'node:http';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  createJsonSchemaTransform,
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '@fraudstream/shared';
import { accessChecks, requireToken } from './auth.js';
import { caseStreamEventJsonSchema } from './cases/schemas.js';
import type { LabelPublisher } from './feedback.js';
import type { Metrics } from './metrics.js';
import { alertRoutes } from './routes/alerts.js';
import { badRequest, type ErrorBody } from './routes/errors.js';
import { caseRoutes } from './routes/cases.js';
import { healthRoutes } from './routes/health.js';
import { modelHealthRoutes } from './routes/model-health.js';
import type { ModelHealthMonitor } from './monitoring/model-health.js';
import { ruleRoutes } from './routes/rules.js';
import { schemaRoutes } from './routes/schemas.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';
import { vendorRoutes } from './routes/vendor.js';
import type { RuleRegistry } from './rules/registry.js';
import type { AlertStore } from './store/alert-store.js';
import type { AlertFeed } from './stream/alert-feed.js';
import { createCaseFeed, type CaseFeed } from './stream/case-feed.js';

export const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

export interface AlertsAppOptions {
  store: AlertStore;
  labels: LabelPublisher;
  feed: AlertFeed;
  /** Case changes as SSE (GET /cases/stream); made from the store when not given. */
  caseFeed?: CaseFeed;
  metrics: Metrics;
  apiToken: string;
  readToken?: string | undefined;
  consumerProblems?: () => string[];
  now?: () => Date;
  /** Rule and list management, behind its own token (ALERTS_ADMIN_TOKEN); absent: no /rules routes. */
  rules?: { registry: RuleRegistry; adminToken: string } | undefined;
  /** Live model health from the payments store (GET /model-health); absent: no such route. */
  modelHealth?: ModelHealthMonitor | undefined;
  /** Origins whose pages may call the API from a browser (CORS); none when empty or absent. */
  corsOrigins?: string[] | undefined;
}

/**
 * One policy for the dashboard and the API docs: everything from this origin only, no inline script
 * or style, no framing (the Fraud/Legit buttons must not be clickjacked).
 */
const contentSecurityPolicy = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
};

/** `url` with the value of every `token` query parameter replaced: what may be logged of a request's URL. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[Redacted]');
}

/** Log paths that can hold a token (a Bearer header, a read token in the query). */
const redactedPaths = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'req.query.token',
  'request.query.token',
  'query.token',
];

/**
 * The alerts HTTP API, dashboard and docs as one fastify plugin. The caller owns the store and the
 * label publisher (the Kafka consumer shares them); the plugin closes what it made: the live streams.
 */
export async function alertsApp(fastify: FastifyInstance, options: AlertsAppOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { store, labels, feed, metrics } = options;
  const { readAccess, writeAccess } = accessChecks({ apiToken: options.apiToken, readToken: options.readToken });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler<FastifyError>(async (err, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0];
      const field = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') || (err.validationContext ?? 'request');
      return reply.code(400).send(badRequest(field, issue?.message ?? 'invalid'));
    }
    const statusCode = err.statusCode ?? 500;
    if (statusCode < 500) {
      return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Bad Request', message: err.message } satisfies ErrorBody);
    }
    request.log.error(
      { err, request: { method: request.method, url: redactedUrl(request.url), params: request.params, query: request.query } },
      'request failed',
    );
    return reply
      .code(statusCode)
      .send({ statusCode, error: 'Internal Server Error', message: 'The request could not be completed; it has been logged' });
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // The case stream, unless the caller shares one (with the consumer that stores alerts).
  const caseFeed = options.caseFeed ?? createCaseFeed({ cases: store.cases, metrics, log: fastify.log as Logger, maxStreams: feed.maxStreams });
  const notifyStreams = (): void => {
    feed.notify();
    caseFeed.notify();
  };
  // Open event streams would keep the server from closing.
  app.addHook('preClose', async () => {
    feed.close();
    caseFeed.close();
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    frameguard: { action: 'deny' },
    // TLS, if any, ends in front of this service: HSTS is for the proxy that terminates it to send.
    strictTransportSecurity: false,
  });
  // No cross-origin reads unless origins are configured: without an allowed origin no response
  // carries Access-Control-Allow-Origin. Tokens travel in headers, never cookies: no credentials.
  await app.register(fastifyCors, {
    origin: options.corsOrigins && options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'if-match'],
    credentials: false,
    maxAge: 600,
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'fraudstream alerts',
        description:
          'Fraud alerts stored from Kafka (fraud.alerts), live stream, analyst feedback to fraud.labels. ' +
          'Reads are open unless ALERTS_READ_TOKEN is set (then send it as a Bearer token, or `?token=`).',
        version: '1',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        // The data of the case stream's events (an SSE body has no schema of its own in OpenAPI).
        schemas: { CaseStreamEvent: caseStreamEventJsonSchema() },
      },
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null },
    // Swagger UI's own policy allows framing by this origin and styles from any https: host. The docs
    // get the dashboard's, but for inline styles: Swagger UI inserts a <style> element of its own
    // (no user data reaches it), whose hash would change with every Swagger UI release.
    staticCSP: { ...contentSecurityPolicy, 'style-src': ["'self'", "'unsafe-inline'"] },
  });

  await app.register(alertRoutes, {
    store,
    labels,
    metrics,
    readAccess,
    writeAccess,
    onReviewed: notifyStreams,
    ...(options.now ? { now: options.now } : {}),
  });
  await app.register(caseRoutes, {
    store,
    labels,
    metrics,
    readAccess,
    writeAccess,
    onChanged: notifyStreams,
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.rules) {
    await app.register(ruleRoutes, { registry: options.rules.registry, hits: options.store.ruleHits, adminAccess: requireToken([options.rules.adminToken], { allowQueryToken: false }) });
  }
  await app.register(streamRoutes, { feed, caseFeed, readAccess });
  await app.register(statsRoutes, { store, readAccess, ...(options.now ? { now: options.now } : {}) });
  if (options.modelHealth) await app.register(modelHealthRoutes, { monitor: options.modelHealth, readAccess });
  await app.register(schemaRoutes);
  await app.register(healthRoutes, { store, metrics, labelProblems: () => labels.problems(), ...(options.consumerProblems ? { consumerProblems: options.consumerProblems } : {}) });
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', index: 'cases.html' });
  await app.register(vendorRoutes);
}

/** A fastify instance with the alerts app registered: what main.ts listens with and what tests inject into. */
export async function buildApp(options: AlertsAppOptions & { log: Logger }): Promise<FastifyInstance> {
  const { log, ...appOptions } = options;
  const app = Fastify({
    loggerInstance: log.child(
      {},
      {
        redact: { paths: redactedPaths, censor: '[Redacted]' },
        serializers: { req: (request: { method?: string; url?: string }) => ({ method: request.method, url: redactedUrl(request.url ?? '') }) },
      },
    ) as FastifyBaseLogger,
    // Per-request lines would dominate the log at a few hundred requests/s; /metrics has the rates.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  await app.register(alertsApp, appOptions);
  await app.ready();
  return app;
}
