import { alertIdFor, cardIdFor, terminalIdFor, transactionIdFor, type Alert, type AlertReason } from '@fraudstream/shared';

export interface BenchAlertOptions {
  cards: number;
  terminals: number;
  /** Detection time; the transaction is 2 s older. */
  detectedAtMs: number;
  reasons?: AlertReason[];
}

const DEFAULT_REASONS: AlertReason[] = [{ feature: 'terminalRisk7d', value: 0.8, typical: 0.02, contribution: 0.41 }];

/** The n-th alert of a benchmark: cards, terminals, amounts and scores spread deterministically over n. */
export function benchAlert(n: number, { cards, terminals, detectedAtMs, reasons = DEFAULT_REASONS }: BenchAlertOptions): Alert {
  const transactionId = transactionIdFor(n);
  const cardId = cardIdFor((n * 7919) % cards);
  return {
    schemaVersion: 1,
    alertId: alertIdFor({ transactionId, cardId }),
    transaction: {
      schemaVersion: 1,
      transactionId,
      timestamp: new Date(detectedAtMs - 2000).toISOString(),
      cardId,
      terminalId: terminalIdFor((n * 31) % terminals),
      amount: Math.round((5 + ((n * 37) % 90_000) / 100) * 100) / 100,
      currency: 'EUR',
    },
    score: 0.5 + (n % 500) / 1000,
    threshold: 0.5,
    modelVersion: 'bench-model-1',
    reasons,
    decision: 'review',
    ruleHits: [],
    detectedAt: new Date(detectedAtMs).toISOString(),
  };
}
