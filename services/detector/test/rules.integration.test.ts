import { describe, expect, it, onTestFinished } from 'vitest';
import { controlTopicSpecs, createControlFeed, decodeAlert, type Alert, type Kafka, type Rule } from '@fraudstream/shared';
import { createDetectorMetrics } from '../src/metrics.js';
import { createDetectorRules } from '../src/rules.js';
import { decodeScoredTransaction } from '../src/scored.js';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { detectorTopics, makeTransactions, messageOf, produce, readTopic, redisPrefix, startDetector } from './support/harness.js';

const rule = (id: string, version: number, expression: string, action: Rule['action'], mode: Rule['mode'] = 'active'): Rule => ({
  schemaVersion: 1, id, version, name: `Rule ${id}`, expression, action, mode, updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test',
});

async function publishRules(kafka: Kafka, topic: string, rules: Rule[]): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const [written] = await producer.send({ topic, acks: -1, messages: rules.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
  await producer.disconnect();
  return Number(written?.baseOffset) + rules.length - 1;
}

describe('detector with rules (real broker)', () => {
  it('blocks, allows and shadows as the rules say, and follows a rule change without a restart', { timeout: 240_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 2);
    const control = { rules: uniqueName('fraud.rules'), lists: uniqueName('fraud.lists') };
    await createTestTopics(kafka, controlTopicSpecs(control));
    await publishRules(kafka, control.rules, [
      rule('block-terminal', 1, 'tx.terminalId == "term-10"', 'block'),
      rule('allow-card-3', 1, 'tx.cardId == "card-3"', 'allow'),
      rule('shadow-everything', 1, 'tx.amount >= 0.0', 'review', 'shadow'),
    ]);

    const metrics = createDetectorMetrics();
    const feed = createControlFeed({ kafka, topics: control, groupIdPrefix: uniqueName('detector'), log: testLog, sessionTimeout: 6_000, heartbeatInterval: 500 });
    onTestFinished(() => feed.stop());
    await feed.start();
    const rules = createDetectorRules({ feed, metrics, log: testLog });
    rules.sync();
    const { metrics: detectorMetrics } = await startDetector({ kafka, topics, groupId: uniqueName('detector'), keyPrefix: redisPrefix(), rules });

    const first = makeTransactions(1_500, { days: 1 });
    await produce(kafka, topics.transactions, first.map(messageOf));
    const scoredCount = (messages: Array<{ value: Buffer | null }>) => messages.length;
    await readTopic(kafka, topics.scored!, (messages) => scoredCount(messages) >= first.length, 120_000);
    const alertsOf = async (count: number): Promise<Alert[]> =>
      (await readTopic(kafka, topics.alerts, (messages) => messages.length >= count, 30_000)).map((message) => {
        const decoded = decodeAlert(message.value);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.value;
      });

    const atTerm10 = first.filter((t) => t.terminalId === 'term-10' && t.cardId !== 'card-3');
    expect(atTerm10.length).toBeGreaterThan(5);
    let alerts = await alertsOf(atTerm10.length);
    const blocked = alerts.filter((alert) => alert.decision === 'block');
    expect(blocked.map((alert) => alert.transaction.transactionId).sort()).toEqual(atTerm10.map((t) => t.transactionId).sort());
    expect(blocked.every((alert) => alert.ruleHits.length === 1 && alert.ruleHits[0]?.ruleId === 'block-terminal' && alert.ruleHits[0].version === 1)).toBe(true);
    expect(alerts.some((alert) => alert.transaction.cardId === 'card-3')).toBe(false);
    expect(alerts.filter((alert) => alert.decision === 'review').every((alert) => alert.score >= alert.threshold && alert.ruleHits.length === 0)).toBe(true);
    const text = await detectorMetrics.registry.metrics();
    expect(text).toContain(`fraudstream_detector_rule_hits_total{rule="shadow-everything",action="review",mode="shadow"} ${first.length}`);
    expect(text).toMatch(/fraudstream_detector_rule_hits_total\{rule="allow-card-3",action="allow",mode="active"\} [1-9]/);
    // Scores carry the shadow hits.
    const scored = (await readTopic(kafka, topics.scored!, (messages) => messages.length >= first.length)).map((message) => decodeScoredTransaction(message.value));
    expect(scored.every((entry) => entry.ok && entry.value.shadowHits?.[0]?.ruleId === 'shadow-everything')).toBe(true);

    // The block rule moves to term-20; once this replica has read the change, the next payments follow it.
    const offset = await publishRules(kafka, control.rules, [rule('block-terminal', 2, 'tx.terminalId == "term-20"', 'block')]);
    await feed.appliedThrough(control.rules, offset);
    const second = makeTransactions(1_500, { days: 1, firstId: 10_000 }).map((t) => ({ ...t, timestamp: new Date(Date.parse(t.timestamp) + 86_400_000).toISOString() }));
    await produce(kafka, topics.transactions, second.map(messageOf));
    await readTopic(kafka, topics.scored!, (messages) => messages.length >= first.length + second.length, 120_000);
    const atTerm20 = second.filter((t) => t.terminalId === 'term-20' && t.cardId !== 'card-3');
    alerts = await alertsOf(atTerm10.length + atTerm20.length);
    const laterBlocked = alerts.filter((alert) => alert.decision === 'block' && second.some((t) => t.transactionId === alert.transaction.transactionId));
    expect(laterBlocked.map((alert) => alert.transaction.transactionId).sort()).toEqual(atTerm20.map((t) => t.transactionId).sort());
    expect(laterBlocked.every((alert) => alert.ruleHits[0]?.version === 2)).toBe(true);
  });
});
