import { cardIdFor, createFeatureEngine, createMemoryFeatureStore, encode, terminalIdFor, transactionIdFor, type RuleBook, type Transaction } from '@fraudstream/shared';
import type { FraudModel } from '@fraudstream/model';
import { batchOutput, type OutputTopics } from './batch-output.js';
import { ruleHitCounts } from './rules.js';
import { decodeMessages, scoreTransactions, splitDecoded, type RawMessage } from './scoring.js';

export interface WarmUpOptions {
  model: FraudModel;
  challenger?: FraudModel | undefined;
  rules?: RuleBook | undefined;
  topics: OutputTopics;
  labelDelayDays: number;
  /** Batches of made-up payments run through the path (default 30). */
  batches?: number;
}

/** Batch sizes the warm-up cycles through: a live trickle, a busy poll, a backlog's fetch. */
const SIZES = [1, 7, 60, 250, 500];
const CARDS = 200;

/**
 * Made-up payments in event-time order: a few cards paying every few minutes, every 9th an amount far
 * above the card's usual, so that some are flagged and their reasons are explained too.
 */
export function warmUpTransactions(count: number, startMs: number, firstId = 0): Transaction[] {
  return Array.from({ length: count }, (_, k) => {
    const n = firstId + k;
    return {
      schemaVersion: 1,
      transactionId: transactionIdFor(900_000_000 + n),
      timestamp: new Date(startMs + n * 60_000).toISOString(),
      cardId: cardIdFor(n % CARDS),
      terminalId: terminalIdFor((n * 13) % 500),
      amount: n % 9 === 0 ? 900 + (n % 100) : Math.round(2000 + ((n * 37) % 6000) + (n % 100)) / 100,
      currency: 'EUR',
    };
  });
}

/**
 * Runs the replica's batch path (decode, features, the model with its reasons, the rules, the
 * challenger, the output messages) on made-up payments, with a feature store of its own that is thrown
 * away, before the replica joins its group: the model's first predictions (the WASM backend's set-up)
 * and the first calls of the engine and the encoders (compiled by V8 as they warm) happen here rather
 * than on the first real batches, whose payments would wait for them. Nothing is written anywhere.
 */
export async function warmUp({ model, challenger, rules, topics, labelDelayDays, batches = 30 }: WarmUpOptions): Promise<{ ms: number; payments: number }> {
  const started = performance.now();
  const engine = createFeatureEngine(createMemoryFeatureStore(), { labelDelayDays });
  const startMs = Date.parse('2018-04-01T00:00:00.000Z');
  let payments = 0;
  try {
    for (let batch = 0; batch < batches; batch += 1) {
      const transactions = warmUpTransactions(SIZES[batch % SIZES.length]!, startMs, payments);
      payments += transactions.length;
      const messages: RawMessage[] = transactions.map((transaction, index) => ({
        topic: 'warm-up',
        partition: 0,
        offset: String(payments + index),
        key: Buffer.from(transaction.cardId),
        value: encode(transaction),
      }));
      const chunk = decodeMessages(messages);
      const { valid } = splitDecoded(chunk);
      const result = await scoreTransactions(valid, engine, model, { ...(rules ? { rules } : {}), ...(challenger ? { challenger } : {}) });
      batchOutput(topics, chunk, result, rules ? ruleHitCounts(result.scored, rules, new Date()) : null);
    }
  } finally {
    await engine.close();
  }
  return { ms: performance.now() - started, payments };
}
