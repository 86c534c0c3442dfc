/**
 * `npm run kafka`: runs the project's local Kafka broker in the foreground for manual runs and
 * prints its bootstrap address. Ctrl-C stops it and removes its data (unless --data-dir).
 */
import { parseArgs } from 'node:util';
import { createLogger, createShutdown } from '@fraudstream/shared';
import { KAFKA_VERSION, kafkaLibs, startKafka } from './kafka/local-broker.js';

const usage = `Usage: npm run kafka -- [--port N] [--data-dir DIR] [--install-only]

Starts a single-node Apache Kafka broker (KRaft) from Kafka's jars and keeps it in the foreground.
  --port N          listener port (default: a free port)
  --data-dir DIR    keep the broker's data here across runs (default: a temporary directory, removed on exit)
  --install-only    only resolve Kafka's jars into the cache (what .ci/run does), then exit
  -h, --help        show this help
Uses $KAFKA_HOME/libs when KAFKA_HOME is set; otherwise resolves the jars with Maven into ~/.cache/fraudstream.`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
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
  const log = createLogger({ name: 'kafka' });
  if (values['install-only']) {
    const libs = await kafkaLibs(log);
    log.info({ libs }, `Apache Kafka ${KAFKA_VERSION} jars ready`);
    return;
  }
  const shutdown = createShutdown({ log });
  const kafka = await startKafka({ log, ...(port ? { port } : {}), ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) });
  shutdown.register('kafka broker', () => kafka.stop());
  log.info({ version: kafka.version, clusterId: kafka.clusterId, logFile: kafka.logFile }, `Kafka ${kafka.version} ready (${kafka.source})`);
  console.log(`KAFKA_BROKERS=${kafka.brokers}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
