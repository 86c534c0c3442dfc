import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  registry: Registry;
  /** Why the detector is not ready yet, or an empty list when it is. */
  notReady: () => string[];
}

/** The operations endpoints: /healthz (the process answers), /readyz (model loaded, partitions assigned), /metrics. */
export function buildOpsServer({ registry, notReady }: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = notReady();
    if (reasons.length > 0) return reply.code(503).send({ status: 'not ready', reasons });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return app;
}
