import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testKafka, testLog } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { launchBrowser, scrollsSideways, watchedPage } from './browser.js';
import { labelsPipeline, readLabels } from './labels.js';
import { createMetrics } from '../../src/metrics.js';
import { createAlertFeed } from '../../src/stream/alert-feed.js';
import { createRuleRegistry } from '../../src/rules/registry.js';
import { FEATURE_NAMES } from '@fraudstream/shared';
import { createModelHealthMonitor } from '../../src/monitoring/model-health.js';
import { adminToken, apiToken, chargeback, makeAlert, memoryChannel, openTestPglite, openTestStore, readToken, recordingLabels, scoredPayment } from '../fixtures.js';

/** Runs in the page: how many pixels of a canvas are painted in the accent blue of the chart's bars. */
function barPixels(canvas: unknown): number {
  const chart = canvas as {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  };
  const pixels = chart.getContext('2d')?.getImageData(0, 0, chart.width, chart.height).data ?? new Uint8ClampedArray();
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if ((pixels[i + 2] ?? 0) > 220 && (pixels[i] ?? 0) < 140 && (pixels[i + 3] ?? 0) > 100) painted += 1;
  }
  return painted;
}

describe('dashboard', () => {
  it('shows a new alert live and marks it as fraud, which sends the label', async () => {
    const kafka = testKafka();
    const labels = await labelsPipeline(kafka);

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
    const outbox = labels.startOutbox(store.labelOutbox, metrics);
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

    const browser = await launchBrowser();
    const { page, problems, urls } = await watchedPage(browser);
    const offline: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(address) && !request.url().startsWith('data:')) offline.push(request.url());
    });
    // A second analyst has the dashboard open too and sees the verdict arrive.
    const colleague = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await colleague.goto(`${address}/alerts.html`);
    await colleague.locator('#connection[data-state="live"]').waitFor();
    await page.goto(`${address}/alerts.html`);
    await page.locator('#connection[data-state="live"]').waitFor();
    await expect.poll(() => page.locator('#alert-rows tr').count()).toBe(history.length);
    // The rate chart: uPlot, loaded from this origin's /vendor/, draws the hour's bars.
    await expect.poll(() => page.locator('#rate-now').textContent()).toContain(`${history.length} in the last hour`);
    const chart = page.locator('#rate-chart .uplot canvas');
    expect(await chart.count()).toBe(1);
    expect((await chart.boundingBox())?.width).toBeGreaterThan(1000);
    await expect.poll(() => chart.evaluate(barPixels)).toBeGreaterThan(history.length * 100);
    for (const file of ['/vendor/uplot.esm.js', '/vendor/uplot.min.css']) expect(urls).toContain(`${address}${file}`);

    // Reasons in an order no sort by contribution gives: the dashboard shows the detector's choice as it came,
    // in the detector's words when it sent them, and never one that did not raise the score (older alerts have some).
    const reasons = [
      { feature: 'amountVsCardMean7d', value: 6.2, typical: 1, contribution: 0.17 },
      { feature: 'terminalRisk7d', value: 0.8, typical: 0.02, contribution: 0.41 },
      { feature: 'TX_DURING_WEEKEND', value: 0, typical: 0.4, contribution: -0.03 },
      { feature: 'txCount24h', value: 14, typical: 3, contribution: 0.09 },
      { feature: 'TX_AMOUNT', value: 1899.99, typical: 54.31, contribution: 0.12, text: 'amount 1,899.99 (typical 54.31)' },
      { feature: 'hoursSincePrevious', value: 0.05, typical: 19.5, contribution: 0.22 },
    ];
    const base = makeAlert({ cardId: 'card-4242', terminalId: 'term-99', amount: 1899.99, score: 0.97, decision: 'block', ruleHits: [{ ruleId: 'blocked-cards', version: 3, name: 'Blocked cards', action: 'block' }] });
    // The payment happened in simulated time, long before it was detected.
    const paidAt = '2018-06-12T09:33:30.000Z';
    const fresh = {
      ...base,
      transaction: { ...base.transaction, timestamp: paidAt, channel: 'ecommerce', merchantCategory: '5732', maskedPan: '411111******1111' },
      reasons,
    };
    await store.insertAlerts([fresh]);
    feed.notify();
    const row = page.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"]`);
    await row.waitFor();
    expect(await page.locator('#alert-rows tr').first().getAttribute('data-alert-id')).toBe(fresh.alertId);
    await expect.poll(() => row.textContent()).toContain('card-4242');
    expect(await row.textContent()).toContain('1,899.99');
    // The rule that fired comes first, named with its version, then the model's reasons, each with the score it added.
    expect(await row.locator('.reason b').allTextContents()).toEqual(['Blocked cards', 'Amount Vs Card Mean 7d', 'Terminal Risk 7d', 'Tx Count 24h', 'Hours Since Previous']);
    expect(await row.locator('.reason .size').allTextContents()).toEqual(['rule', '+0.17', '+0.41', '+0.09', '+0.12', '+0.22']);
    expect(await row.locator('.reason .words').nth(4).textContent()).toBe('amount 1,899.99 (typical 54.31)');
    expect(await row.locator('.reasons').textContent()).not.toMatch(/WEEKEND|weekend/i);
    expect(await row.locator('.rule-hit.block').getAttribute('title')).toBe('rule blocked-cards, version 3: block');
    expect(await row.locator('.badge.block').textContent()).toBe('block');
    // The payment's own time, the detection's in its tooltip; its channel, merchant category and card number.
    const paidTime = await page.evaluate((iso) => new Date(iso).toLocaleTimeString(undefined, { hour12: false }), paidAt);
    expect(await row.locator('td.time').textContent()).toContain(paidTime);
    expect(await row.locator('td.time').getAttribute('title')).toBe(`payment ${paidAt} · detected ${fresh.detectedAt}`);
    expect(await row.locator('td.card .sub').textContent()).toBe('411111******1111');
    expect(await row.locator('td.num .sub').textContent()).toBe('online');
    expect(await row.locator('td.terminal .sub').textContent()).toBe('5732 electronics');

    // At 1024 px the page does not scroll sideways, and every row's verdict buttons are on screen.
    await page.setViewportSize({ width: 1024, height: 900 });
    await expect.poll(() => scrollsSideways(page)).toBe(false);
    for (const box of await Promise.all((await page.locator('#alert-rows button').all()).map((button) => button.boundingBox()))) {
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(1024);
    }
    await page.setViewportSize({ width: 1440, height: 900 });

    // The dialog says where the token is; a refused one is said so when it asks again; cancelling gives the buttons back.
    await row.locator('button.mark-fraud').click();
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-help').textContent()).toContain('.fraudstream/alerts-api-token');
    expect(await page.locator('#token-help .refusal').count()).toBe(0);
    await page.locator('#token-input').fill(`${apiToken}-wrong`);
    await page.locator('#token-ok').click();
    await page.locator('#token-help .refusal').waitFor();
    expect(await page.locator('#token-dialog').getAttribute('open')).not.toBeNull();
    expect(await page.locator('#token-help').textContent()).toMatch(/^The service refused that token: check it and enter it again\. .*\.fraudstream\/alerts-api-token/);
    await page.locator('#token-dialog button[value="cancel"]').click();
    await page.locator('#token-dialog:not([open])').waitFor({ state: 'attached' });
    await expect.poll(() => row.locator('button:disabled').count()).toBe(0);
    // Escape cancels too, even with a token typed after an earlier Save.
    await row.locator('button.mark-legit').click();
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-help .refusal').count()).toBe(0);
    await page.locator('#token-input').fill(`${apiToken}-typed`);
    await page.keyboard.press('Escape');
    await expect.poll(() => row.locator('button:disabled').count()).toBe(0);
    expect((await store.getAlert(fresh.alertId))?.status).toBe('open');

    await row.locator('button.mark-fraud').click();
    await page.locator('#token-dialog[open]').waitFor();
    await page.locator('#token-input').fill(apiToken);
    await page.locator('#token-ok').click();
    await page.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"][data-status="fraud"]`).waitFor();
    // Counted live, or by the next /stats when the minute turned since the last.
    await expect.poll(() => page.locator('#rate-now').textContent(), { timeout: 20_000 }).toContain(`${history.length + 1} in the last hour`);
    await colleague.locator(`#alert-rows tr[data-alert-id="${fresh.alertId}"][data-status="fraud"]`).waitFor();
    await page.screenshot({ path: join(tmpdir(), 'fraudstream-dashboard.png') });

    expect((await store.getAlert(fresh.alertId))?.status).toBe('fraud');
    const received = await readLabels(kafka, labels.topic);
    await expect.poll(() => received, { timeout: 20_000 }).toHaveLength(1);
    expect(received[0]).toMatchObject({ transactionId: fresh.transaction.transactionId, fraud: true, source: 'analyst' });
    expect(offline).toEqual([]);
    // Reads are open: no token in any URL, and the API token never in one.
    expect(urls.filter((url) => url.includes('token='))).toEqual([]);
    // The browser reports the refused token (403) on the console; nothing else may appear there.
    expect(problems.filter((problem) => !/status of 403/.test(problem))).toEqual([]);

    const docs = await watchedPage(browser);
    await docs.page.goto(`${address}/docs/`);
    await docs.page.locator('.opblock-summary-path[data-path="/alerts/{alertId}/feedback"]').waitFor();
    expect(docs.problems).toEqual([]);
  });

  it('with a read token, asks for it and puts only it in the stream URL', async () => {
    const store = await openTestStore(openTestPglite);
    await store.insertAlerts([makeAlert({ cardId: 'card-read-1' })]);
    const metrics = createMetrics();
    const feed = createAlertFeed({ store, metrics, log: testLog });
    const app = await buildApp({ store, labels: recordingLabels(), feed, metrics, apiToken, readToken, log: testLog });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const browser = await launchBrowser();
    const { page, problems, urls } = await watchedPage(browser);
    // The analyst's API token is in the tab already (from marking an alert earlier).
    await page.addInitScript(
      (token) => (globalThis as unknown as { sessionStorage: { setItem(key: string, value: string): void } }).sessionStorage.setItem('fraudstream.alerts.apiToken', token),
      apiToken,
    );
    await page.goto(`${address}/alerts.html`);
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-title').textContent()).toBe('Read token');
    await page.locator('#token-input').fill(readToken);
    await page.locator('#token-ok').click();
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.locator('#alert-rows tr').first().waitFor();

    const streams = urls.filter((url) => url.includes('/alerts/stream'));
    expect(streams.length).toBeGreaterThan(0);
    for (const url of streams) expect(new URL(url).searchParams.get('token')).toBe(readToken);
    expect(urls.filter((url) => url.includes(apiToken))).toEqual([]);
    // The browser reports each refused read (401) on the console; nothing else may appear there.
    expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([]);
  });

  it('Rules page: lists rules with their hits, refuses a bad expression with its position, creates a rule and switches its mode', async () => {
    const store = await openTestStore(openTestPglite);
    const channel = memoryChannel();
    const registry = createRuleRegistry({ channel });
    await registry.putRule('amount-ceiling', { name: 'Amount ceiling', expression: 'tx.amount > 1000.0', action: 'review', mode: 'shadow' }, 'seed');
    await store.ruleHits.add('fraud.rule-hits', 0, [
      { offset: '0', counts: { schemaVersion: 1, detectedAt: new Date(Date.now() - 120_000).toISOString(), payments: 5_000, rules: [{ ruleId: 'amount-ceiling', version: 1, action: 'review', mode: 'shadow', hits: 17, errors: 0 }] } },
    ]);
    const metrics = createMetrics();
    const feed = createAlertFeed({ store, metrics, log: testLog });
    const app = await buildApp({ store, labels: recordingLabels(), feed, metrics, apiToken, rules: { registry, adminToken }, log: testLog });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const browser = await launchBrowser();
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${address}/rules.html`);
    // The analysts' token is refused with a message, then the admin token is asked for again.
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-help').textContent()).toContain('.fraudstream/admin-api-token');
    await page.locator('#token-input').fill(apiToken);
    await page.locator('#token-dialog button[value="ok"]').click();
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-help').textContent()).toContain('not the admin token');
    await page.locator('#token-input').fill(adminToken);
    await page.locator('#token-dialog button[value="ok"]').click();

    const ceiling = page.locator('tr[data-rule-id="amount-ceiling"]');
    await ceiling.waitFor();
    expect(await ceiling.locator('td.num').allTextContents()).toEqual(['17', '17']);
    expect(await page.locator('#payments-hour').textContent()).toBe('5,000');

    const form = page.locator('#rule-form');
    await form.locator('input[name="id"]').fill('card-testing');
    await form.locator('input[name="name"]').fill('Card testing');
    await form.locator('textarea[name="expression"]').fill('tx.amount < 2.0 &&\n  features.NO_SUCH_FEATURE > 3.0');
    await page.locator('#save-rule').click();
    await page.locator('#expression-error:not([hidden])').waitFor();
    expect(await page.locator('#expression-error').textContent()).toMatch(/expression: .*NO_SUCH_FEATURE.*\(line 2, column \d+\)/);
    expect(registry.rule('card-testing')).toBeUndefined();

    await form.locator('textarea[name="expression"]').fill('tx.amount < 2.0 && features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= 3.0');
    await page.locator('#save-rule').click();
    await page.locator('tr[data-rule-id="card-testing"]').waitFor();
    expect(registry.rule('card-testing')).toMatchObject({ version: 1, mode: 'shadow', action: 'review', updatedBy: 'admin' });

    await page.locator('tr[data-rule-id="card-testing"] select').selectOption('active');
    await page.locator('tr[data-rule-id="card-testing"][data-mode="active"]').waitFor();
    expect(registry.rule('card-testing')).toMatchObject({ version: 2, mode: 'active' });
    // The browser reports the refused token (403) on the console; nothing else may appear there.
    expect(problems.filter((problem) => !/status of 40[03]/.test(problem))).toEqual([]);
  });

  it('Model health page: mature and provisional days from the payments store, the drifted feature first, the score distribution', async () => {
    const store = await openTestStore(openTestPglite);
    // Nine days of 400 payments; amounts move past the training edge on the last day, and one fraud on day 1 is charged back.
    for (let day = 1; day <= 9; day++) {
      const date = `2018-04-0${day}`;
      await store.payments.addScores(
        Array.from({ length: 400 }, (_, index) =>
          scoredPayment(`tx-${date}-${index}`, new Date(Date.parse(`${date}T00:00:00Z`) + index * 200_000).toISOString(), {
            cardId: `card-${index % 200}`,
            score: index === 0 ? 0.95 : (index % 50) / 100,
            flagged: index === 0,
            decision: index === 0 ? 'review' : null,
            features: FEATURE_NAMES.map((name) => (name === 'TX_AMOUNT' ? (day === 9 || index % 2 === 0 ? 300 : 50) : index % 2)),
          }),
        ),
      );
    }
    await store.payments.addLabels([chargeback(scoredPayment('tx-2018-04-01-0', '2018-04-01T00:00:00.000Z', { cardId: 'card-0' }), '2018-04-09T20:00:00.000Z')]);
    const features = FEATURE_NAMES.map((name) => ({
      name, mean: 0, std: 1, min: 0, max: 1, zeroShare: 0,
      quantiles: { p01: 0, p05: 0, p25: 0, p50: 0, p75: 0, p95: 0, p99: 0 },
      bins: { edges: [name === 'TX_AMOUNT' ? 100 : 0.5], shares: [0.5, 0.5] },
    }));
    const metrics = createMetrics();
    const modelHealth = createModelHealthMonitor({
      store: store.payments,
      references: { dir: 'test', current: () => Promise.resolve({ modelVersion: 'm1', features }) },
      settings: { labelDelayDays: 7, driftWindowMs: 86_400_000, thresholds: { warn: 0.1, alert: 0.25 } },
      metrics,
      log: testLog,
      refreshMs: 60_000,
    });
    const app = await buildApp({ store, labels: recordingLabels(), feed: createAlertFeed({ store, metrics, log: testLog }), metrics, apiToken, modelHealth, log: testLog });
    onTestFinished(() => app.close());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const browser = await launchBrowser();
    const { page, problems } = await watchedPage(browser);
    await page.setViewportSize({ width: 1024, height: 900 });
    await page.goto(`${address}/model-health.html?days=14`);
    const first = page.locator('#feature-rows tr').first();
    await first.waitFor();
    expect(await first.getAttribute('data-status')).toBe('alert');
    expect(await first.locator('th').textContent()).toBe('TX_AMOUNT');
    expect(await page.locator('#day-rows tr').count()).toBe(9);
    // Newest first: the 1st is the only mature day (labels 7 days past its end), its one alert a fraud.
    const oldest = page.locator('#day-rows tr').last();
    expect(await oldest.getAttribute('data-mature')).toBe('true');
    expect(await oldest.locator('td.num').allTextContents()).toEqual(['400', '1', '1', '100.0%', '100.0%', '1.0%']);
    expect(await page.locator('#day-rows tr[data-mature="false"]').count()).toBe(8);
    expect(await page.locator('#score-psi').textContent()).toMatch(/^PSI /);
    // Nothing scrolls sideways at 1024 px.
    await expect.poll(() => scrollsSideways(page)).toBe(false);
    expect(problems).toEqual([]);
  });
});
