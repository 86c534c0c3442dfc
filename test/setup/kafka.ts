import type { TestProject } from 'vitest/node';
import { createLogger } from '@fraudstream/shared';
import { startKafka } from '../../scripts/kafka/local-broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

/** Starts (or finds) the one real broker of a test run and hands its address to every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger({ name: 'test-kafka', level: 'info', pretty: false });
  const kafka = await startKafka({ log });
  console.log(`[kafka] Apache Kafka ${kafka.version} via ${kafka.source} at ${kafka.brokers} (cluster ${kafka.clusterId})`);
  project.provide('kafkaBrokers', kafka.brokers);
  process.env['KAFKA_BROKERS'] = kafka.brokers;
  return async () => {
    await kafka.stop();
  };
}
