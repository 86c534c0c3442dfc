import { describe, expect, it } from 'vitest';
import { alertIdFor, decodeAlert, decodeDeadLetter, encode, type Alert, type Transaction, decodeScoredTransaction } from '@fraudstream/shared';
import { batchOutput } from '../src/batch-output.js';
import { decodeMessages, type RawMessage, type ScoredBatch } from '../src/scoring.js';

const tx = (id: number): Transaction => ({
  schemaVersion: 1,
  transactionId: `tx-${id}`,
  timestamp: `2018-04-01T00:00:${String(id).padStart(2, '0')}Z`,
  cardId: `card-${id}`,
  terminalId: 'term-1',
  amount: 10 + id,
  currency: 'EUR',
});
const raw = (offset: number, value: Buffer | null, key: string | null = null): RawMessage => ({
  topic: 'transactions',
  partition: 0,
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value,
});
const topics = { alerts: 'alerts', deadLetters: 'dlq', scored: 'scored' };

/** A chunk of two valid transactions around one malformed message, the second of them flagged. */
function scoredChunk() {
  const chunk = decodeMessages([raw(10, encode(tx(1)), 'card-1'), raw(11, Buffer.from('{"broken"'), 'bad-key'), raw(12, encode(tx(2)), 'card-2')]);
  const alert: Alert = {
    schemaVersion: 1,
    alertId: alertIdFor(tx(2)),
    transaction: tx(2),
    score: 0.9,
    threshold: 0.5,
    modelVersion: 'm-1',
    reasons: [],
    decision: 'review',
    ruleHits: [],
    detectedAt: '2026-12-01T00:00:00.000Z',
  };
  const result: ScoredBatch = {
    scored: [
      { transaction: tx(1), offset: '10', score: 0.1, flagged: false, decision: null, ruleHits: [], shadowHits: [], ruleFailures: [], suppressed: null, features: Float32Array.of(11, 1 / 3) },
      { transaction: { ...tx(2), channel: 'ecommerce', maskedPan: '411111******1111' }, offset: '12', score: 0.9, flagged: true, decision: 'review', ruleHits: [], shadowHits: [], ruleFailures: [], suppressed: null, features: Float32Array.of(12, 0) },
    ],
    alerts: [alert],
    modelVersion: 'm-1',
    threshold: 0.5,
    predictSeconds: 0.001,
  };
  return { chunk, result };
}

describe('batchOutput', () => {
  it('writes the alerts keyed by card, the dead letters with their reason, and every score', () => {
    const { chunk, result } = scoredChunk();
    const output = batchOutput(topics, chunk, result);
    expect(output.map(({ topic, messages }) => `${topic}:${messages.length}`)).toEqual(['alerts:1', 'dlq:1', 'scored:2']);

    const [alerts, letters, scores] = output;
    expect(alerts?.messages[0]?.key).toBe('card-2');
    const alert = decodeAlert(alerts?.messages[0]?.value as Buffer);
    expect(alert.ok && alert.value.transaction.transactionId).toBe('tx-2');

    const letter = letters?.messages[0];
    expect(letter?.headers).toEqual({ 'fraudstream-error': 'MALFORMED_JSON' });
    expect(letter?.key).toEqual(Buffer.from('bad-key'));
    const decodedLetter = decodeDeadLetter(letter?.value as Buffer);
    expect(decodedLetter.ok && decodedLetter.value.offset).toBe('11');

    expect(scores?.messages.map((message) => message.key)).toEqual(['card-1', 'card-2']);
    const scored = scores?.messages.map((message) => decodeScoredTransaction(message.value as Buffer));
    expect(scored?.map((decoded) => decoded.ok && decoded.value)).toEqual([
      {
        ...{ schemaVersion: 1, transactionId: 'tx-1', cardId: 'card-1', timestamp: tx(1).timestamp, terminalId: 'term-1', amount: 11, currency: 'EUR' },
        ...{ score: 0.1, threshold: 0.5, flagged: false, modelVersion: 'm-1', decision: null, ruleHits: [], shadowHits: [], features: [11, 0.333333] },
      },
      {
        ...{ schemaVersion: 1, transactionId: 'tx-2', cardId: 'card-2', timestamp: tx(2).timestamp, terminalId: 'term-1', amount: 12, currency: 'EUR' },
        ...{ channel: 'ecommerce', maskedPan: '411111******1111' },
        ...{ score: 0.9, threshold: 0.5, flagged: true, modelVersion: 'm-1', decision: 'review', ruleHits: [], shadowHits: [], features: [12, 0] },
      },
    ]);
  });

  it('writes no scores without a scored topic, and nothing at all for a chunk with no alert and no dead letter', () => {
    const { chunk, result } = scoredChunk();
    const withoutScored = { alerts: 'alerts', deadLetters: 'dlq' };
    expect(batchOutput(withoutScored, chunk, result).map(({ topic }) => topic)).toEqual(['alerts', 'dlq']);
    const quiet: ScoredBatch = { ...result, alerts: [], scored: result.scored.map((entry) => ({ ...entry, flagged: false })) };
    expect(batchOutput(withoutScored, chunk.filter((entry) => 'transaction' in entry), quiet)).toEqual([]);
  });
});
