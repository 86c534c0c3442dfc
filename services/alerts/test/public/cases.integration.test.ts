import { describe, expect, it, onTestFinished } from 'vitest';
import { testKafka, testLog } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createAlertFeed } from '../../src/stream/alert-feed.js';
import { apiToken, chargeback, makeAlert, openTestPglite, openTestStore, scoredPayment } from '../fixtures.js';
import { launchBrowser, scrollsSideways, watchedPage } from './browser.js';
import { labelsPipeline, readLabels } from './labels.js';

const HOUR_MS = 3_600_000;

describe('the analyst\'s desk', () => {
  it('works a case from the queue: the card\'s timeline, one decision with the keyboard, its labels on fraud.labels, the case closed', async () => {
    const kafka = testKafka();
    const labels = await labelsPipeline(kafka);

    const store = await openTestStore(openTestPglite);
    const now = Date.now();
    // card-42: three alerts in the last hours, after a week of quiet payments (one charged back); two other cards' cases.
    const alerts = [0.97, 0.88, 0.71].map((score, index) => makeAlert({ cardId: 'card-42', terminalId: 'term-5120', score, amount: 900 + index * 100, decision: index === 0 ? 'block' : 'review' }));
    await store.insertAlerts([...alerts, makeAlert({ cardId: 'card-7', score: 0.6 }), makeAlert({ cardId: 'card-8', score: 0.55 })]);
    const quiet = Array.from({ length: 30 }, (_, index) =>
      scoredPayment(`tx-quiet-${index}`, new Date(now - (7 * 24 - index * 5) * HOUR_MS).toISOString(), { cardId: 'card-42', amount: 10 + index, score: 0.01 }),
    );
    const flagged = alerts.map((alert) => scoredPayment(alert.transaction.transactionId, alert.transaction.timestamp, { cardId: 'card-42', amount: alert.transaction.amount, score: alert.score, flagged: true, decision: alert.decision }));
    await store.payments.addScores([...quiet, ...flagged]);
    await store.payments.addLabels([chargeback(quiet[3]!, new Date(now - HOUR_MS).toISOString())]);

    const metrics = createMetrics();
    const outbox = labels.startOutbox(store.labelOutbox, metrics);
    const app = await buildApp({ store, labels: outbox, feed: createAlertFeed({ store, metrics, log: testLog }), metrics, apiToken, log: testLog });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const browser = await launchBrowser();
    const { page, problems } = await watchedPage(browser);
    await page.setViewportSize({ width: 1024, height: 900 });
    // The landing view is the queue, highest priority first.
    await page.goto(`${address}/`);
    await page.locator('#case-rows tr').first().waitFor();
    expect(await page.locator('#case-rows tr').count()).toBe(3);
    expect(await page.locator('#case-rows tr').first().locator('td.card').textContent()).toContain('card-42');
    // j / k move the selection; Enter opens the selected case.
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await page.waitForURL(/case\.html\?caseId=/);

    // The case: its alerts with the reasons that raised the score, the card's payments on a time axis and in a table.
    await page.locator('#payment-rows tr').first().waitFor();
    expect(await page.locator('#payment-rows tr').count()).toBe(quiet.length + flagged.length);
    expect(await page.locator('#timeline-chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#case-title').textContent()).toContain('card-42');
    await expect.poll(() => page.locator('#payment-rows').textContent()).toMatch(/fraud/i);

    // f twice decides it as fraud; the token is asked for once.
    await page.keyboard.press('f');
    await page.keyboard.press('f');
    await page.locator('#token-dialog[open]').waitFor();
    await page.locator('#token-input').fill(apiToken);
    await page.locator('#token-ok').click();
    await page.locator('#decided:not([hidden])').waitFor();

    // One label per alert of the case, on fraud.labels.
    const received = await readLabels(kafka, labels.topic);
    await expect.poll(() => received.length, { timeout: 60_000 }).toBe(alerts.length);
    expect(received.map((label) => [label.transactionId, label.fraud, label.source]).sort()).toEqual(alerts.map((alert) => [alert.transaction.transactionId, true, 'analyst']).sort());

    // Closed: the queue has the other two cases; the decided list has this one.
    expect((await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases.map((c) => c.cardId)).toEqual(['card-7', 'card-8']);
    await page.goto(`${address}/cases.html`);
    await expect.poll(() => page.locator('#case-rows tr').count()).toBe(2);
    await expect.poll(() => scrollsSideways(page)).toBe(false);
    expect(problems).toEqual([]);
  });
});
