/**
 * Importing this mends kafkajs. The client module imports it first: the read-committed and send-retries
 * mends replace modules in kafkajs' module cache, which works only before kafkajs' own first load.
 */
import { installKafkajsMends } from './install.js';

installKafkajsMends();

export { readingStableOffsets } from './stable-offsets.js';
