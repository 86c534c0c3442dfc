import { describe, expect, it, onTestFinished } from 'vitest';
import { controlTopicSpecs, createControlFeed, type ControlTopics, type Kafka, type Rule } from '@fraudstream/shared';
import { kafkaControlChannel } from '../../src/rules/kafka-channel.js';
import { createRuleRegistry } from '../../src/rules/registry.js';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../../test/support/kafka.js';
import { adminToken, openTestPglite, testApp } from '../fixtures.js';

const admin = { authorization: `Bearer ${adminToken}` };

async function startedFeed(kafka: Kafka, topics: ControlTopics) {
  const feed = createControlFeed({ kafka, topics, groupIdPrefix: uniqueName('feed'), log: testLog, sessionTimeout: 6_000, heartbeatInterval: 500 });
  onTestFinished(() => feed.stop());
  await feed.start();
  return feed;
}

describe('rules over the control topics (real broker)', () => {
  it('publishes a PUT to fraud.rules, reads it back before answering, and another reader sees every change in order', async () => {
    const kafka = testKafka();
    const topics = { rules: uniqueName('fraud.rules'), lists: uniqueName('fraud.lists') };
    await createTestTopics(kafka, controlTopicSpecs(topics));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());

    const feed = await startedFeed(kafka, topics);
    const registry = createRuleRegistry({ channel: kafkaControlChannel({ feed, producer, topics }) });
    const { app } = await testApp(openTestPglite, { rules: { registry, adminToken } });

    const body = { name: 'Large amount', expression: 'tx.amount > 1000.0', action: 'review', mode: 'shadow' };
    expect((await app.inject({ method: 'PUT', url: '/rules/large-amount', headers: admin, payload: body })).statusCode).toBe(201);
    // Read back before the answer: the registry's view already has it.
    expect((await app.inject({ method: 'GET', url: '/rules/large-amount', headers: admin })).json<Rule>().version).toBe(1);
    expect((await app.inject({ method: 'PUT', url: '/rules/large-amount', headers: admin, payload: { ...body, mode: 'active' } })).json<Rule>().version).toBe(2);
    expect((await app.inject({ method: 'PUT', url: '/lists/blocked-cards', headers: admin, payload: { items: ['card-1'] } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'PUT', url: '/rules/other', headers: admin, payload: body })).statusCode).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: '/rules/other', headers: admin })).statusCode).toBe(204);

    // A detector starting now reads everything from the beginning before it does anything else.
    const reader = await startedFeed(kafka, topics);
    expect([...reader.current().rules.values()].map((rule) => [rule.id, rule.version, rule.mode])).toEqual([['large-amount', 2, 'active']]);
    expect(reader.current().lists.get('blocked-cards')?.items).toEqual(['card-1']);
    // In topic order within each topic (the two topics are read side by side).
    const changes = reader.drain().map((change) => `${change.kind} ${change.id} ${change.value ? 'put' : 'deleted'}`);
    expect(changes.filter((change) => change.startsWith('rule'))).toEqual(['rule large-amount put', 'rule large-amount put', 'rule other put', 'rule other deleted']);
    expect(changes.filter((change) => change.startsWith('list'))).toEqual(['list blocked-cards put']);
    expect(reader.problems()).toEqual([]);
  }, 120_000);

  it('skips and counts an event that is not a valid rule, and a key that does not match its rule', async () => {
    const kafka = testKafka();
    const topics = { rules: uniqueName('fraud.rules'), lists: uniqueName('fraud.lists') };
    await createTestTopics(kafka, controlTopicSpecs(topics));
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const rule: Rule = { schemaVersion: 1, id: 'r', version: 1, name: 'r', expression: 'true', action: 'review', mode: 'active', updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test' };
    await producer.send({
      topic: topics.rules,
      messages: [
        { key: 'r', value: '{not json' },
        { key: 'r', value: JSON.stringify({ ...rule, action: 'deny' }) },
        { key: 'q', value: JSON.stringify(rule) },
        { key: 'r', value: JSON.stringify(rule) },
      ],
    });
    const invalid: string[] = [];
    const feed = createControlFeed({ kafka, topics, groupIdPrefix: uniqueName('feed'), log: testLog, onInvalid: (_topic, reason) => invalid.push(reason) });
    onTestFinished(() => feed.stop());
    await feed.start();
    expect([...feed.current().rules.keys()]).toEqual(['r']);
    expect(invalid).toHaveLength(3);
    expect(invalid[2]).toMatch(/key q does not match/);
  }, 120_000);
});
