import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const require = createRequire(import.meta.url);

/**
 * Browser files of the dashboard's run-time dependencies, by the name it asks for under /vendor/.
 * They come from node_modules, never a CDN: the Content-Security-Policy allows this origin only.
 */
export const vendorFiles: Readonly<Record<string, string>> = {
  'uplot.esm.js': require.resolve('uplot/dist/uPlot.esm.js'),
  'uplot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};

/** Serves `vendorFiles` with @fastify/static's `sendFile` (registered by the app), so with the same cache headers as the dashboard's own files. */
export const vendorRoutes: FastifyPluginAsync = async (app) => {
  for (const [name, path] of Object.entries(vendorFiles)) {
    app.get(`/vendor/${name}`, { schema: { hide: true } }, (_request, reply) => reply.sendFile(basename(path), dirname(path)));
  }
};
