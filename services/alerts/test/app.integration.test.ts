import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoredAlert } from '../src/schemas.js';
import { eventually } from '../../../test/support/eventually.js';
import { apiToken, backends, makeAlert, openTestPglite, readToken, testApp, testLabelsTopic } from './fixtures.js';

const auth = { authorization: `Bearer ${apiToken}` };

describe.each(backends)('alerts API on $name', ({ open }) => {
  it('lists stored alerts newest first, filtered, page by page', async () => {
    const { app, store } = await testApp(open);
    const base = Date.parse('2026-03-01T10:00:00Z');
    const alerts = Array.from({ length: 7 }, (_, index) =>
      makeAlert({
        cardId: index % 2 === 0 ? 'card-even' : 'card-odd',
        score: 0.5 + index / 20,
        detectedAt: new Date(base + index * 1000).toISOString(),
      }),
    );
    await store.insertAlerts(alerts);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { statusCode: number; json<T>(): T } = await app.inject({
        url: '/alerts',
        query: { limit: '3', ...(cursor ? { cursor } : {}) },
      });
      expect(response.statusCode).toBe(200);
      const page: { items: StoredAlert[]; nextCursor: string | null } = response.json();
      for (const item of page.items) expect(StoredAlert.parse(item)).toEqual(item);
      seen.push(...page.items.map((item) => item.alertId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(alerts.map((alert) => alert.alertId).reverse());

    const filtered = await app.inject({
      url: '/alerts',
      query: { cardId: 'card-even', minScore: '0.6', since: '2026-03-01T10:00:01Z', until: '2026-03-01T10:00:06Z' },
    });
    expect(filtered.json<{ items: StoredAlert[] }>().items.map((item) => item.alertId)).toEqual(
      [alerts[4]!, alerts[2]!].map((alert) => alert.alertId),
    );
  });

  it('returns one alert by id, 404 for an unknown or malformed id', async () => {
    const { app, store } = await testApp(open);
    const alert = makeAlert({ amount: 980.5 });
    await store.insertAlerts([alert]);
    const found = await app.inject({ url: `/alerts/${alert.alertId}` });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ alertId: alert.alertId, status: 'open', transaction: { amount: 980.5 } });

    for (const id of ['00000000-0000-8000-8000-000000000000', 'not-an-id', "1' OR '1'='1"]) {
      const missing = await app.inject({ url: `/alerts/${encodeURIComponent(id)}` });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });

  it('answers a bad request with 400 naming the field', async () => {
    const { app } = await testApp(open);
    const cases: Array<[Record<string, string>, string]> = [
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ minScore: '1.5' }, 'minScore'],
      [{ status: 'closed' }, 'status'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2026-03-02T00:00:00Z', until: '2026-03-01T00:00:00Z' }, 'until'],
      [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
      [{ cardId: '4111111111111111' }, 'cardId'],
      [{ since: '0000-01-01T00:00:00Z' }, 'since'],
      [{ until: '0000-01-01T00:00:00Z' }, 'until'],
      [{ since: '9999-12-31T23:59:59Z' }, 'since'],
      [{ since: '1969-12-31T23:59:59Z' }, 'since'],
      [{ cursor: Buffer.from('-999999999999999.1').toString('base64url') }, 'cursor'],
      [{ cursor: Buffer.from('999999999999999.1').toString('base64url') }, 'cursor'],
      [{ cursor: Buffer.from('1772359200000.99999999999999999').toString('base64url') }, 'cursor'],
      [{ terminalId: 'term\u00007' }, 'terminalId'],
    ];
    for (const [query, field] of cases) {
      const response = await app.inject({ url: '/alerts', query });
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(response.json(), JSON.stringify(query)).toMatchObject({ statusCode: 400, field });
      expect(response.json<{ message: string }>().message).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('answers a stream request with a time the store cannot hold with 400, not a silent stream', async () => {
    const { app } = await testApp(open);
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ since: '0000-01-01T00:00:00Z' }, {}, 'since'],
      [{ until: '0000-01-01T00:00:00Z' }, {}, 'until'],
      [{ lastEventId: '99999999999999999' }, {}, 'lastEventId'],
      [{}, { 'last-event-id': '99999999999999999' }, 'last-event-id'],
    ];
    for (const [query, headers, field] of cases) {
      const response = await app.inject({ url: '/alerts/stream', query, headers });
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(response.json(), JSON.stringify(query)).toMatchObject({ statusCode: 400, field });
    }
  });

  it('normalises a filter time to UTC before the store sees it', async () => {
    const { app, store } = await testApp(open);
    const alert = makeAlert({ detectedAt: '2026-03-01T10:00:00.000Z' });
    await store.insertAlerts([alert]);
    const listed = await app.inject({ url: '/alerts', query: { since: '2026-03-01T11:59:59+02:00', until: '2026-02-28T11:01:01-22:59' } });
    expect(listed.json<{ items: StoredAlert[] }>().items.map((item) => item.alertId)).toEqual([alert.alertId]);
  });

  it('records analyst feedback and sends the label for the transaction from the outbox', async () => {
    const now = new Date('2026-03-01T11:00:00Z');
    const { app, store, outbox, producer } = await testApp(open, { now: () => now });
    const alert = makeAlert();
    await store.insertAlerts([alert]);

    const response = await app.inject({
      method: 'POST',
      url: `/alerts/${alert.alertId}/feedback`,
      headers: auth,
      payload: { label: 'fraud', note: 'cardholder denies it' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'fraud', feedback: { label: 'fraud', note: 'cardholder denies it' } });
    // Committed with the verdict, sent by the publisher.
    expect(producer.sent).toEqual([]);
    expect(await store.labelOutbox.backlog()).toMatchObject({ pending: 1 });
    expect(await outbox.publishPending()).toBe(1);
    expect(producer.sent).toEqual([
      {
        topic: testLabelsTopic,
        key: alert.transaction.cardId,
        label: {
          schemaVersion: 1,
          transactionId: alert.transaction.transactionId,
          cardId: alert.transaction.cardId,
          terminalId: alert.transaction.terminalId,
          transactionTimestamp: alert.transaction.timestamp,
          fraud: true,
          source: 'analyst',
          labeledAt: now.toISOString(),
          note: 'cardholder denies it',
        },
      },
    ]);
    expect(await store.labelOutbox.backlog()).toEqual({ pending: 0, oldestAgeMs: null });
    expect((await store.getAlert(alert.alertId))?.status).toBe('fraud');
    const listed = (await app.inject({ url: '/alerts', query: { status: 'fraud' } })).json<{ items: StoredAlert[] }>();
    expect(listed.items).toHaveLength(1);
    expect(StoredAlert.parse(listed.items[0])).toMatchObject({
      alertId: alert.alertId,
      status: 'fraud',
      feedback: { label: 'fraud', note: 'cardholder denies it', at: now.toISOString() },
    });

    const bad = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'label' });
    for (const id of ['00000000-0000-8000-8000-000000000000', 'not-an-id']) {
      const unknown = await app.inject({ method: 'POST', url: `/alerts/${id}/feedback`, headers: auth, payload: { label: 'legit' } });
      expect(unknown.statusCode).toBe(404);
    }
    expect(await outbox.publishPending()).toBe(0);
    expect(producer.sent).toHaveLength(1);
  });

  it('refuses a note the database cannot store with 400 naming it, and changes and sends nothing', async () => {
    const { app, store, outbox, producer } = await testApp(open);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    for (const note of ['cardholder\u0000denies', 'half an emoji \ud83d', '\udc00 trailing half', 'x'.repeat(2001)]) {
      const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud', note } });
      expect(response.statusCode, JSON.stringify(note)).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, field: 'note' });
      expect(response.json<{ message: string }>().message).toMatch(/^note: /);
    }
    expect(await outbox.publishPending()).toBe(0);
    expect(producer.sent).toEqual([]);
    expect(await store.getAlert(alert.alertId)).toMatchObject({ status: 'open', feedback: null });
    // A whole emoji (a surrogate pair) and other control characters are stored as they are.
    const fine = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud', note: 'ok 😀\t\u0001' } });
    expect(fine.statusCode).toBe(200);
    expect(await outbox.publishPending()).toBe(1);
    expect(producer.labels()).toMatchObject([{ note: 'ok 😀\t\u0001' }]);
  });

  it('stores and publishes a note with a card number in it masked', async () => {
    const { app, store, outbox, producer } = await testApp(open);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    const note = 'customer says card 4111 1111 1111 1111 was stolen';
    const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud', note } });
    expect(response.statusCode).toBe(200);
    const masked = 'customer says card 4111 11** **** 1111 was stolen';
    expect(response.json()).toMatchObject({ feedback: { note: masked } });
    expect(await store.getAlert(alert.alertId)).toMatchObject({ feedback: { note: masked } });
    expect(await outbox.publishPending()).toBe(1);
    expect(producer.labels()).toMatchObject([{ note: masked }]);
  });

  it('answers 503 and sends nothing when the database cannot store the verdict, and tells the client nothing internal', async () => {
    const { app, store, outbox, producer } = await testApp(open);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    const recordFeedback = store.recordFeedback;
    store.recordFeedback = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud' } });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at /);
    expect(await outbox.publishPending()).toBe(0);
    expect(producer.sent).toEqual([]);
    expect((await store.getAlert(alert.alertId))?.status).toBe('open');

    store.recordFeedback = recordFeedback;
    const retried = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud' } });
    expect(retried.statusCode).toBe(200);
    expect(await outbox.publishPending()).toBe(1);
    expect(producer.labels()).toMatchObject([{ transactionId: alert.transaction.transactionId, fraud: true }]);
  });

  it('answers once the verdict is committed while Kafka refuses the label, which follows when Kafka takes it again', async () => {
    const { app, store, outbox, producer, metrics } = await testApp(open);
    const alerts = [makeAlert({ cardId: 'card-1' }), makeAlert({ cardId: 'card-2' }), makeAlert({ cardId: 'card-1' })];
    await store.insertAlerts(alerts);
    const sendBatch = producer.sendBatch;
    let refused = 0;
    producer.sendBatch = async () => {
      refused++;
      throw new Error('KafkaJSNumberOfRetriesExceeded: broker 127.0.0.1:9092 unreachable');
    };
    const verdicts = ['fraud', 'legit', 'fraud'] as const;
    for (const [index, alert] of alerts.entries()) {
      const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: verdicts[index] } });
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toMatch(/Kafka|127\.0\.0\.1/);
      expect((await store.getAlert(alert.alertId))?.status).toBe(verdicts[index]);
    }
    await expect(outbox.publishPending()).rejects.toThrow(/unreachable/);
    expect(refused).toBe(1);
    expect(await store.labelOutbox.backlog()).toMatchObject({ pending: 3 });
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/fraudstream_alerts_outbox_pending 3\b/);

    // The running publisher retries with backoff and sends them, in order, once Kafka takes them.
    outbox.start();
    await eventually('the publisher to retry', async () => (refused >= 3 ? true : undefined), 20_000, 20);
    producer.sendBatch = sendBatch;
    await eventually('the labels to be sent', async () => (producer.sent.length >= 3 ? true : undefined), 20_000, 20);
    expect(producer.sent.map(({ key, label }) => [key, label.transactionId, label.fraud])).toEqual(
      alerts.map((alert, index) => [alert.transaction.cardId, alert.transaction.transactionId, verdicts[index] === 'fraud']),
    );
    await eventually('the outbox to empty', async () => ((await store.labelOutbox.backlog()).pending === 0 ? true : undefined), 20_000, 20);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/fraudstream_alerts_labels_published_total 3\b/);
    expect(Number(/fraudstream_alerts_label_publish_failures_total (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    await outbox.stop();
    expect(producer.sent).toHaveLength(3);
  });

  it('wakes the running publisher when a verdict is recorded', async () => {
    // Polling once a minute: only the wake can send the label within the test.
    const { app, store, outbox, producer } = await testApp(open, { outbox: { pollIntervalMs: 60_000 } });
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    outbox.start();
    const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'legit' } });
    expect(response.statusCode).toBe(200);
    await eventually('the label to be sent', async () => (producer.sent.length > 0 ? true : undefined), 20_000, 20);
    expect(producer.labels()).toMatchObject([{ transactionId: alert.transaction.transactionId, fraud: false }]);
  });

  it('never shows a database error to the client', async () => {
    const { app, store } = await testApp(open);
    store.listAlerts = async () => {
      throw Object.assign(new Error('relation "alerts" does not exist'), { code: '42P01', stack: 'Error\n    at query (pg/lib/client.js:1:1)' });
    };
    const response = await app.inject({ url: '/alerts' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'The request could not be completed; it has been logged',
    });
  });

  it('reports stats, health, readiness, metrics and the API documentation', async () => {
    const { app, store } = await testApp(open);
    await store.insertAlerts([makeAlert(), makeAlert({ modelVersion: 'model-test-2' })]);
    const stats = await app.inject({ url: '/stats' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ totals: { all: 2, open: 2 }, precision: null });
    expect(stats.json<{ alertsPerMinute: Array<{ count: number }> }>().alertsPerMinute.at(-1)?.count).toBe(2);

    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { store: 'ok', labels: 'ok' } });
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('fraudstream_alerts_http_request_duration_seconds_bucket');

    const openapi = await app.inject({ url: '/docs/json' });
    expect(openapi.statusCode).toBe(200);
    expect(Object.keys(openapi.json<{ paths: object }>().paths)).toEqual(
      expect.arrayContaining(['/alerts', '/alerts/{alertId}', '/alerts/stream', '/alerts/{alertId}/feedback', '/stats']),
    );
    const docs = await app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).not.toMatch(/https?:\/\/(?!localhost)[^"']*\.js/);

    const dashboard = await app.inject({ url: '/' });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.headers['content-type']).toMatch(/text\/html/);
    expect((await app.inject({ url: '/no-such-page' })).statusCode).toBe(404);
  });

  it('is not ready when the store does not answer', async () => {
    const { app, store } = await testApp(open);
    store.ping = async () => {
      throw new Error('connection refused');
    };
    const response = await app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable', checks: { store: 'unavailable', labels: 'ok' } });
  });
});

describe('HTTP hygiene', () => {
  it('sends security headers: a CSP without inline script or framing, nosniff, DENY', async () => {
    const { app } = await testApp(openTestPglite);
    for (const url of ['/', '/alerts', '/docs/', '/no-such-page']) {
      const response = await app.inject({ url });
      const policy = String(response.headers['content-security-policy']);
      expect(policy, url).toContain("frame-ancestors 'none'");
      expect(policy, url).toMatch(/script-src 'self'(;|$)/);
      expect(policy, url).toContain("default-src 'self'");
      expect(response.headers['x-frame-options'], url).toBe('DENY');
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
    }
    expect(String((await app.inject({ url: '/' })).headers['content-security-policy'])).toMatch(/style-src 'self'(;|$)/);
  });

  it('allows no cross-origin reads unless origins are configured', async () => {
    const closed = (await testApp(openTestPglite)).app;
    const origin = 'https://ops.example.com';
    for (const response of [
      await closed.inject({ url: '/alerts', headers: { origin } }),
      await closed.inject({ method: 'OPTIONS', url: '/alerts', headers: { origin, 'access-control-request-method': 'GET' } }),
    ]) {
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }

    const { app } = await testApp(openTestPglite, { corsOrigins: [origin] });
    expect((await app.inject({ url: '/alerts', headers: { origin } })).headers['access-control-allow-origin']).toBe(origin);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/alerts/00000000-0000-8000-8000-000000000000/feedback',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect((await app.inject({ url: '/alerts', headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never logs a token: not from the Authorization header, the query or the URL of a failed request', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const { app, store } = await testApp(openTestPglite, { readToken, log });
    store.listAlerts = async () => {
      throw new Error('connection terminated unexpectedly');
    };
    store.stats = async () => {
      throw new Error('connection terminated unexpectedly');
    };
    const failed = [
      await app.inject({ url: '/alerts', query: { token: readToken, limit: '5' } }),
      await app.inject({ url: '/alerts', headers: { authorization: `Bearer ${apiToken}` } }),
      await app.inject({ url: `/stats?limit=1&token=${readToken}&x=1` }),
    ];
    for (const response of failed) expect(response.statusCode).toBe(500);
    const logged = lines.join('');
    expect(logged).toContain('request failed');
    expect(logged).toContain('token=[Redacted]');
    expect(logged).not.toContain(readToken);
    expect(logged).not.toContain(apiToken);
  });
});
