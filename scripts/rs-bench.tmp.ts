import { createRedisFeatureStore } from '../shared/src/features/redis-store.ts';
import { historySpans } from '../shared/src/features/engine.ts';
import { Redis } from 'ioredis';
const admin = new Redis('redis://127.0.0.1:6379');
const prefix = 'rsbench:' + Date.now() + ':';
const store = createRedisFeatureStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
const spans = historySpans(7);
const now = Date.now();
let n = 0;
const usec = async () => Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
let total = 0, redisTotal = 0;
for (let b = 0; b < 20; b++) {
  const txs = Array.from({ length: 5000 }, () => { n++; return { transactionId: String(n).padStart(12, '0'), timestampMs: now + n * 36, cardId: 'card-' + ((n * 7919) % 5000), terminalId: 'term-' + ((n * 31 + n) % 10000), amount: 12.34 }; });
  const before = await usec();
  const t0 = performance.now();
  await store.record(txs, spans);
  const ms = performance.now() - t0;
  const redisMs = (await usec() - before) / 1000;
  if (b >= 5) { total += ms; redisTotal += redisMs; }
  console.log('batch', b, ms.toFixed(1), 'ms, redis', redisMs.toFixed(1));
}
console.log('per tx (batches 5..19):', (total / 75000 * 1000).toFixed(1), 'us; redis', (redisTotal / 75000 * 1000).toFixed(1), 'us');
await store.close();
const keys = await admin.keys(prefix + '*'); for (let i = 0; i < keys.length; i += 1000) await admin.del(...keys.slice(i, i + 1000));
await admin.quit();
