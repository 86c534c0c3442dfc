import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { vendorFiles } from '../../src/routes/vendor.js';
import { openTestPglite, testApp } from '../fixtures.js';

describe('vendor routes', () => {
  it('serve uPlot from node_modules with the cache headers of the dashboard files', async () => {
    const { app } = await testApp(openTestPglite);
    const own = await app.inject({ method: 'GET', url: '/style.css' });
    const script = await app.inject({ method: 'GET', url: '/vendor/uplot.esm.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(script.body).toBe(await readFile(vendorFiles['uplot.esm.js'] ?? '', 'utf8'));
    expect(script.body).toContain('export');
    const styles = await app.inject({ method: 'GET', url: '/vendor/uplot.min.css' });
    expect(styles.statusCode).toBe(200);
    expect(styles.headers['content-type']).toMatch(/^text\/css/);
    for (const response of [script, styles]) {
      expect(response.headers['cache-control']).toBe(own.headers['cache-control']);
      expect(response.headers.etag).toBeDefined();
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('answer 404 for anything else under /vendor', async () => {
    const { app } = await testApp(openTestPglite);
    for (const url of ['/vendor/', '/vendor/uPlot.cjs.js', '/vendor/uplot.d.ts', '/vendor/../package.json', '/vendor/%2e%2e/%2e%2e/package.json']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
    }
  });
});
