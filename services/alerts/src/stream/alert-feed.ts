import type { ServerResponse } from 'node:http';
import type { Logger } from '@fraudstream/shared';
import type { AlertFilters, StoredAlert } from '../schemas.js';
import type { AlertRow, AlertStore } from '../store/alert-store.js';
import type { Metrics } from '../metrics.js';
import { alertMatcher, type ParsedAlertRow } from './alert-filter.js';

export interface AlertFeedOptions {
  store: AlertStore;
  metrics: Metrics;
  log: Logger;
  /** How often to look for alerts stored by other replicas of the service. */
  pollIntervalMs?: number;
  keepAliveMs?: number;
  /** Rows per query, shared or catching up. */
  pageSize?: number;
  /** A client this far behind (bytes not yet sent) is cut off; it resumes with Last-Event-ID. */
  maxBufferedBytes?: number;
  /** Streams open at once; `admit()` refuses more. */
  maxStreams?: number;
  /** Catch-up queries (streams resuming from an older Last-Event-ID) running at once. */
  catchUpConcurrency?: number;
}

export interface AlertFeed {
  readonly maxStreams: number;
  /** Whether one more stream may open now (fewer than `maxStreams` are open); counts a refusal when not. */
  admit(): boolean;
  /** Sends `alert` events matching `filters` after `lastSequence` (default: only new ones) until the client leaves. */
  open(response: ServerResponse, options: { filters: AlertFilters; lastSequence?: number | undefined }): Promise<void>;
  /** Wakes the feed now (this process just stored or reviewed alerts). */
  notify(): void;
  /** Ends every stream; later streams end at once. Safe to call twice. */
  close(): void;
}

interface Stream {
  response: ServerResponse;
  filters: AlertFilters;
  /** Undefined when the stream takes every alert. */
  matches: ((candidate: ParsedAlertRow) => boolean) | undefined;
  /** The last sequence this stream has considered: it has been sent every matching alert up to it. */
  cursor: number;
  live: boolean;
  catchingUp: boolean;
}

const frame = (row: AlertRow): string => `id: ${row.sequence}\nevent: alert\ndata: ${row.json}\n\n`;

/**
 * Server-Sent Events of stored alerts. One wake-up (a notify from this process, or the poll for
 * other replicas' alerts) runs one query for every live stream: the rows after `broadcastUpTo`, the
 * highest sequence already broadcast, unfiltered; each row is parsed once and every live stream
 * takes the ones its filters match. A stream resuming from an older Last-Event-ID first pages
 * through the store on its own (a few such queries at a time) up to `broadcastUpTo`, and joins the
 * live streams once it has reached it, in the same tick: the store makes sequences visible in
 * increasing order, so the rows it read and the rows broadcast after it joined leave no gap and
 * overlap nowhere. Writes never wait for a client; one that falls `maxBufferedBytes` behind is cut off.
 */
export function createAlertFeed({
  store,
  metrics,
  log,
  pollIntervalMs = 1000,
  keepAliveMs = 15_000,
  pageSize = 200,
  maxBufferedBytes = 4 * 1024 * 1024,
  maxStreams = 1000,
  catchUpConcurrency = 4,
}: AlertFeedOptions): AlertFeed {
  const streams = new Set<Stream>();
  const live = new Set<Stream>();
  let closed = false;
  /** Every live stream has considered every sequence up to here. Undefined while no stream is open. */
  let broadcastUpTo: number | undefined;
  let latestQuery: Promise<number> | undefined;
  let pumping = false;
  let wokenWhilePumping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let keepAliveTimer: NodeJS.Timeout | undefined;

  let catchUpQueries = 0;
  const waitingForCatchUp: Array<() => void> = [];
  const catchUpSlot = async (): Promise<void> => {
    if (catchUpQueries < catchUpConcurrency) {
      catchUpQueries += 1;
      return;
    }
    await new Promise<void>((resolve) => waitingForCatchUp.push(resolve));
  };
  const releaseCatchUpSlot = (): void => {
    const next = waitingForCatchUp.shift();
    if (next) next();
    else catchUpQueries -= 1;
  };

  const end = (stream: Stream, how: 'end' | 'destroy' = 'end'): void => {
    if (!streams.delete(stream)) return;
    live.delete(stream);
    metrics.streamClients.set(streams.size);
    if (how === 'destroy') stream.response.destroy();
    else if (!stream.response.writableEnded) stream.response.end();
    if (streams.size === 0) {
      stopTimers();
      broadcastUpTo = undefined;
    }
  };

  /**
   * Writes without waiting. A client still more than `maxBufferedBytes` behind on what it was sent
   * before is cut off instead (it resumes from its last complete event); one large burst is not.
   */
  const send = (stream: Stream, chunk: string | Buffer): boolean => {
    const behind = stream.response.writableLength;
    if (behind > maxBufferedBytes) {
      metrics.streamsCutOff.inc();
      log.warn({ behind, maxBufferedBytes }, 'stream client too slow; cutting it off');
      end(stream, 'destroy');
      return false;
    }
    stream.response.write(chunk);
    return true;
  };

  const broadcast = (rows: AlertRow[]): void => {
    const first = rows[0];
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return;
    const frames = rows.map(frame);
    let everything: Buffer | undefined;
    let parsed: ParsedAlertRow[] | undefined;
    for (const stream of live) {
      let chunk: string | Buffer;
      if (stream.matches === undefined && stream.cursor < first.sequence) {
        everything ??= Buffer.from(frames.join(''));
        chunk = everything;
      } else {
        parsed ??= rows.map((row) => ({ row, alert: JSON.parse(row.json) as StoredAlert }));
        const { matches, cursor } = stream;
        chunk = parsed
          .filter((candidate) => candidate.row.sequence > cursor && (matches === undefined || matches(candidate)))
          .map(({ row }) => frame(row))
          .join('');
      }
      stream.cursor = Math.max(stream.cursor, last.sequence);
      if (chunk.length > 0) send(stream, chunk);
    }
    broadcastUpTo = last.sequence;
  };

  /** The store's latest sequence, one query for every stream that asks at the same time. */
  const latestSequence = (): Promise<number> => {
    latestQuery ??= store.latestSequence().finally(() => {
      latestQuery = undefined;
    });
    return latestQuery;
  };

  /** Pages `stream` through the store up to `broadcastUpTo`, then makes it live; retried at the next wake-up if a query fails. */
  const catchUp = async (stream: Stream): Promise<void> => {
    if (stream.catchingUp || stream.live) return;
    stream.catchingUp = true;
    try {
      for (;;) {
        if (!streams.has(stream)) return;
        if (broadcastUpTo === undefined) {
          const latest = await latestSequence();
          broadcastUpTo ??= latest;
          continue;
        }
        if (stream.cursor >= broadcastUpTo) {
          // Nobody else depends on the mark: start broadcasting from this stream's cursor.
          if (live.size === 0) broadcastUpTo = stream.cursor;
          stream.live = true;
          live.add(stream);
          return;
        }
        const upTo = broadcastUpTo;
        await catchUpSlot();
        let rows: AlertRow[];
        try {
          rows = await store.alertsAfter(stream.cursor, upTo, stream.filters, pageSize);
        } finally {
          releaseCatchUpSlot();
        }
        if (!streams.has(stream)) return;
        if (rows.length > 0 && !send(stream, rows.map(frame).join(''))) return;
        stream.cursor = rows.length < pageSize ? upTo : (rows.at(-1)?.sequence ?? upTo);
      }
    } catch (err) {
      metrics.streamQueryFailures.inc({ query: 'catch-up' });
      log.warn({ err }, 'alert stream catch-up query failed; retrying at the next wake-up');
    } finally {
      stream.catchingUp = false;
    }
  };

  const pump = async (): Promise<void> => {
    if (pumping) {
      wokenWhilePumping = true;
      return;
    }
    pumping = true;
    try {
      do {
        wokenWhilePumping = false;
        for (;;) {
          const from = broadcastUpTo;
          if (from === undefined || live.size === 0) break;
          const rows = await store.alertsAfter(from, Number.MAX_SAFE_INTEGER, {}, pageSize);
          // The mark moved while the query ran (the live streams all left and one joined at its own cursor).
          if (broadcastUpTo !== from) continue;
          broadcast(rows);
          if (rows.length < pageSize) break;
        }
      } while (wokenWhilePumping && !closed);
    } catch (err) {
      metrics.streamQueryFailures.inc({ query: 'broadcast' });
      log.warn({ err }, 'alert stream query failed; retrying at the next wake-up');
    } finally {
      pumping = false;
    }
  };

  const wake = (): void => {
    if (closed || streams.size === 0) return;
    void pump();
    for (const stream of streams) if (!stream.live && !stream.catchingUp) void catchUp(stream);
  };

  const startTimers = (): void => {
    pollTimer ??= setInterval(wake, pollIntervalMs);
    keepAliveTimer ??= setInterval(() => {
      for (const stream of streams) send(stream, ': keep-alive\n\n');
    }, keepAliveMs);
  };

  function stopTimers(): void {
    clearInterval(pollTimer);
    clearInterval(keepAliveTimer);
    pollTimer = undefined;
    keepAliveTimer = undefined;
  }

  return {
    maxStreams,
    admit() {
      if (streams.size < maxStreams) return true;
      metrics.streamsRefused.inc();
      return false;
    },
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
      // Counted at once (before any query), so `admit()` holds however many requests arrive together.
      const stream: Stream = {
        response,
        filters,
        matches: alertMatcher(filters),
        cursor: lastSequence ?? -1,
        live: false,
        catchingUp: false,
      };
      streams.add(stream);
      metrics.streamClients.set(streams.size);
      response.on('close', () => end(stream));
      startTimers();
      if (lastSequence === undefined) {
        try {
          stream.cursor = await latestSequence();
        } catch (err) {
          metrics.streamQueryFailures.inc({ query: 'open' });
          log.warn({ err }, 'could not start alert stream');
          end(stream);
          return;
        }
      }
      await catchUp(stream);
    },
    notify: wake,
    close() {
      closed = true;
      for (const stream of [...streams]) end(stream);
      stopTimers();
    },
  };
}
