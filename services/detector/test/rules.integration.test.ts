import { describe, expect, it, onTestFinished } from 'vitest';
import { createControlFeed, decodeAlert, type Alert, decodeScoredTransaction, type ScoredTransaction } from '@fraudstream/shared';
import { createDetectorMetrics } from '../src/metrics.js';
import { createDetectorRules } from '../src/rules.js';
import { testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { controlTopics, detectorTopics, makeTransactions, messageOf, produce, publishRules, readTopic, redisPrefix, rule, startDetector } from './support/harness.js';

describe('detector with rules (real broker)', () => {
  it('blocks, allows and shadows as the rules say, and follows a rule change without a restart', { timeout: 240_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 2);
    const control = await controlTopics(kafka);
    await publishRules(kafka, control.rules, [
      rule('block-terminal', 1, 'tx.terminalId == "term-10"', 'block'),
      rule('allow-card-11', 1, 'tx.cardId == "card-11"', 'allow'),
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
    /** Every score so far; the alerts are in the same transactions, so as many are committed as are flagged. */
    const scoredOf = async (total: number): Promise<ScoredTransaction[]> =>
      (await readTopic(kafka, topics.scored!, (messages) => messages.length >= total, 120_000)).map((message) => {
        const decoded = decodeScoredTransaction(message.value);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.value;
      });
    const alertsOf = async (scored: ScoredTransaction[]): Promise<Alert[]> => {
      const flagged = scored.filter((entry) => entry.flagged).length;
      const messages = await readTopic(kafka, topics.alerts, (read) => read.length >= flagged, 60_000);
      expect(messages).toHaveLength(flagged);
      return messages.map((message) => {
        const decoded = decodeAlert(message.value);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.value;
      });
    };
    const scored = await scoredOf(first.length);

    const atTerm10 = first.filter((t) => t.terminalId === 'term-10' && t.cardId !== 'card-11');
    expect(atTerm10.length).toBeGreaterThan(5);
    let alerts = await alertsOf(scored);
    const blocked = alerts.filter((alert) => alert.decision === 'block');
    expect(blocked.map((alert) => alert.transaction.transactionId).sort()).toEqual(atTerm10.map((t) => t.transactionId).sort());
    expect(blocked.every((alert) => alert.ruleHits.length === 1 && alert.ruleHits[0]?.ruleId === 'block-terminal' && alert.ruleHits[0].version === 1)).toBe(true);
    expect(alerts.some((alert) => alert.transaction.cardId === 'card-11')).toBe(false);
    expect(alerts.filter((alert) => alert.decision === 'review').every((alert) => alert.score >= alert.threshold && alert.ruleHits.length === 0)).toBe(true);
    const text = await detectorMetrics.registry.metrics();
    expect(text).toContain(`fraudstream_detector_rule_hits_total{rule="shadow-everything",action="review",mode="shadow"} ${first.length}`);
    expect(text).toMatch(/fraudstream_detector_rule_hits_total\{rule="allow-card-11",action="allow",mode="active"\} [1-9]/);
    // card-11 pays at term-10: the allow rule overrode those block decisions, each counted.
    const overridden = first.filter((t) => t.terminalId === 'term-10' && t.cardId === 'card-11').length;
    expect(overridden).toBeGreaterThan(0);
    expect(text).toContain(`fraudstream_detector_alerts_suppressed_total{decision="block"} ${overridden}`);
    // Scores carry the shadow hits.
    expect(scored.every((entry) => entry.shadowHits?.[0]?.ruleId === 'shadow-everything')).toBe(true);

    // The block rule moves to term-20; once this replica has read the change, the next payments follow it.
    const offset = await publishRules(kafka, control.rules, [rule('block-terminal', 2, 'tx.terminalId == "term-20"', 'block')]);
    await feed.appliedThrough(control.rules, offset);
    const second = makeTransactions(1_500, { days: 1, firstId: 10_000 }).map((t) => ({ ...t, timestamp: new Date(Date.parse(t.timestamp) + 86_400_000).toISOString() }));
    await produce(kafka, topics.transactions, second.map(messageOf));
    const atTerm20 = second.filter((t) => t.terminalId === 'term-20' && t.cardId !== 'card-11');
    alerts = await alertsOf(await scoredOf(first.length + second.length));
    const laterBlocked = alerts.filter((alert) => alert.decision === 'block' && second.some((t) => t.transactionId === alert.transaction.transactionId));
    expect(laterBlocked.map((alert) => alert.transaction.transactionId).sort()).toEqual(atTerm20.map((t) => t.transactionId).sort());
    expect(laterBlocked.every((alert) => alert.ruleHits[0]?.version === 2)).toBe(true);
  });
});
