import { describe, expect, it, onTestFinished } from 'vitest';
import { testLog } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { StoredAlert } from '../../src/schemas.js';
import { createAlertFeed, type AlertFeedOptions } from '../../src/stream/alert-feed.js';
import type { AlertStore } from '../../src/store/alert-store.js';
import { apiToken, makeAlert, openTestPglite, openTestStore, recordingLabels } from '../fixtures.js';

interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A minimal EventSource over fetch: collects events until closed. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: ServerSentEvent[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerSentEvent = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === '') event.comment = value;
            else if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
          }
          events.push(event);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  const alerts = (): StoredAlert[] => events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data ?? '') as StoredAlert);
  return {
    response,
    events,
    alerts,
    async waitFor(predicate: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; got ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close(): Promise<void> {
      controller.abort();
      await reading;
    },
  };
}

async function listeningApp(store: AlertStore, feedOptions: Partial<AlertFeedOptions> = {}) {
  const metrics = createMetrics();
  const feed = createAlertFeed({ store, metrics, log: testLog, ...feedOptions });
  const app = await buildApp({ store, labels: recordingLabels(), feed, metrics, apiToken, log: testLog });
  onTestFinished(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { address, feed, metrics };
}

describe('GET /alerts/stream', () => {
  it('sends new alerts as they are stored and resumes from Last-Event-ID without gaps or repeats', async () => {
    const store = await openTestStore(openTestPglite);
    await store.insertAlerts([makeAlert()]);
    const { address, feed } = await listeningApp(store);

    const first = await connect(`${address}/alerts/stream`);
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await first.waitFor(() => first.events.some((e) => e.comment === 'connected'), 'the stream to open');

    const live = [makeAlert(), makeAlert()];
    await store.insertAlerts(live);
    feed.notify();
    await first.waitFor(() => first.alerts().length === 2, 'two live alerts');
    expect(first.alerts().map((a) => a.alertId)).toEqual(live.map((a) => a.alertId));
    const lastSeen = first.events.filter((e) => e.event === 'alert').at(-1)?.id;
    expect(lastSeen).toBe(String(first.alerts()[1]!.sequence));
    await first.close();

    // Stored while the client was away, across more than one page of the catch-up query.
    const missed = Array.from({ length: 450 }, () => makeAlert());
    for (let index = 0; index < missed.length; index += 50) await store.insertAlerts(missed.slice(index, index + 50));

    const resumed = await connect(`${address}/alerts/stream`, { 'last-event-id': lastSeen! });
    await resumed.waitFor(() => resumed.alerts().length === missed.length, 'the missed alerts');
    const after = makeAlert();
    await store.insertAlerts([after]);
    feed.notify();
    await resumed.waitFor(() => resumed.alerts().length === missed.length + 1, 'the next live alert');
    await resumed.close();

    expect(resumed.alerts().map((a) => a.alertId)).toEqual([...missed, after].map((a) => a.alertId));
    const ids = resumed.events.filter((e) => e.event === 'alert').map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('applies the list filters, accepts lastEventId in the query, and keeps idle connections alive', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, feed } = await listeningApp(store, { keepAliveMs: 50 });
    await store.insertAlerts([makeAlert({ cardId: 'card-1', score: 0.99 })]);
    const start = await store.latestSequence();

    const stream = await connect(`${address}/alerts/stream?cardId=card-1&minScore=0.8&lastEventId=${start}`);
    const wanted = makeAlert({ cardId: 'card-1', score: 0.95 });
    await store.insertAlerts([makeAlert({ cardId: 'card-2', score: 0.99 }), makeAlert({ cardId: 'card-1', score: 0.6 }), wanted]);
    feed.notify();
    await stream.waitFor(() => stream.alerts().length === 1, 'the matching alert');
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'keep-alive'), 'a keep-alive comment');
    await stream.close();
    expect(stream.alerts().map((a) => a.alertId)).toEqual([wanted.alertId]);

    const bad = await fetch(`${address}/alerts/stream?minScore=2`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'minScore' });
    const badId = await fetch(`${address}/alerts/stream`, { headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ field: 'last-event-id' });
  });

  it("sends an alert again with its new status when an analyst reviews it", async () => {
    const store = await openTestStore(openTestPglite);
    const { address } = await listeningApp(store);
    const stream = await connect(`${address}/alerts/stream`);
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'connected'), 'the stream to open');
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    await stream.waitFor(() => stream.alerts().length === 1, 'the new alert');

    const review = await fetch(`${address}/alerts/${alert.alertId}/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'legit' }),
    });
    expect(review.status).toBe(200);
    await stream.waitFor(() => stream.alerts().length === 2, 'the reviewed alert');
    await stream.close();
    expect(stream.alerts().map((a) => [a.alertId, a.status])).toEqual([
      [alert.alertId, 'open'],
      [alert.alertId, 'legit'],
    ]);
    expect(stream.alerts()[1]?.sequence).toBeGreaterThan(stream.alerts()[0]!.sequence);
  });

  it('picks up alerts stored by another replica by polling the store', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, metrics } = await listeningApp(store, { pollIntervalMs: 50 });
    const stream = await connect(`${address}/alerts/stream`);
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'connected'), 'the stream to open');
    const elsewhere = makeAlert();
    await store.insertAlerts([elsewhere]);
    await stream.waitFor(() => stream.alerts().length === 1, 'the alert stored elsewhere');
    expect(stream.alerts()[0]?.alertId).toBe(elsewhere.alertId);
    expect((await metrics.streamClients.get()).values[0]?.value).toBe(1);
    await stream.close();
  });
});
