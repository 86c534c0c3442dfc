export * from './client.js';
export * from './transactions.js';
export * from './supervised-consumer.js';
export * from './resilient-producer.js';
export { readingStableOffsets } from './mends/index.js';
