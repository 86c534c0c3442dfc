import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createHandbookCsvWriter, RuleHitCounts, csvTransactionIdOf, decodeAlert, recordFromTransaction, decodeScoredTransaction, type ScoredTransaction } from '@fraudstream/shared';
import { createTestTopics, testKafka, uniqueName } from '../../../test/support/kafka.js';
import {
  controlTopics,
  detectorTopics,
  handbookHistory,
  makeTransactions,
  messageOf,
  occurrences,
  produce,
  publishLists,
  publishRules,
  readTopic,
  REDIS_URL,
  redisPrefix,
  rule,
  TEST_MODEL_DIR,
} from './support/harness.js';
import { repoRoot, spawnDetector } from './support/process.js';

/** Runs an npm script of the repository to completion; rejects with its output when it fails. */
function npmRun(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`npm run ${script} exited with ${code}:\n${output}`))));
  });
}

function scoredOf(messages: Array<{ value: Buffer | null }>): ScoredTransaction[] {
  return messages.map((message) => {
    const decoded = decodeScoredTransaction(message.value);
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.value;
  });
}

describe('detector process', () => {
  it('gives the offline scores and rule decisions of a CSV replayed through the producer, and a shadow challenger its own offline scores (to 1e-6)', { timeout: 240_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 3);
    const dir = await mkdtemp(join(tmpdir(), 'detector-parity-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const csv = join(dir, 'history.csv');
    const history = handbookHistory({ days: 10, perDay: 300 });
    const writer = createHandbookCsvWriter(csv);
    for (const { transaction, fraud, scenario } of history) await writer.write(recordFromTransaction(transaction, fraud, scenario));
    await writer.close();

    // The same rules and list offline (files) and online (the control topics), of every action and mode,
    // over the payment, the features, the score and a list.
    const blockedCard = history[10]!.transaction.cardId;
    const definitions = [
      { id: 'big-and-busy', name: 'Big and busy', expression: 'tx.amount > 150.0 && features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= 2.0', action: 'block', mode: 'active' },
      { id: 'risky-terminal', name: 'Risky terminal', expression: 'features.TERMINAL_ID_RISK_7DAY_WINDOW > 0.0 && score < 0.5', action: 'review', mode: 'active' },
      { id: 'tiny', name: 'Tiny amounts', expression: 'tx.amount < 6.0', action: 'allow', mode: 'active' },
      { id: 'blocked-cards', name: 'Blocked cards', expression: 'tx.cardId in lists["blocked-cards"]', action: 'block', mode: 'active' },
      { id: 'night', name: 'Night', expression: 'tx.hour < 6 && tx.amount > 50.0', action: 'review', mode: 'shadow' },
    ] as const;
    const rulesFile = join(dir, 'rules.json');
    const listsFile = join(dir, 'lists.json');
    await writeFile(rulesFile, JSON.stringify(definitions));
    await writeFile(listsFile, JSON.stringify({ 'blocked-cards': [blockedCard] }));
    const control = await controlTopics(kafka);
    await publishRules(kafka, control.rules, definitions.map((d) => rule(d.id, 1, d.expression, d.action, d.mode)));
    await publishLists(kafka, control.lists, { 'blocked-cards': [blockedCard] });

    const offline = join(dir, 'scores.csv');
    await npmRun('score', ['--model', TEST_MODEL_DIR, '--input', csv, '--from', '2018-04-01', '--output', offline, '--rules', rulesFile, '--lists', listsFile]);
    // A challenger of its own weights and threshold, trained on this history (too short to be a sound model; it only has to differ).
    const challengerDir = join(dir, 'challenger');
    await npmRun('train', ['--input', csv, '--from', '2018-04-02', '--to', '2018-04-09', '--out', challengerDir, '--members', '1', '--max-epochs', '2', '--allow-incomplete']);
    const challenger = JSON.parse(await readFile(join(challengerDir, 'metadata.json'), 'utf8')) as { version: string; threshold: { value: number } };
    const challengerScores = join(dir, 'challenger-scores.csv');
    await npmRun('score', ['--model', challengerDir, '--input', csv, '--from', '2018-04-01', '--output', challengerScores]);
    const expectedChallenger = new Map(
      (await readFile(challengerScores, 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => [line.split(',')[0]!, Number(line.split(',')[1])] as const),
    );
    const lines = (await readFile(offline, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('TRANSACTION_ID,score,decision,rule_hits,shadow_hits');
    const expected = new Map(
      lines.slice(1).map((line) => {
        const [id, score, decision, hits, shadow] = line.split(',') as [string, string, string, string, string];
        return [id, { score: Number(score), decision: decision || null, hits, shadow }];
      }),
    );
    expect(expected.size).toBe(history.length);

    const detector = spawnDetector({
      topics,
      groupId: uniqueName('detector'),
      env: { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(), KAFKA_TOPIC_PARTITIONS: '3', RULES_TOPIC: control.rules, LISTS_TOPIC: control.lists, CHALLENGER_MODEL_DIR: challengerDir },
    });
    await npmRun('producer', ['--replay', csv], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      TRANSACTIONS_TOPIC: topics.transactions,
      LABELS_TOPIC: topics.labels,
    });
    const scored = scoredOf(await readTopic(kafka, topics.scored as string, (read) => read.length >= history.length, 90_000));
    expect(scored).toHaveLength(history.length);
    const hitsText = (hits: Array<{ ruleId: string; version: number }> | undefined) => (hits ?? []).map((hit) => `${hit.ruleId}@${hit.version}`).join(' ');
    const differences = scored
      .map((entry) => ({
        id: csvTransactionIdOf(entry.transactionId),
        live: { score: entry.score, decision: entry.decision ?? null, hits: hitsText(entry.ruleHits), shadow: hitsText(entry.shadowHits) },
        offline: expected.get(csvTransactionIdOf(entry.transactionId)),
      }))
      .filter(({ live, offline }) => offline === undefined || Math.abs(live.score - offline.score) > 1e-6 || live.decision !== offline.decision || live.hits !== offline.hits || live.shadow !== offline.shadow);
    expect(differences.slice(0, 10)).toEqual([]);
    // The challenger scored every payment on the same features, in shadow: its own score and verdict beside the champion's.
    const challengerDifferences = scored.filter(({ transactionId, challenger: shadow }) => {
      const offlineScore = expectedChallenger.get(csvTransactionIdOf(transactionId));
      return (
        shadow === undefined ||
        offlineScore === undefined ||
        shadow.modelVersion !== challenger.version ||
        Math.abs(shadow.score - offlineScore) > 1e-6 ||
        shadow.flagged !== shadow.score >= challenger.threshold.value
      );
    });
    expect(challengerDifferences.slice(0, 10)).toEqual([]);
    expect(scored.some((entry) => entry.challenger!.flagged !== entry.score >= entry.threshold)).toBe(true); // it is another model
    // Every rule decided something, so the comparison covered each.
    const offlineRows = [...expected.values()];
    for (const { id } of definitions) expect(offlineRows.some((row) => `${row.hits} ${row.shadow}`.split(' ').includes(`${id}@1`)), id).toBe(true);
    expect(offlineRows.some((row) => row.decision === 'block')).toBe(true);
    // The labels mattered: some terminal saw a known fraud, and some scores cross the threshold.
    expect(scored.some((entry) => entry.flagged)).toBe(true);
    detector.child.kill('SIGTERM');
    expect(await detector.exited).toBe(0);
  });

  it('refuses to run an in-memory feature store next to another replica', { timeout: 120_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 2, false);
    const groupId = uniqueName('detector');
    const first = spawnDetector({ topics, groupId });
    const second = spawnDetector({ topics, groupId });
    // Whichever sees the other member refuses; the one left alone may go on (it is then a single replica).
    const [code, refused] = await Promise.race([first.exited.then((c) => [c, first] as const), second.exited.then((c) => [c, second] as const)]);
    expect(code).toBe(1);
    expect(refused.output()).toContain('set REDIS_URL on every replica');
  });

  it('after SIGKILL of one of two replicas mid-stream, every transaction and every alert is in the committed output exactly once, rules applied', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 6);
    const groupId = uniqueName('detector');
    // Rules of every action: the replica that takes over a partition decides its payments as the dead one would have.
    const control = await controlTopics(kafka);
    await publishRules(kafka, control.rules, [
      rule('block-terminal', 3, 'tx.terminalId == "term-10"', 'block'),
      rule('allow-card-11', 1, 'tx.cardId == "card-11"', 'allow'),
      rule('shadow-big', 1, 'tx.amount > 100.0', 'review', 'shadow'),
    ]);
    const ruleHitsTopic = uniqueName('fraud.rule-hits');
    await createTestTopics(kafka, [{ topic: ruleHitsTopic, partitions: 1 }]);
    const env = { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(), KAFKA_TOPIC_PARTITIONS: '6', RULES_TOPIC: control.rules, LISTS_TOPIC: control.lists, RULE_HITS_TOPIC: ruleHitsTopic };
    const transactions = makeTransactions(8_000, { days: 3 });
    await produce(kafka, topics.transactions, transactions.slice(0, 3_000).map(messageOf), 500);

    const doomed = spawnDetector({ topics, groupId, env });
    const survivor = spawnDetector({ topics, groupId, env });
    await readTopic(kafka, topics.scored as string, (read) => read.length >= 1_000, 90_000);
    const streaming = produce(kafka, topics.transactions, transactions.slice(3_000).map(messageOf), 250);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await streaming;

    const scored = scoredOf(await readTopic(kafka, topics.scored as string, (read) => read.length >= 8_000, 90_000));
    const counts = occurrences(scored.map((entry) => entry.transactionId));
    expect(counts.size, `the surviving replica's warnings and errors:\n${survivor.output().slice(-8_000)}`).toBe(8_000);
    expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    const settled = await readTopic(kafka, topics.scored as string, (read) => read.length > 8_000, 3_000);
    expect(settled).toHaveLength(8_000);

    const flagged = scored.filter((entry) => entry.flagged).map((entry) => entry.transactionId);
    expect(flagged.length).toBeGreaterThan(0);
    const alerts = (await readTopic(kafka, topics.alerts, (read) => read.length >= flagged.length, 30_000)).map((message) => {
      const decoded = decodeAlert(message.value);
      if (!decoded.ok) throw new Error(decoded.error.message);
      return decoded.value;
    });
    const alertCounts = occurrences(alerts.map((alert) => alert.alertId));
    expect(alertCounts.size).toBe(alerts.length);
    expect(alerts.map((alert) => alert.transaction.transactionId).sort()).toEqual([...flagged].sort());
    const blocked = transactions.filter((t) => t.terminalId === 'term-10' && t.cardId !== 'card-11').map((t) => t.transactionId);
    expect(blocked.length).toBeGreaterThan(10);
    const blockAlerts = alerts.filter((alert) => alert.decision === 'block');
    expect(blockAlerts.map((alert) => alert.transaction.transactionId).sort()).toEqual(blocked.sort());
    expect(blockAlerts.every((alert) => alert.ruleHits.map((hit) => `${hit.ruleId}@${hit.version}`).join() === 'block-terminal@3')).toBe(true);
    expect(alerts.filter((alert) => alert.transaction.cardId === 'card-11')).toEqual([]);
    const big = new Set(transactions.filter((t) => t.amount > 100).map((t) => t.transactionId));
    expect(scored.filter((entry) => (entry.shadowHits?.length ?? 0) > 0).map((entry) => entry.transactionId).sort()).toEqual([...big].sort());
    // The hit counts travel in the batches' transactions: each payment counted once, the killed replica's aborted batches not at all.
    const hitCountsOf = (messages: Array<{ value: Buffer | null }>) => messages.map((message) => RuleHitCounts.parse(JSON.parse(message.value!.toString())));
    const paymentsOf = (batches: RuleHitCounts[]) => batches.reduce((sum, batch) => sum + batch.payments, 0);
    const hitCounts = hitCountsOf(await readTopic(kafka, ruleHitsTopic, (read) => paymentsOf(hitCountsOf(read)) >= 8_000, 30_000));
    const total = (ruleId: string) => hitCounts.flatMap((batch) => batch.rules).filter((rule) => rule.ruleId === ruleId).reduce((sum, rule) => sum + rule.hits, 0);
    expect(paymentsOf(hitCounts)).toBe(8_000);
    // A hit is counted whether or not it decided: card-11's payments at term-10 hit the block rule too.
    expect(total('block-terminal')).toBe(transactions.filter((t) => t.terminalId === 'term-10').length);
    expect(total('shadow-big')).toBe(big.size);
    expect(total('allow-card-11')).toBe(transactions.filter((t) => t.cardId === 'card-11').length);

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  });
});
