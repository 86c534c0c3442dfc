import type { ServerResponse } from 'node:http';
import type { Logger } from '@fraudstream/shared';
import type { Metrics } from '../metrics.js';

/** A stored event as the feed sends it: its place in the store's order and its JSON. */
export interface FeedRow {
  sequence: number;
  json: string;
}

/**
 * Where a feed's events come from: a store whose sequences become visible in increasing order (every
 * writer holds one lock while it commits), so "after n" never misses one committed later below n.
 */
export interface FeedSource<Filters, Row extends FeedRow, Parsed extends { row: Row }> {
  /** The SSE event name, and the `stream` label of the metrics. */
  name: string;
  /** The highest visible sequence (0 when empty). */
  latest(): Promise<number>;
  /** Oldest first: sequences above `sequence` and at most `upTo` that match `filters`. */
  after(sequence: number, upTo: number, filters: Filters, limit: number): Promise<Row[]>;
  /** A row with what the matcher needs (parsed once per broadcast, shared by every stream). */
  parse(row: Row): Parsed;
  /** The filters that take every row (the shared broadcast query's). */
  everything: Filters;
  /** The filters as a predicate (the same conditions as `after`'s SQL); undefined: every row matches. */
  matcher(filters: Filters): ((candidate: Parsed) => boolean) | undefined;
}

export interface EventFeedOptions {
  metrics: Metrics;
  log: Logger;
  /** How often to look for events stored by other replicas of the service. */
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

export interface EventFeed<Filters> {
  readonly maxStreams: number;
  /** Whether one more stream may open now (fewer than `maxStreams` are open); counts a refusal when not. */
  admit(): boolean;
  /** Sends the events matching `filters` after `lastSequence` (default: only new ones) until the client leaves. */
  open(response: ServerResponse, options: { filters: Filters; lastSequence?: number | undefined }): Promise<void>;
  /** Wakes the feed now (this process just stored or changed events). */
  notify(): void;
  /** Ends every stream; later streams end at once. Safe to call twice. */
  close(): void;
}

interface Stream<Filters, Parsed> {
  response: ServerResponse;
  filters: Filters;
  /** Undefined when the stream takes every event. */
  matches: ((candidate: Parsed) => boolean) | undefined;
  /** The last sequence this stream has considered: it has been sent every matching event up to it. */
  cursor: number;
  live: boolean;
  catchingUp: boolean;
}

/**
 * Server-Sent Events of a store's events (alerts, case changes). One wake-up (a notify from this
 * process, or the poll for other replicas' events) runs one query for every live stream: the rows after `broadcastUpTo`, the
 * highest sequence already broadcast, unfiltered; each row is parsed once and every live stream
 * takes the ones its filters match. A stream resuming from an older Last-Event-ID first pages
 * through the store on its own (a few such queries at a time) up to `broadcastUpTo`, and joins the
 * live streams once it has reached it, in the same tick: the store makes sequences visible in
 * increasing order, so the rows it read and the rows broadcast after it joined leave no gap and
 * overlap nowhere. Writes never wait for a client; one that falls `maxBufferedBytes` behind is cut off.
 */
export function createEventFeed<Filters, Row extends FeedRow, Parsed extends { row: Row }>(
  source: FeedSource<Filters, Row, Parsed>,
  {
  metrics,
  log,
  pollIntervalMs = 1000,
  keepAliveMs = 15_000,
  pageSize = 200,
  maxBufferedBytes = 4 * 1024 * 1024,
  maxStreams = 1000,
  catchUpConcurrency = 4,
  }: EventFeedOptions,
): EventFeed<Filters> {
  type FeedStream = Stream<Filters, Parsed>;
  const labels = { stream: source.name };
  const frame = (row: Row): string => `id: ${row.sequence}\nevent: ${source.name}\ndata: ${row.json}\n\n`;
  const streams = new Set<FeedStream>();
  const live = new Set<FeedStream>();
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

  const end = (stream: FeedStream, how: 'end' | 'destroy' = 'end'): void => {
    if (!streams.delete(stream)) return;
    live.delete(stream);
    metrics.streamClients.set(labels, streams.size);
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
  const send = (stream: FeedStream, chunk: string | Buffer): boolean => {
    const behind = stream.response.writableLength;
    if (behind > maxBufferedBytes) {
      metrics.streamsCutOff.inc(labels);
      log.warn({ behind, maxBufferedBytes }, 'stream client too slow; cutting it off');
      end(stream, 'destroy');
      return false;
    }
    stream.response.write(chunk);
    return true;
  };

  const broadcast = (rows: Row[]): void => {
    const first = rows[0];
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return;
    const frames = rows.map(frame);
    let everything: Buffer | undefined;
    let parsed: Parsed[] | undefined;
    for (const stream of live) {
      let chunk: string | Buffer;
      if (stream.matches === undefined && stream.cursor < first.sequence) {
        everything ??= Buffer.from(frames.join(''));
        chunk = everything;
      } else {
        parsed ??= rows.map(source.parse);
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
    latestQuery ??= source.latest().finally(() => {
      latestQuery = undefined;
    });
    return latestQuery;
  };

  /** Pages `stream` through the store up to `broadcastUpTo`, then makes it live; retried at the next wake-up if a query fails. */
  const catchUp = async (stream: FeedStream): Promise<void> => {
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
        let rows: Row[];
        try {
          rows = await source.after(stream.cursor, upTo, stream.filters, pageSize);
        } finally {
          releaseCatchUpSlot();
        }
        if (!streams.has(stream)) return;
        if (rows.length > 0 && !send(stream, rows.map(frame).join(''))) return;
        stream.cursor = rows.length < pageSize ? upTo : (rows.at(-1)?.sequence ?? upTo);
      }
    } catch (err) {
      metrics.streamQueryFailures.inc({ ...labels, query: 'catch-up' });
      log.warn({ err, stream: source.name }, 'stream catch-up query failed; retrying at the next wake-up');
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
          const rows = await source.after(from, Number.MAX_SAFE_INTEGER, source.everything, pageSize);
          // The mark moved while the query ran (the live streams all left and one joined at its own cursor).
          if (broadcastUpTo !== from) continue;
          broadcast(rows);
          if (rows.length < pageSize) break;
        }
      } while (wokenWhilePumping && !closed);
    } catch (err) {
      metrics.streamQueryFailures.inc({ ...labels, query: 'broadcast' });
      log.warn({ err, stream: source.name }, 'stream query failed; retrying at the next wake-up');
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
      metrics.streamsRefused.inc(labels);
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
      const stream: FeedStream = {
        response,
        filters,
        matches: source.matcher(filters),
        cursor: lastSequence ?? -1,
        live: false,
        catchingUp: false,
      };
      streams.add(stream);
      metrics.streamClients.set(labels, streams.size);
      response.on('close', () => end(stream));
      startTimers();
      if (lastSequence === undefined) {
        try {
          stream.cursor = await latestSequence();
        } catch (err) {
          metrics.streamQueryFailures.inc({ ...labels, query: 'open' });
          log.warn({ err, stream: source.name }, 'could not start stream');
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
