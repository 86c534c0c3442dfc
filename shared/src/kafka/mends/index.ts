/**
 * Importing this mends kafkajs. The client module imports it first: the read-committed and send-retries
 * mends swap modules in kafkajs' module cache, which works only before kafkajs' own first load.
 */
import './read-committed.js';
import './send-retries.js';
import './coordinators.js';
import './stable-offsets.js';

export { readingStableOffsets } from './stable-offsets.js';
