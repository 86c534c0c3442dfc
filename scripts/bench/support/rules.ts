import { cardIdFor, compileExpression, terminalIdFor, type NamedList, type Rule, type RuleAction } from '@fraudstream/shared';

/**
 * The rule book of the detector benchmark: `count` active rules of the kinds a fraud team writes
 * (amount ceilings by velocity, spend spikes against the card's average, risky terminals, the model's
 * score with an amount, list membership, channel and merchant tests, night hours), each with its own
 * thresholds, so no two compile to the same function. Together they flag about 1 % of the payments, as
 * a tuned rule set does; the block lists hold cards that do pay, so some payments are blocked.
 */
export function benchRuleBook(count: number, at = new Date().toISOString()): { rules: Rule[]; lists: NamedList[] } {
  const templates: Array<(i: number) => { expression: string; action: RuleAction }> = [
    (i) => ({ expression: `tx.amount > ${200 + 10 * i}.0 && features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= ${3 + (i % 5)}.0`, action: 'review' }),
    (i) => ({ expression: `features.CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY > ${4 + (i % 4)}.5 && score > 0.${3 + (i % 5)}`, action: 'review' }),
    (i) => ({ expression: `features.TERMINAL_ID_RISK_7DAY_WINDOW > 0.${2 + (i % 6)} && tx.amount > ${50 + i}.0`, action: 'block' }),
    (i) => ({ expression: `tx.cardId in lists["bench-blocked-cards-${i % 3}"]`, action: 'block' }),
    (i) => ({ expression: `tx.terminalId in lists["bench-watched-terminals"] && tx.amount > ${20 + i}.0`, action: 'review' }),
    (i) => ({ expression: `tx.channel == "ecom" && tx.amount > ${300 + i}.0 || tx.merchantCategory.startsWith("79${i % 10}")`, action: 'review' }),
    (i) => ({ expression: `tx.hour < 4 && features.CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX < 0.${1 + (i % 8)} && tx.amount > ${80 + i}.0`, action: 'review' }),
    (i) => ({ expression: `score > 0.9${i % 10} && tx.amount > ${500 + i}.0`, action: 'block' }),
    (i) => ({ expression: `tx.amount < 2.0 && features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= ${4 + (i % 3)}.0 && features.CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW < 5.0`, action: 'review' }),
    (i) => ({ expression: `tx.currency != "EUR" && tx.amount > ${100 + i}.0`, action: 'review' }),
  ];
  const rules = Array.from({ length: count }, (_, i): Rule => {
    const { expression, action } = templates[i % templates.length]!(i);
    const compiled = compileExpression(expression);
    if (!compiled.ok) throw new Error(`bench rule ${i} does not compile: ${compiled.error.message} (${expression})`);
    return {
      schemaVersion: 1,
      id: `bench-rule-${i}`,
      version: 1,
      name: `Bench rule ${i}`,
      expression,
      action,
      mode: 'active',
      updatedAt: at,
      updatedBy: 'bench',
    };
  });
  const list = (name: string, items: string[]): NamedList => ({ schemaVersion: 1, name, version: 1, items, updatedAt: at, updatedBy: 'bench' });
  const lists = [
    // 2,000 cards each, 10 of them among the benchmark's 5,000 paying cards.
    ...[0, 1, 2].map((k) => list(`bench-blocked-cards-${k}`, Array.from({ length: 2_000 }, (_, n) => cardIdFor(n < 10 ? k * 10 + n : 100_000 + k * 2_000 + n)))),
    // 50 of the 10,000 terminals: a watch list, not a tenth of the traffic.
    list('bench-watched-terminals', Array.from({ length: 50 }, (_, n) => terminalIdFor((n * 7_877 + 13) % 10_000))),
  ];
  return { rules, lists };
}
