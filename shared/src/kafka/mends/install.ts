/**
 * The one step that mends kafkajs (mends/index.ts runs it; the client module imports that first, before
 * kafkajs loads). Each mend replaces or wraps an internal of one kafkajs release, and a changed internal
 * would bring back silently the duplicate or lost deliveries it mends. So the step refuses any other
 * release, then checks every internal the mends patch or use, and only then changes any of them.
 */
import { FraudstreamError } from '../../errors.js';
import { prepareCoordinators } from './coordinators.js';
import { installedKafkajs, type KafkajsModules } from './internals.js';
import { prepareReadCommitted } from './read-committed.js';
import { prepareSendRetries } from './send-retries.js';
import { prepareStableOffsets } from './stable-offsets.js';

/** The kafkajs release the mends were written for: a new one needs each mend checked against it first. */
export const KAFKAJS_VERSION = '2.2.4';

/**
 * Mends kafkajs, or throws KAFKAJS_UNSUPPORTED (another version, an internal not as expected, or kafkajs
 * loaded before its mends) having changed nothing. Calling it again changes nothing either.
 */
export function installKafkajsMends(modules: KafkajsModules = installedKafkajs()): void {
  const version = modules.version();
  if (version !== KAFKAJS_VERSION) {
    throw new FraudstreamError(
      'KAFKAJS_UNSUPPORTED',
      `${typeof version === 'string' ? `kafkajs ${version}` : 'a kafkajs without a version'} is installed, but its mends (shared/src/kafka/mends/) were written for kafkajs ${KAFKAJS_VERSION}`,
    );
  }
  const apply = [prepareReadCommitted, prepareSendRetries, prepareCoordinators, prepareStableOffsets].map((prepare) => prepare(modules));
  for (const step of apply) step();
}
