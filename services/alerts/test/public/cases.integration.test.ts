import { describe, expect, it, onTestFinished } from 'vitest';
import { testKafka, testLog } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createAlertFeed } from '../../src/stream/alert-feed.js';
import { apiToken, chargeback, makeAlert, openTestPglite, openTestStore, scoredPayment } from '../fixtures.js';
import { UNDO_MS } from '../../public/cases-format.js';
import { launchBrowser, scrollsSideways, watchedPage } from './browser.js';
import { labelsPipeline, readLabels } from './labels.js';

const HOUR_MS = 3_600_000;
/**
 * How long a change made elsewhere may take to show: well within a second on the stream, given more
 * on a busy machine, and still short of the pages' own periodic read (15 s after the last one), so
 * that it shows only by the stream.
 */
const LIVE_MS = 10_000;

describe('the analyst\'s desk', () => {
  it('works the cases from the keyboard and live: one key decides (u undoes it), its labels on fraud.labels, other analysts\' decisions shown on the stream', async () => {
    const kafka = testKafka();
    const labels = await labelsPipeline(kafka);

    const store = await openTestStore(openTestPglite);
    const now = Date.now();
    // card-42: three alerts in the last hours, after a week of quiet payments (one charged back); three other cards' cases.
    const alerts = [0.97, 0.88, 0.71].map((score, index) => makeAlert({ cardId: 'card-42', terminalId: 'term-5120', score, amount: 900 + index * 100, decision: index === 0 ? 'block' : 'review' }));
    await store.insertAlerts([...alerts, makeAlert({ cardId: 'card-7', score: 0.6 }), makeAlert({ cardId: 'card-8', score: 0.55 }), makeAlert({ cardId: 'card-9', score: 0.5 })]);
    const quiet = Array.from({ length: 30 }, (_, index) =>
      scoredPayment(`tx-quiet-${index}`, new Date(now - (7 * 24 - index * 5) * HOUR_MS).toISOString(), { cardId: 'card-42', amount: 10 + index, score: 0.01 }),
    );
    const flagged = alerts.map((alert) => scoredPayment(alert.transaction.transactionId, alert.transaction.timestamp, { cardId: 'card-42', amount: alert.transaction.amount, score: alert.score, flagged: true, decision: alert.decision }));
    await store.payments.addScores([...quiet, ...flagged]);
    await store.payments.addLabels([chargeback(quiet[3]!, new Date(now - HOUR_MS).toISOString())]);
    const caseOf = new Map((await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases.map((kase) => [kase.cardId, kase.caseId]));
    const caseId = (cardId: string) => caseOf.get(cardId) ?? expect.unreachable(`no case of ${cardId}`);

    const metrics = createMetrics();
    const outbox = labels.startOutbox(store.labelOutbox, metrics);
    const app = await buildApp({ store, labels: outbox, feed: createAlertFeed({ store, metrics, log: testLog }), metrics, apiToken, log: testLog });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    /** Another analyst's decision, through the API. */
    const decideElsewhere = async (cardId: string, label: 'fraud' | 'legit') => {
      const response = await fetch(`${address}/cases/${caseId(cardId)}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ label, analyst: 'bob' }),
      });
      expect(response.status).toBe(200);
    };

    const browser = await launchBrowser();
    const { page, problems } = await watchedPage(browser);
    const decisionsSent: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/decision')) decisionsSent.push(request.url());
    });
    const toast = page.locator('#toast');
    const rows = page.locator('#case-rows tr');
    await page.setViewportSize({ width: 1024, height: 900 });
    // The landing view is the queue, highest priority first, following the case stream.
    await page.goto(`${address}/`);
    await rows.first().waitFor();
    expect(await rows.count()).toBe(4);
    expect(await rows.first().locator('td.card').textContent()).toContain('card-42');
    await page.locator('#live-state[data-state="live"]').waitFor();
    // j / k move the selection.
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await rows.first().getAttribute('aria-current')).toBe('true');

    // l decides the selected case at once, to be sent after the undo window (the token is asked for
    // first, once), and moves on to the next case; u undoes it, and nothing is ever sent.
    await page.keyboard.press('l');
    await page.locator('#token-dialog[open]').waitFor();
    await page.locator('#token-input').fill(apiToken);
    await page.locator('#token-ok').click();
    await expect.poll(() => rows.first().getAttribute('data-pending')).toBe('legit');
    expect(await toast.textContent()).toBe('card-42: legit — its 3 open alerts get this verdict and their labels go to fraud.labels in 5 s. Undo (u / Esc)');
    expect(await rows.nth(1).getAttribute('aria-current')).toBe('true');
    await page.keyboard.press('u');
    await expect.poll(() => toast.textContent()).toBe('Not decided: card-42 stays open.');
    expect(await rows.first().getAttribute('data-pending')).toBe('');
    await page.waitForTimeout(UNDO_MS + 1500);
    expect(decisionsSent).toEqual([]);
    expect((await store.cases.get(caseId('card-42')))?.status).toBe('open');

    // Back to card-42; Enter opens it.
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await page.waitForURL(/case\.html\?caseId=/);

    // The case: its alerts with the reasons that raised the score, the card's payments on a time axis and in a table.
    await page.locator('#payment-rows tr').first().waitFor();
    expect(await page.locator('#payment-rows tr').count()).toBe(quiet.length + flagged.length);
    expect(await page.locator('#timeline-chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#case-title').textContent()).toContain('card-42');
    await expect.poll(() => page.locator('#payment-rows').textContent()).toMatch(/fraud/i);
    await page.locator('#live-state[data-state="live"]').waitFor();

    // One f decides it as fraud: it waits out its undo window (the Fraud button marked), then is sent.
    await page.keyboard.press('f');
    await expect.poll(() => toast.textContent()).toContain('card-42: fraud — its 3 open alerts get this verdict');
    expect(await page.locator('#decide-fraud').getAttribute('class')).toContain('armed');
    await page.locator('#decided:not([hidden])').waitFor({ timeout: UNDO_MS + 30_000 });
    expect(decisionsSent).toEqual([`${address}/cases/${caseId('card-42')}/decision`]);

    // One label per alert of the case, on fraud.labels.
    const received = await readLabels(kafka, labels.topic);
    await expect.poll(() => received.length, { timeout: 60_000 }).toBe(alerts.length);
    expect(received.map((label) => [label.transactionId, label.fraud, label.source]).sort()).toEqual(alerts.map((alert) => [alert.transaction.transactionId, true, 'analyst']).sort());

    // The next case, card-7: another analyst decides it while its page is open here, and it shows, without a reload.
    await expect.poll(() => page.locator('#next-case').textContent()).toContain('card-7');
    await page.locator('#next-case').click();
    await page.waitForURL((url) => url.searchParams.get('caseId') === caseId('card-7'));
    await page.locator('#decide-form:not([hidden])').waitFor();
    await page.locator('#live-state[data-state="live"]').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await decideElsewhere('card-7', 'legit');
    await page.locator('#decided:not([hidden])').waitFor({ timeout: LIVE_MS });
    expect(await page.locator('#decided-text').textContent()).toContain('Decided legit by bob');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // Closed: the queue has the other two cases.
    expect((await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases.map((c) => c.cardId)).toEqual(['card-8', 'card-9']);
    await page.goto(`${address}/cases.html`);
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => scrollsSideways(page)).toBe(false);

    // f on card-8, and the page is left within the undo window: the decision goes as it leaves.
    await page.locator('#live-state[data-state="live"]').waitFor();
    expect(await rows.first().getAttribute('aria-current')).toBe('true');
    await page.keyboard.press('f');
    await expect.poll(() => rows.first().getAttribute('data-pending')).toBe('fraud');
    await page.goto(`${address}/cases.html?status=decided`);
    await expect.poll(async () => (await store.cases.get(caseId('card-8')))?.decision?.label, { timeout: 30_000 }).toBe('fraud');

    // The queue follows the stream: card-9, decided elsewhere, leaves it.
    await page.goto(`${address}/cases.html`);
    await expect.poll(() => rows.count()).toBe(1);
    await page.locator('#live-state[data-state="live"]').waitFor();
    await decideElsewhere('card-9', 'legit');
    await expect.poll(() => rows.count(), { timeout: LIVE_MS }).toBe(0);
    expect(problems).toEqual([]);
  });
});
