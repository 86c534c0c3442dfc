import { describe, expect, it } from 'vitest';
import { tokenAccepted } from '../src/auth.js';
import { apiToken, makeAlert, openTestPglite, readToken, testApp } from './fixtures.js';

describe('tokenAccepted', () => {
  it('accepts exactly the configured tokens', () => {
    expect(tokenAccepted(apiToken, [apiToken])).toBe(true);
    expect(tokenAccepted(readToken, [readToken, apiToken])).toBe(true);
    expect(tokenAccepted(`${apiToken}x`, [apiToken])).toBe(false);
    expect(tokenAccepted('', [apiToken])).toBe(false);
  });
});

describe('access to the alerts API', () => {
  it('requires the API token for feedback: 401 without one, 403 with a wrong one', async () => {
    const { app, store, outbox, producer } = await testApp(openTestPglite);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    const post = (headers: Record<string, string>, query: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers, query, payload: { label: 'fraud' } });

    const missing = await post({});
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await post({ authorization: 'Basic dXNlcjpwYXNz' })).statusCode).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-token-0123456789' })).statusCode).toBe(403);
    expect((await post({}, { token: apiToken })).statusCode).toBe(401);
    expect(await outbox.publishPending()).toBe(0);
    expect(producer.sent).toEqual([]);
    expect((await store.getAlert(alert.alertId))?.status).toBe('open');

    expect((await post({ authorization: `Bearer ${apiToken}` })).statusCode).toBe(200);
    expect(await outbox.publishPending()).toBe(1);
    expect(producer.sent).toHaveLength(1);
  });

  it('leaves reads open when no read token is configured', async () => {
    const { app } = await testApp(openTestPglite);
    for (const url of ['/alerts', '/stats', '/healthz', '/readyz', '/metrics', '/docs/json', '/']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it('with a read token, reads need it (or the API token) as Bearer or ?token=, and it cannot give feedback', async () => {
    const { app, store } = await testApp(openTestPglite, { readToken });
    const alert = makeAlert();
    await store.insertAlerts([alert]);

    for (const url of ['/alerts', `/alerts/${alert.alertId}`, '/stats', '/alerts/stream']) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, url).toBe(403);
      expect((await app.inject({ url, query: { token: 'wrong-token-0123456789' } })).statusCode, url).toBe(403);
    }
    for (const url of ['/alerts', `/alerts/${alert.alertId}`, '/stats']) {
      expect((await app.inject({ url, headers: { authorization: `Bearer ${readToken}` } })).statusCode, url).toBe(200);
      expect((await app.inject({ url, headers: { authorization: `Bearer ${apiToken}` } })).statusCode, url).toBe(200);
      expect((await app.inject({ url, query: { token: readToken } })).statusCode, url).toBe(200);
    }
    for (const url of ['/healthz', '/readyz', '/metrics', '/']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
    const feedback = await app.inject({
      method: 'POST',
      url: `/alerts/${alert.alertId}/feedback`,
      headers: { authorization: `Bearer ${readToken}` },
      payload: { label: 'legit' },
    });
    expect(feedback.statusCode).toBe(403);
  });
});
