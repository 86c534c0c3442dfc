import { connect as connectSocket, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testLog } from '../../../../test/support/kafka.js';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { AlertFilters } from '../../src/schemas.js';
import { createAlertFeed, type AlertFeedOptions } from '../../src/stream/alert-feed.js';
import type { AlertStore } from '../../src/store/alert-store.js';
import { apiToken, makeAlert, openTestPglite, openTestStore, recordingLabels } from '../fixtures.js';
import { connect } from './sse-client.js';

async function listeningApp(store: AlertStore, feedOptions: Partial<AlertFeedOptions> = {}) {
  const metrics = createMetrics();
  const feed = createAlertFeed({ store, metrics, log: testLog, ...feedOptions });
  const app = await buildApp({ store, labels: recordingLabels(), feed, metrics, apiToken, log: testLog });
  onTestFinished(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { address, feed, metrics };
}

/** Counts the stream's queries by patching the real store's methods. */
function countQueries(store: AlertStore) {
  const counts = { latestSequence: 0, alertsAfter: [] as AlertFilters[] };
  const { latestSequence, alertsAfter } = store;
  store.latestSequence = () => {
    counts.latestSequence += 1;
    return latestSequence();
  };
  store.alertsAfter = (sequence, upTo, filters, limit) => {
    counts.alertsAfter.push(filters);
    return alertsAfter(sequence, upTo, filters, limit);
  };
  return {
    counts,
    /** The store's own alertsAfter, for the test's expectations (not counted). */
    alertsAfter,
    reset(): void {
      counts.latestSequence = 0;
      counts.alertsAfter = [];
    },
  };
}

/** The alert stream's series of the stream metrics (the app serves the case stream too). */
const alertStream = { stream: 'alert' };

const counterValue = async (metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }, labels: object = {}) =>
  (await metric.get()).values.find((value) => JSON.stringify(value.labels) === JSON.stringify(labels))?.value ?? 0;

async function eventually(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
    expect(await counterValue(metrics.streamClients, alertStream)).toBe(1);
    await stream.close();
  });
  it('reads the new alerts once per wake-up for all live streams and filters them for each', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, feed } = await listeningApp(store, { pollIntervalMs: 60_000 });
    const queries = countQueries(store);
    const filterSets: AlertFilters[] = [
      {},
      { cardId: 'card-1' },
      { terminalId: 'term-2' },
      { minScore: 0.9 },
      { cardId: 'card-1', minScore: 0.9 },
      { status: 'open' },
    ];
    const query = (filters: AlertFilters): string => new URLSearchParams(Object.entries(filters).map(([name, value]) => [name, String(value)] as [string, string])).toString();
    const filtersOf = (index: number): AlertFilters => filterSets[index % filterSets.length]!;
    const streams = await Promise.all(Array.from({ length: 24 }, (_, index) => connect(`${address}/alerts/stream?${query(filtersOf(index))}`)));
    onTestFinished(async () => {
      await Promise.all(streams.map((stream) => stream.close()));
    });
    // Matches every filter above: once each stream has it, every stream is live.
    await store.insertAlerts([makeAlert({ cardId: 'card-1', terminalId: 'term-2', score: 0.99 })]);
    feed.notify();
    await Promise.all(streams.map((stream) => stream.waitFor(() => stream.alerts().length === 1, 'the first alert')));

    const before = await store.latestSequence();
    queries.reset();
    const burst = Array.from({ length: 30 }, (_, n) =>
      makeAlert({ cardId: `card-${n % 3}`, terminalId: `term-${n % 4}`, score: [0.5, 0.9, 0.95][n % 3]! }),
    );
    await store.insertAlerts(burst);
    feed.notify();
    for (const [index, stream] of streams.entries()) {
      const expected = await queries.alertsAfter(before, Number.MAX_SAFE_INTEGER, filtersOf(index), 100);
      await stream.waitFor(() => stream.alerts().length === 1 + expected.length, `${expected.length} alerts for ?${query(filtersOf(index))}`);
      expect(stream.alerts().slice(1).map((alert) => alert.sequence)).toEqual(expected.map((row) => row.sequence));
    }
    expect(queries.counts.alertsAfter).toEqual([{}]);
    expect(queries.counts.latestSequence).toBe(0);
  });

  it('lets a resuming stream catch up a few queries at a time while alerts keep coming, then go live without a gap or a repeat', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, feed, metrics } = await listeningApp(store, { pollIntervalMs: 60_000, pageSize: 5, catchUpConcurrency: 2 });
    const live = await connect(`${address}/alerts/stream`);
    onTestFinished(() => live.close());
    await live.waitFor(() => live.events.some((e) => e.comment === 'connected'), 'the stream to open');
    await store.insertAlerts([makeAlert()]);
    feed.notify();
    await live.waitFor(() => live.alerts().length === 1, 'the first alert');
    const lastSeen = live.alerts()[0]!.sequence;
    const missed = Array.from({ length: 23 }, () => makeAlert());
    await store.insertAlerts(missed);
    feed.notify();

    // Catch-up queries carry the resuming streams' filter (minScore=0 matches every alert); while
    // the first ones run, more alerts are stored and broadcast to the live stream.
    const { alertsAfter } = store;
    let catchUpQueries = 0;
    let running = 0;
    let mostRunning = 0;
    const duringCatchUp: string[] = [];
    store.alertsAfter = async (sequence, upTo, filters, limit) => {
      if (filters.minScore !== 0) return alertsAfter(sequence, upTo, filters, limit);
      catchUpQueries += 1;
      const call = catchUpQueries;
      running += 1;
      mostRunning = Math.max(mostRunning, running);
      try {
        // Every resuming stream is waiting for a query now: at most catchUpConcurrency run.
        await eventually(async () => (await counterValue(metrics.streamClients, alertStream)) === 6, 'every stream to open');
        if (call <= 3) {
          const more = [makeAlert(), makeAlert()];
          duringCatchUp.push(...more.map((alert) => alert.alertId));
          await store.insertAlerts(more);
          feed.notify();
        }
        return await alertsAfter(sequence, upTo, filters, limit);
      } finally {
        running -= 1;
      }
    };
    const resumed = await Promise.all(
      Array.from({ length: 5 }, () => connect(`${address}/alerts/stream?minScore=0`, { 'last-event-id': String(lastSeen) })),
    );
    onTestFinished(async () => {
      await Promise.all(resumed.map((stream) => stream.close()));
    });
    await Promise.all(resumed.map((stream) => stream.waitFor(() => stream.alerts().length === 29, 'the missed alerts')));
    expect(duringCatchUp).toHaveLength(6);
    const after = makeAlert();
    await store.insertAlerts([after]);
    feed.notify();
    await live.waitFor(() => live.alerts().length === 31, 'the last alert on the live stream');
    const expected = live.alerts().slice(1).map((alert) => alert.alertId);
    expect(expected).toEqual([...missed.map((alert) => alert.alertId), ...duringCatchUp, after.alertId]);
    for (const stream of resumed) {
      await stream.waitFor(() => stream.alerts().length === 30, 'the next live alert');
      expect(stream.alerts().map((alert) => alert.alertId)).toEqual(expected);
    }
    expect(mostRunning).toBe(2);
  });

  it('answers 429 with Retry-After beyond ALERTS_MAX_STREAMS', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, metrics } = await listeningApp(store, { maxStreams: 2 });
    const first = await connect(`${address}/alerts/stream`);
    const second = await connect(`${address}/alerts/stream?cardId=card-1`);
    onTestFinished(async () => {
      await Promise.all([first.close(), second.close()]);
    });
    expect([first.response.status, second.response.status]).toEqual([200, 200]);

    const refused = await fetch(`${address}/alerts/stream`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    const body = (await refused.json()) as { statusCode: number; message: string };
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(body.message).toMatch(/^2 streams are open.*ALERTS_MAX_STREAMS/);
    expect(await counterValue(metrics.streamsRefused, alertStream)).toBe(1);

    await first.close();
    await eventually(async () => (await counterValue(metrics.streamClients, alertStream)) === 1, 'the server to see the stream closed');
    const third = await connect(`${address}/alerts/stream`);
    onTestFinished(() => third.close());
    expect(third.response.status).toBe(200);
  });

  it('cuts off a client that stops reading while the others keep receiving every alert', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, feed, metrics } = await listeningApp(store, { pollIntervalMs: 60_000, pageSize: 1000, maxBufferedBytes: 256 * 1024 });
    const fast = await connect(`${address}/alerts/stream`);
    onTestFinished(() => fast.close());
    const { hostname, port } = new URL(address);
    const slow: Socket = connectSocket({ host: hostname, port: Number(port) });
    onTestFinished(() => void slow.destroy());
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    slow.on('error', () => {});
    slow.write('GET /alerts/stream HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\n\r\n');
    await new Promise<void>((resolve) => slow.once('data', () => resolve()));
    slow.pause();
    await eventually(async () => (await counterValue(metrics.streamClients, alertStream)) === 2, 'both streams to open');

    let sent = 0;
    // One write per batch (fewer alerts than a page): the reading client is never behind when the
    // next comes. The other fills the kernel's socket buffers (megabytes on loopback) before its own.
    for (let batch = 0; batch < 100 && (await counterValue(metrics.streamsCutOff, alertStream)) === 0; batch += 1) {
      await store.insertAlerts(Array.from({ length: 900 }, () => makeAlert()));
      sent += 900;
      feed.notify();
      await fast.waitFor(() => fast.events.filter((e) => e.event === 'alert').length === sent, `batch ${batch} on the reading client`);
    }
    expect(await counterValue(metrics.streamsCutOff, alertStream)).toBe(1);
    // Reading again, the slow client gets what the kernel held, then finds the connection closed.
    slow.resume();
    await eventually(() => slowClosed, 'the slow client to see its connection closed');
    expect(await counterValue(metrics.streamClients, alertStream)).toBe(1);
    await store.insertAlerts([makeAlert()]);
    feed.notify();
    await fast.waitFor(() => fast.alerts().length === sent + 1, 'an alert after the cut-off');
    expect(fast.ended()).toBe(false);
  }, 120_000);

  it('keeps streams open when a wake-up query fails, retries at the next one, and ends every stream on close', async () => {
    const store = await openTestStore(openTestPglite);
    const { address, feed, metrics } = await listeningApp(store, { pollIntervalMs: 60_000 });
    const streams = [await connect(`${address}/alerts/stream`), await connect(`${address}/alerts/stream?minScore=0.5`)];
    onTestFinished(async () => {
      await Promise.all(streams.map((stream) => stream.close()));
    });
    await store.insertAlerts([makeAlert()]);
    feed.notify();
    await Promise.all(streams.map((stream) => stream.waitFor(() => stream.alerts().length === 1, 'the first alert')));

    const { alertsAfter } = store;
    store.alertsAfter = async () => {
      throw new Error('connection terminated unexpectedly');
    };
    const during = makeAlert();
    await store.insertAlerts([during]);
    feed.notify();
    await eventually(async () => (await counterValue(metrics.streamQueryFailures, { stream: 'alert', query: 'broadcast' })) === 1, 'the failed query');
    store.alertsAfter = alertsAfter;
    expect(streams.map((stream) => stream.ended())).toEqual([false, false]);
    feed.notify();
    await Promise.all(streams.map((stream) => stream.waitFor(() => stream.alerts().length === 2, 'the alert once the store answers')));
    expect(streams.map((stream) => stream.alerts()[1]?.alertId)).toEqual([during.alertId, during.alertId]);

    feed.close();
    await Promise.all(streams.map((stream) => stream.waitFor(() => stream.ended(), 'the stream to end')));
    expect(await counterValue(metrics.streamClients, alertStream)).toBe(0);
  });
});
