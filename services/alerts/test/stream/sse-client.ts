/** A test's client of the service's Server-Sent Events streams. */
import type { StoredAlert } from '../../src/schemas.js';

export interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A minimal EventSource over fetch: collects events until closed. */
export async function connect(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: ServerSentEvent[] = [];
  let ended = false;
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
    ended = true;
  })();
  const alerts = (): StoredAlert[] => events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data ?? '') as StoredAlert);
  /** The data of the events named `name`, parsed. */
  const data = <T>(name: string): T[] => events.filter((e) => e.event === name).map((e) => JSON.parse(e.data ?? '') as T);
  return {
    response,
    events,
    alerts,
    data,
    /** Whether the server ended the stream (or close() aborted it). */
    ended: () => ended,
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
