/**
 * The alerts-stream benchmark's clients, in a process of their own (forked with IPC): opens one
 * real socket per client to GET /alerts/stream?… , reads every stream to the end, and answers
 * the parent's messages: 'ready' once every stream has its `: connected` comment, then the bytes
 * and `alert` events read so far on 'count', and exits on 'stop'.
 */
import { request, type ClientRequest } from 'node:http';

const [url, countText, ...queries] = process.argv.slice(2);
const count = Number(countText);
if (url === undefined || !Number.isInteger(count) || count < 1 || queries.length === 0) {
  throw new Error('Usage: sse-clients.ts URL COUNT QUERY… (client i uses QUERY[i mod n])');
}

let connected = 0;
let bytes = 0;
let events = 0;
let failed = 0;
const requests: ClientRequest[] = [];
const send = (message: object): void => void process.send?.(message);

for (let index = 0; index < count; index += 1) {
  const req = request(`${url}?${queries[index % queries.length]}`, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
    if (response.statusCode !== 200) failed += 1;
    let seenConnected = false;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      bytes += Buffer.byteLength(chunk);
      // `event: alert` starts a line in every alert frame and nowhere else.
      for (let at = chunk.indexOf('event: alert'); at >= 0; at = chunk.indexOf('event: alert', at + 1)) events += 1;
      if (!seenConnected && chunk.includes(': connected')) {
        seenConnected = true;
        connected += 1;
        if (connected === count) send({ type: 'ready' });
      }
    });
    response.on('error', () => {});
  });
  req.on('error', () => (failed += 1));
  req.end();
  requests.push(req);
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') send({ type: 'count', bytes, events, failed, connected });
  if (message.type === 'stop') {
    for (const req of requests) req.destroy();
    process.disconnect();
  }
});
