import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { chromium } from 'playwright-core';
import { decodeLabel, type Label } from '@fraudstream/shared';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createLabelOutbox } from '../../src/outbox.js';
import { createAlertFeed } from '../../src/stream/alert-feed.js';
import { apiToken, makeAlert, openTestPglite, openTestStore } from '../fixtures.js';

/** Debian's chromium (installed by .ci/run); playwright-core cannot download a browser here. */
const chromiumPath = '/usr/bin/chromium';

describe('dashboard', () => {
  it('shows a new alert live and marks it as fraud, which sends the label', async () => {
    const kafka = testKafka();
    const labelsTopic = uniqueName('fraud.labels');
    await createTestTopics(kafka, [{ topic: labelsTopic, partitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());

    const store = await openTestStore(openTestPglite);
    const now = Date.now();
    const history = Array.from({ length: 12 }, (_, index) =>
      makeAlert({
        cardId: `card-${100 + index}`,
        terminalId: `term-${index % 4}`,
        amount: 20 + index * 37.5,
        score: 0.55 + index * 0.035,
        detectedAt: new Date(now - (12 - index) * 240_000).toISOString(),
      }),
    );
    await store.insertAlerts(history);
    const metrics = createMetrics();
    const feed = createAlertFeed({ store, metrics, log: testLog });
    const outbox = createLabelOutbox({ outbox: store.labelOutbox, producer, topic: labelsTopic, metrics, log: testLog, maxPendingMs: 60_000 });
    outbox.start();
    onTestFinished(() => outbox.stop());
    const app = await buildApp({
      store,
      labels: outbox,
      feed,
      metrics,
      apiToken,
      log: testLog,
    });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    onTestFinished(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const offline: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(address) && !request.url().startsWith('data:')) offline.push(request.url());
    });
    // A second analyst has the dashboard open too and sees the verdict arrive.
    const colleague = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await colleague.goto(`${address}/`);
    await colleague.locator('#connection[data-state="live"]').waitFor();
    await page.goto(`${address}/`);
    await page.locator('#connection[data-state="live"]').waitFor();
    await expect.poll(() => page.locator('#alert-rows tr').count()).toBe(history.length);

    const fresh = makeAlert({ cardId: 'card-4242', terminalId: 'term-99', amount: 1899.99, score: 0.97 });
    await store.insertAlerts([fresh]);
    feed.notify();
    const row = page.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"]`);
    await row.waitFor();
    expect(await page.locator('#alert-rows tr').first().getAttribute('data-alert-id')).toBe(fresh.alertId);
    await expect.poll(() => row.textContent()).toContain('card-4242');
    expect(await row.textContent()).toContain('1,899.99');

    await row.locator('button.mark-fraud').click();
    await page.locator('#token-dialog[open]').waitFor();
    await page.locator('#token-input').fill(apiToken);
    await page.locator('#token-ok').click();
    await page.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"][data-status="fraud"]`).waitFor();
    await colleague.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"][data-status="fraud"]`).waitFor();
    await page.screenshot({ path: join(tmpdir(), 'fraudstream-dashboard.png') });

    expect((await store.getAlert(fresh.alertId))?.status).toBe('fraud');
    const labels = kafka.consumer({ groupId: uniqueName('labels-reader') });
    await labels.connect();
    onTestFinished(() => labels.disconnect());
    await labels.subscribe({ topic: labelsTopic, fromBeginning: true });
    const received: Label[] = [];
    await labels.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeLabel(message.value);
        if (decoded.ok) received.push(decoded.value);
      },
    });
    await expect.poll(() => received, { timeout: 20_000 }).toHaveLength(1);
    expect(received[0]).toMatchObject({ transactionId: fresh.transaction.transactionId, fraud: true, source: 'analyst' });
    expect(offline).toEqual([]);
  });
});
