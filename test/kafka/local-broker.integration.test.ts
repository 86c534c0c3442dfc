import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createKafkaForBrokers, createLogger, ensureTopics, type Kafka, type Producer } from '@fraudstream/shared';
import { startKafka, type RunningKafka } from '../../scripts/kafka/local-broker.js';
import { testLog, uniqueName } from '../support/kafka.js';

/** kafkajs logs every failed attempt while a broker is down; the test collects and reports them instead. */
const quiet = createLogger({ name: 'test', level: 'silent', pretty: false });

/** The run's global setup sets KAFKA_BROKERS; without it startKafka starts nodes of this file's own. */
const ownBrokerEnv = { ...process.env, KAFKA_BROKERS: undefined };

/** Polls `attempt` until it returns a value other than undefined; throws with the last reason at the deadline. */
async function eventually<T>(what: string, forMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= giveUpAt) throw new Error(`${what} did not happen within ${forMs} ms: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a 3-node local cluster', () => {
  let kafka: RunningKafka | undefined;
  let client: Kafka;

  beforeAll(async () => {
    kafka = await startKafka({ brokers: 3, log: testLog, env: ownBrokerEnv });
    client = createKafkaForBrokers(kafka.brokers.split(','), quiet, uniqueName('cluster-test'));
  }, 240_000);

  afterAll(async () => {
    await kafka?.stop();
  }, 60_000);

  it('runs three brokers of one cluster, with internal topics replicated 3 times', async () => {
    const cluster = kafka!;
    expect(cluster.nodes.map((node) => node.nodeId)).toEqual([1, 2, 3]);
    expect(cluster.brokers).toBe(cluster.nodes.map((node) => node.address).join(','));
    expect(cluster.nodes.every((node) => node.running())).toBe(true);
    const admin = client.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const described = await admin.describeCluster();
    expect(described.clusterId).toBe(cluster.clusterId);
    expect(described.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
    const names = ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'default.replication.factor', 'min.insync.replicas'];
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '1', configNames: names }] });
    const values = Object.fromEntries((configs.resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]));
    expect(values).toEqual({
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
    });
  });

  it('keeps taking acks=all writes when the leader of a partition is SIGKILLed, and the node comes back', async () => {
    const cluster = kafka!;
    const topic = uniqueName('failover');
    const partitions = 3;
    const admin = client.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    expect(await ensureTopics(admin, [{ topic, partitions }])).toEqual([topic]);

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    for (const partition of metadata.topics[0]?.partitions ?? []) expect(partition.replicas).toHaveLength(3);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }] });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('2');

    // ensureTopics returned: every partition's leader serves it, to a producer that never retries.
    const plain = client.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
    await plain.connect();
    await plain.send({ topic, acks: -1, messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: 'first' })) });
    await plain.disconnect();

    const producers: Producer[] = [];
    onTestFinished(() => Promise.all(producers.map((producer) => producer.disconnect().catch(() => {}))).then(() => {}));
    const newProducer = async (): Promise<Producer> => {
      const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
      producers.push(producer);
      await producer.connect();
      return producer;
    };
    let producer: Producer | undefined = await newProducer();
    await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'before' }] });

    const leader = metadata.topics[0]?.partitions.find((partition) => partition.partitionId === 0)?.leader;
    const victim = cluster.nodes.find((node) => node.nodeId === leader);
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    await victim!.kill('SIGKILL');
    expect(victim!.running()).toBe(false);

    // What the producer meets until a new leader is elected (the controller fences the dead broker
    // after its session times out), reported rather than asserted: the producer service handles it.
    // The same producer sends again; it is replaced only when its idempotent session is broken, or
    // after five failures in a row.
    const errors: string[] = [];
    let recreated = 0;
    let failuresInARow = 0;
    await eventually('an acks=all write after the leader died', 90_000, async () => {
      try {
        if (producer === undefined) {
          recreated += 1;
          producer = await newProducer();
        }
        await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'after' }] });
        return true;
      } catch (err) {
        const { name, message, type } = err as Error & { type?: string };
        errors.push(`${name}${type ? ` ${type}` : ''}: ${message}`);
        failuresInARow += 1;
        if (/SEQUENCE|EPOCH|FENCED/i.test(`${type} ${message}`) || failuresInARow >= 5) {
          await producer?.disconnect().catch(() => {});
          producer = undefined;
          failuresInARow = 0;
        }
        throw err;
      }
    });
    console.log(
      `[cluster] node ${victim!.nodeId} (leader of ${topic}/0) SIGKILLed; an acks=all write succeeded ${Date.now() - killedAt} ms later` +
        ` after ${errors.length} failed send(s), ${recreated} producer(s) recreated${errors.length > 0 ? `: ${[...new Set(errors)].join(' | ')}` : ''}`,
    );
    // The broker that answers may not have applied the leader change yet.
    const moved = await eventually('metadata without the dead broker as leader', 30_000, async () => {
      const after = await admin.fetchTopicMetadata({ topics: [topic] });
      const partition = after.topics[0]?.partitions.find((candidate) => candidate.partitionId === 0);
      return partition && partition.leader !== victim!.nodeId ? partition : undefined;
    });
    expect(moved.isr).not.toContain(victim!.nodeId);
    const offsets = await admin.fetchTopicOffsets(topic);
    // first, before, after — more if a recreated producer resent a write that had landed.
    expect(Number(offsets.find((offset) => offset.partition === 0)?.high)).toBeGreaterThanOrEqual(3);

    const restartedAt = Date.now();
    await victim!.start();
    expect(victim!.running()).toBe(true);
    const alone = createKafkaForBrokers([victim!.address], quiet, uniqueName('restarted')).admin({ retry: { retries: 0 } });
    onTestFinished(() => alone.disconnect());
    await alone.connect();
    const seen = await eventually('the restarted node listing the whole cluster', 60_000, async () => {
      const brokers = (await alone.describeCluster()).brokers.map((broker) => broker.nodeId).sort();
      return brokers.length === 3 ? brokers : undefined;
    });
    expect(seen).toEqual([1, 2, 3]);
    console.log(`[cluster] node ${victim!.nodeId} answered again ${Date.now() - restartedAt} ms after its restart`);
  }, 240_000);
});

describe('local broker data directories', () => {
  it('refuses to start a kept cluster with another number of nodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-kafka-layout-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const node of ['node-1', 'node-2', 'node-3']) {
      mkdirSync(join(dir, node, 'data'), { recursive: true });
      writeFileSync(join(dir, node, 'data', 'meta.properties'), 'cluster.id=zLG1EbN8PIm-lM0GczgSww\nnode.id=1\nversion=1\n');
    }
    await expect(startKafka({ brokers: 1, dataDir: dir, log: testLog, env: ownBrokerEnv })).rejects.toThrow(/3-node cluster .*start it with 3 brokers/);
    await expect(startKafka({ brokers: 5, dataDir: dir, log: testLog, env: ownBrokerEnv })).rejects.toThrow(/3-node cluster/);
  });
});
