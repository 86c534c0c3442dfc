/**
 * `npm run kafka`: runs the project's local Kafka broker (or a cluster of them, --brokers) in the
 * foreground for manual runs and prints its bootstrap addresses. Ctrl-C stops it and removes its data
 * (unless --data-dir).
 */
import { parseArgs } from 'node:util';
import { createLogger, createShutdown } from '@fraudstream/shared';
import { KAFKA_VERSION, kafkaLibs, startKafka } from './kafka/local-broker.js';

const usage = `Usage: npm run kafka -- [--brokers N] [--port N] [--data-dir DIR] [--install-only]

Starts Apache Kafka (KRaft, each node a combined broker and controller) from Kafka's jars and keeps it
in the foreground; prints KAFKA_BROKERS=<host:port,...>.
  --brokers N       nodes in the cluster, 1 to 9 (default 1); with 3 or more, the internal topics and
                    topics created without a replication factor get 3 replicas and min.insync.replicas=2
  --port N          the first node's listener port; node k listens on N+k-1 (default: free ports)
  --data-dir DIR    keep the data here across runs, a cluster's in DIR/node-1..N (default: a temporary
                    directory, removed on exit); restart a kept cluster with the same --brokers
  --install-only    only resolve Kafka's jars into the cache (what .ci/run does), then exit
  -h, --help        show this help
Uses $KAFKA_HOME/libs when KAFKA_HOME is set; otherwise resolves the jars with Maven into ~/.cache/fraudstream.`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        brokers: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'install-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    console.error(`Expected --port to be an integer between 1 and 65535, got ${values.port}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const brokers = values.brokers === undefined ? 1 : Number(values.brokers);
  if (!(Number.isInteger(brokers) && brokers >= 1 && brokers <= 9)) {
    console.error(`Expected --brokers to be an integer from 1 to 9, got ${values.brokers}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (port !== undefined && port + brokers - 1 > 65535) {
    console.error(`Expected --port to leave room for ${brokers} consecutive ports, got ${values.port}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const log = createLogger({ name: 'kafka' });
  if (values['install-only']) {
    const libs = await kafkaLibs(log);
    log.info({ libs }, `Apache Kafka ${KAFKA_VERSION} jars ready`);
    return;
  }
  const shutdown = createShutdown({ log });
  const kafka = await startKafka({ log, brokers, ...(port ? { port } : {}), ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) });
  shutdown.register('kafka broker', () => kafka.stop());
  log.info(
    { version: kafka.version, clusterId: kafka.clusterId, logFile: kafka.logFile, nodes: kafka.nodes.length },
    `Kafka ${kafka.version} ready (${kafka.source})`,
  );
  console.log(`KAFKA_BROKERS=${kafka.brokers}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
