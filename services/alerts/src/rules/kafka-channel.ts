import { FraudstreamError, type ControlFeed, type ControlTopics, type Producer } from '@fraudstream/shared';
import type { ControlChannel } from './registry.js';

/**
 * The control topics as the registry's channel: a change is produced (acks from every in-sync replica)
 * and then awaited on the feed, so the answer to a PUT is what every reader of the topic will see.
 * Kafka's failures become KAFKA_UNAVAILABLE (a 503 for the client, never a 500).
 */
export function kafkaControlChannel({ feed, producer, topics }: { feed: ControlFeed; producer: Pick<Producer, 'sendBatch'>; topics: ControlTopics }): ControlChannel {
  return {
    current: () => feed.current(),
    problems: () => feed.problems(),
    async publish(event) {
      const topic = event.kind === 'rule' ? topics.rules : topics.lists;
      let offset: number;
      try {
        const [written] = await producer.sendBatch({
          acks: -1,
          topicMessages: [{ topic, messages: [{ key: event.id, value: event.value === null ? null : JSON.stringify(event.value) }] }],
        });
        offset = Number(written?.baseOffset ?? written?.offset ?? Number.NaN);
      } catch (err) {
        throw new FraudstreamError('KAFKA_UNAVAILABLE', `${topic} cannot be written: ${(err as Error).message}`, { cause: err });
      }
      if (!Number.isFinite(offset)) throw new FraudstreamError('KAFKA_UNAVAILABLE', `${topic}: the broker did not say where it wrote`);
      await feed.appliedThrough(topic, offset);
    },
  };
}
