import { describe, expect, it } from 'vitest';
import { createDetectorMetrics } from '../src/metrics.js';
import { buildOpsServer } from '../src/ops.js';

describe('ops server', () => {
  it('answers /healthz always, /readyz only when nothing is missing, and /metrics in Prometheus format', async () => {
    const metrics = createDetectorMetrics();
    metrics.scored.inc(3);
    metrics.modelInfo.set({ version: 'v7' }, 1);
    let reasons = ['no partitions assigned'];
    const app = buildOpsServer({ registry: metrics.registry, notReady: () => reasons });

    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not ready', reasons: ['no partitions assigned'] });
    reasons = [];
    expect((await app.inject('/readyz')).statusCode).toBe(200);

    const scrape = await app.inject('/metrics');
    expect(scrape.headers['content-type']).toContain('text/plain');
    expect(scrape.body).toContain('fraudstream_detector_scored_total 3');
    expect(scrape.body).toContain('fraudstream_detector_model_info{version="v7"} 1');
    expect(scrape.body).toContain('fraudstream_detector_batch_duration_seconds_bucket');
    await app.close();
  });
});
