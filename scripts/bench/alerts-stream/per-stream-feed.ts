import type { Logger } from '@fraudstream/shared';
import type { Metrics } from '../../../services/alerts/src/metrics.js';
import type { AlertFilters } from '../../../services/alerts/src/schemas.js';
import type { AlertStore } from '../../../services/alerts/src/store/alert-store.js';
import type { AlertFeed } from '../../../services/alerts/src/stream/alert-feed.js';

/*
 * The baseline of the alerts-stream benchmark: the feed as it was before streams shared one query
 * per wake-up (each stream reads latestSequence and its own pages on every wake-up). Not used by the service.
 */

interface PerStreamFeedOptions {
  store: AlertStore;
  metrics: Metrics;
  log: Logger;
  /** How often to look for alerts stored by other replicas of the service. */
  pollIntervalMs?: number;
  keepAliveMs?: number;
  /** Rows per query while a stream catches up. */
  pageSize?: number;
  /** A client this far behind (bytes not yet sent) is cut off; it resumes with Last-Event-ID. */
  maxBufferedBytes?: number;
}


interface Stream {
  response: Parameters<AlertFeed['open']>[0];
  filters: AlertFilters;
  cursor: number;
  pumping: boolean;
  again: boolean;
}

export function createPerStreamAlertFeed({
  store,
  metrics,
  log,
  pollIntervalMs = 1000,
  keepAliveMs = 15_000,
  pageSize = 200,
  maxBufferedBytes = 4 * 1024 * 1024,
}: PerStreamFeedOptions): AlertFeed {
  const streams = new Set<Stream>();
  let closed = false;
  let knownLatest = -1;
  let pollTimer: NodeJS.Timeout | undefined;
  let keepAliveTimer: NodeJS.Timeout | undefined;

  const end = (stream: Stream): void => {
    if (!streams.delete(stream)) return;
    metrics.streamClients.set(streams.size);
    if (!stream.response.writableEnded) stream.response.end();
    if (streams.size === 0) stopTimers();
  };

  const pump = async (stream: Stream): Promise<void> => {
    if (stream.pumping) {
      stream.again = true;
      return;
    }
    stream.pumping = true;
    try {
      do {
        stream.again = false;
        const upTo = await store.latestSequence();
        for (;;) {
          const alerts = await store.alertsAfter(stream.cursor, upTo, stream.filters, pageSize);
          if (!streams.has(stream)) return;
          for (const alert of alerts) {
            stream.response.write(`id: ${alert.sequence}\nevent: alert\ndata: ${alert.json}\n\n`);
          }
          if (stream.response.writableLength > maxBufferedBytes) {
            log.warn({ buffered: stream.response.writableLength }, 'stream client too slow; closing it');
            end(stream);
            return;
          }
          if (alerts.length < pageSize) {
            stream.cursor = Math.max(stream.cursor, upTo);
            break;
          }
          stream.cursor = alerts.at(-1)?.sequence ?? upTo;
        }
      } while (stream.again && streams.has(stream));
    } catch (err) {
      log.warn({ err }, 'alert stream query failed; retrying at the next wake-up');
    } finally {
      stream.pumping = false;
    }
  };

  const wakeAll = (): void => {
    for (const stream of streams) void pump(stream);
  };

  const poll = async (): Promise<void> => {
    try {
      const latest = await store.latestSequence();
      if (latest !== knownLatest) {
        knownLatest = latest;
        wakeAll();
      }
    } catch (err) {
      log.warn({ err }, 'alert stream poll failed');
    }
  };

  const startTimers = (): void => {
    pollTimer ??= setInterval(() => void poll(), pollIntervalMs);
    keepAliveTimer ??= setInterval(() => {
      for (const stream of streams) stream.response.write(': keep-alive\n\n');
    }, keepAliveMs);
  };

  function stopTimers(): void {
    clearInterval(pollTimer);
    clearInterval(keepAliveTimer);
    pollTimer = undefined;
    keepAliveTimer = undefined;
  }

  return {
    maxStreams: Number.MAX_SAFE_INTEGER,
    admit: () => true,
    async open(response, { filters, lastSequence }) {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      response.write('retry: 2000\n: connected\n\n');
      if (closed) {
        response.end();
        return;
      }
      const stream: Stream = { response, filters, cursor: 0, pumping: false, again: false };
      response.on('close', () => end(stream));
      try {
        stream.cursor = lastSequence ?? (await store.latestSequence());
      } catch (err) {
        log.warn({ err }, 'could not start alert stream');
        response.end();
        return;
      }
      if (response.writableEnded || response.destroyed) return;
      streams.add(stream);
      metrics.streamClients.set(streams.size);
      startTimers();
      await pump(stream);
    },
    notify: wakeAll,
    close() {
      closed = true;
      for (const stream of [...streams]) end(stream);
      stopTimers();
    },
  };
}
