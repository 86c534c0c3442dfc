import { describe, expect, it } from 'vitest';
import { alertIdFor, createRuleBook, encode, type Rule, type Transaction } from '@fraudstream/shared';
import type { FraudModel } from '@fraudstream/model';
import { REASON_COUNT, decodeMessages, eventTimesOf, explain, scoreTransactions, splitDecoded, type RawMessage } from '../src/scoring.js';

const names = ['A', 'B', 'C', 'D', 'E'];
const weights = [2, -1, 0.5, 3, 0];

/** A logistic model over the raw features, counting its predict calls. */
function fakeModel(): FraudModel & { calls: number[] } {
  const calls: number[] = [];
  return {
    version: 'test-1',
    featureNames: names,
    threshold: 0.5,
    featureMeans: [0, 0, 0, 0, 0],
    calls,
    predict(rows, n) {
      calls.push(n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 1) {
        let z = -2;
        for (let j = 0; j < names.length; j += 1) z += (weights[j] ?? 0) * (rows[i * names.length + j] ?? 0);
        out[i] = 1 / (1 + Math.exp(-z));
      }
      return Promise.resolve(out);
    },
  };
}

const tx = (id: number, amount: number): Transaction => ({
  schemaVersion: 1,
  transactionId: `tx-${id}`,
  timestamp: `2018-04-01T00:00:${String(id).padStart(2, '0')}Z`,
  cardId: `card-${id}`,
  terminalId: 'term-1',
  amount,
  currency: 'EUR',
});

const message = (offset: number, value: Buffer | null): RawMessage => ({
  topic: 'transactions',
  partition: 0,
  offset: String(offset),
  key: Buffer.from('k'),
  value,
});

describe('decodeMessages', () => {
  it('keeps valid transactions and turns each invalid message into a dead letter with its reason', () => {
    const decoded = decodeMessages([
      message(0, encode(tx(1, 10))),
      message(1, Buffer.from('{not json')),
      message(2, Buffer.from(JSON.stringify({ ...tx(2, 10), amount: -5 }))),
      message(3, Buffer.from(JSON.stringify({ ...tx(3, 10), schemaVersion: 2 }))),
      message(4, null),
      message(5, encode(tx(5, 10))),
    ]);
    const { valid, deadLetters } = splitDecoded(decoded);
    expect(valid.map((entry) => entry.offset)).toEqual(['0', '5']);
    expect(deadLetters.map((letter) => [letter.offset, letter.error.code, letter.error.path])).toEqual([
      ['1', 'MALFORMED_JSON', ''],
      ['2', 'SCHEMA_VIOLATION', 'amount'],
      ['3', 'UNKNOWN_VERSION', 'schemaVersion'],
      ['4', 'EMPTY_MESSAGE', ''],
    ]);
    expect(deadLetters[0]?.originalValue).toBe(Buffer.from('{not json').toString('base64'));
  });

  it('gives an invalid message the event time of the message before it', () => {
    const decoded = decodeMessages([message(0, Buffer.from('x')), message(1, encode(tx(7, 1))), message(2, Buffer.from('y'))]);
    const t = Date.parse('2018-04-01T00:00:07Z');
    expect(eventTimesOf(decoded)).toEqual([Number.NEGATIVE_INFINITY, t, t]);
  });
});

describe('scoreTransactions', () => {
  it('scores the batch in one predict and explains the flagged ones in one more', async () => {
    const model = fakeModel();
    // Feature rows straight from the amount: row i = [amount, 1, 0, amount/10, 0].
    const engine = {
      transform: (transactions: readonly Transaction[]) =>
        Promise.resolve(Float32Array.from(transactions.flatMap((t) => [t.amount, 1, 0, t.amount / 10, 0]))),
    };
    const valid = [tx(1, 0.5), tx(2, 3), tx(3, 0.1), tx(4, 4)].map((transaction, i) => ({ transaction, offset: String(i) }));
    const result = await scoreTransactions(valid, engine, model, { now: new Date('2020-01-01T00:00:00Z') });
    expect(model.calls).toEqual([4, 2 * names.length]);
    expect(result.scored.map((s) => s.flagged)).toEqual([false, true, false, true]);
    expect(result.alerts.map((a) => a.alertId)).toEqual([alertIdFor({ transactionId: 'tx-2', cardId: 'card-2' }), alertIdFor({ transactionId: 'tx-4', cardId: 'card-4' })]);
    const alert = result.alerts[0];
    expect(alert?.transaction.cardId).toBe('card-2');
    expect(alert?.modelVersion).toBe('test-1');
    expect(alert?.threshold).toBe(0.5);
    expect(alert?.detectedAt).toBe('2020-01-01T00:00:00.000Z');
    // Occluding A (2·3) and D (3·0.3) lowers the score; B (−1·1) raises it and C, E change nothing: no reasons.
    expect(alert?.reasons.map((r) => r.feature)).toEqual(['A', 'D']);
    expect(alert?.reasons[0]).toMatchObject({ value: 3, typical: 0 });
    const reasons = alert?.reasons ?? [];
    expect(reasons[0]?.contribution).toBeGreaterThan(reasons[1]?.contribution ?? Infinity);
    expect(reasons[0]?.contribution).toBeCloseTo((alert?.score ?? 0) - 1 / (1 + Math.exp(-(-2 - 1 + 3 * 0.3))), 6);
  });

  it('scores the same rows with a shadow challenger that never changes what alerts, and survives its failure', async () => {
    const model = fakeModel();
    const engine = {
      transform: (transactions: readonly Transaction[]) =>
        Promise.resolve(Float32Array.from(transactions.flatMap((t) => [t.amount, 1, 0, t.amount / 10, 0]))),
    };
    const challengerRows: Float32Array[] = [];
    // A challenger that alerts on everything: threshold 0, its score the amount's share of 10.
    const challenger: FraudModel = {
      version: 'challenger-1',
      featureNames: names,
      threshold: 0,
      featureMeans: [0, 0, 0, 0, 0],
      predict: (rows, n) => {
        challengerRows.push(rows);
        return Promise.resolve(Float32Array.from({ length: n }, (_, i) => (rows[i * names.length] ?? 0) / 10));
      },
    };
    const valid = [tx(1, 0.5), tx(2, 3), tx(3, 0.1), tx(4, 4)].map((transaction, i) => ({ transaction, offset: String(i) }));
    const alone = await scoreTransactions(valid, engine, fakeModel());
    const result = await scoreTransactions(valid, engine, model, { challenger });
    expect(result.scored.map((s) => [s.score, s.flagged])).toEqual(alone.scored.map((s) => [s.score, s.flagged]));
    expect(result.alerts.map((a) => a.alertId)).toEqual(alone.alerts.map((a) => a.alertId));
    expect(challengerRows).toHaveLength(1);
    const rows = Float32Array.from(valid.flatMap(({ transaction: t }) => [t.amount, 1, 0, t.amount / 10, 0]));
    expect(challengerRows[0]).toEqual(rows); // the champion's feature rows, not computed again
    const expected = Float32Array.from(valid, (_, i) => rows[i * names.length]! / 10);
    expect(result.scored.map((s) => s.challenger)).toEqual(Array.from(expected, (score) => ({ modelVersion: 'challenger-1', score, threshold: 0, flagged: true })));
    expect(result.alerts.map((a) => a.challenger?.score)).toEqual([expected[1], expected[3]]);
    expect(result.challenger).toMatchObject({ modelVersion: 'challenger-1', seconds: expect.any(Number) });

    const failing: FraudModel = { ...challenger, predict: () => Promise.reject(new Error('out of memory')) };
    const survived = await scoreTransactions(valid, engine, fakeModel(), { challenger: failing });
    expect(survived.alerts.map((a) => a.alertId)).toEqual(alone.alerts.map((a) => a.alertId));
    expect(survived.alerts.every((a) => a.challenger === undefined)).toBe(true);
    expect(survived.challenger).toMatchObject({ modelVersion: 'challenger-1', error: new Error('out of memory') });
  });

  it('lets the rules decide beside the model: allow suppresses, block blocks, review adds, shadow only counts', async () => {
    const model = fakeModel();
    const engine = {
      transform: (transactions: readonly Transaction[]) =>
        Promise.resolve(Float32Array.from(transactions.flatMap((t) => [t.amount, 1, 0, t.amount / 10, 0]))),
    };
    const rules = createRuleBook();
    const rule = (id: string, expression: string, action: Rule['action'], mode: Rule['mode'] = 'active'): Rule => ({
      schemaVersion: 1, id, version: 3, name: id, expression, action, mode, updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test',
    });
    rules.putRule(rule('allow-card-2', 'tx.cardId == "card-2"', 'allow'));
    rules.putRule(rule('block-card-5', 'tx.cardId in lists["blocked"]', 'block'));
    rules.putRule(rule('review-tiny', 'tx.amount < 0.2', 'review'));
    rules.putRule(rule('shadow-all', 'true', 'block', 'shadow'));
    rules.putRule(rule('broken', 'tx.cardId in lists["missing"]', 'block'));
    rules.putList({ schemaVersion: 1, name: 'blocked', version: 1, items: ['card-5'], updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test' });
    // The model alone alerts on tx-2 and tx-4 (see above); tx-5 scores low.
    const valid = [tx(1, 0.5), tx(2, 3), tx(3, 0.1), tx(4, 4), tx(5, 0.5)].map((transaction, i) => ({ transaction, offset: String(i) }));
    const result = await scoreTransactions(valid, engine, model, { rules });
    expect(result.scored.map((s) => s.decision)).toEqual([null, null, 'review', 'review', 'block']);
    expect(result.scored[1]).toMatchObject({ suppressed: 'review', flagged: false });
    expect(result.alerts.map((a) => [a.transaction.transactionId, a.decision, a.ruleHits.map((hit) => `${hit.ruleId} v${hit.version}`)])).toEqual([
      ['tx-3', 'review', ['review-tiny v3']],
      ['tx-4', 'review', []],
      ['tx-5', 'block', ['block-card-5 v3']],
    ]);
    expect(result.scored.every((s) => s.shadowHits.map((hit) => hit.ruleId).join() === 'shadow-all')).toBe(true);
    expect(result.scored.every((s) => s.ruleFailures.map((failure) => failure.ruleId).join() === 'broken')).toBe(true);
    // Reasons are explained for the alerted rows only: tx-3, tx-4, tx-5.
    expect(model.calls).toEqual([5, 3 * names.length]);
  });

  it('makes no model call for an empty batch', async () => {
    const model = fakeModel();
    const result = await scoreTransactions([], { transform: () => Promise.reject(new Error('not called')) }, model);
    expect(result.scored).toEqual([]);
    expect(model.calls).toEqual([]);
  });
});

describe('explain', () => {
  it('returns nothing without flagged rows', async () => {
    expect(await explain(fakeModel(), new Float32Array(5), [], new Float32Array(1))).toEqual([]);
  });

  it('keeps the strongest reasons that raised the score, at most REASON_COUNT, in words', async () => {
    const model = {
      ...fakeModel(),
      featureNames: ['TX_AMOUNT', 'TX_DURING_NIGHT', 'CUSTOMER_ID_NB_TX_1DAY_WINDOW', 'TERMINAL_ID_RISK_7DAY_WINDOW', 'E'],
      featureMeans: [0.5, 0, 1, 0.01, 0],
    };
    // z = −2 + 2·amount − night + 0.5·count + 3·risk: the amount, the count and the risk above their means raise it, the night lowers it.
    const rows = Float32Array.from([1.2, 1, 3, 0.31, 0]);
    const [reasons] = await explain(model, rows, [0], await model.predict(rows, 1));
    expect(reasons).toHaveLength(REASON_COUNT);
    expect(reasons?.map((reason) => reason.feature)).toEqual(['TX_AMOUNT', 'CUSTOMER_ID_NB_TX_1DAY_WINDOW', 'TERMINAL_ID_RISK_7DAY_WINDOW']);
    expect(reasons?.every((reason) => reason.contribution > 0)).toBe(true);
    expect(reasons?.map((reason) => reason.text)).toEqual([
      'amount 1.20 (typical 0.50)',
      '3 payments on this card in the last day (typical 1.0)',
      "31 % of this terminal's payments a week ago were fraud",
    ]);
    // Fewer when fewer raised it; none when none did; and no words for a feature the catalogue does not know.
    const plain = fakeModel();
    const twoRows = Float32Array.from([0, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    const few = await explain(plain, twoRows, [0, 1], await plain.predict(twoRows, 2));
    expect(few[0]).toEqual([{ feature: 'D', value: 1, typical: 0, contribution: expect.any(Number) }]);
    expect(few[1]).toEqual([]);
  });
});
