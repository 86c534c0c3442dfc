import { FraudstreamError } from '../errors.js';
import { compileExpression, type CompiledExpression, type RuleContext } from './expression.js';
import type { NamedList, Rule, RuleHit } from './schema.js';

/** A rule that threw while evaluating (a missing list, a division by zero): a non-hit, counted. */
export interface RuleFailure {
  ruleId: string;
  version: number;
  message: string;
}

/** What the rules said about one payment. */
export interface RuleOutcome {
  /** Active rules that matched, in the book's order (by id). */
  hits: RuleHit[];
  /** Shadow rules that matched: counted, never decisive. */
  shadowHits: RuleHit[];
  failures: RuleFailure[];
}

interface LoadedRule {
  rule: Rule;
  hit: RuleHit;
  evaluate: CompiledExpression;
}

/**
 * The rules and lists a detector applies, kept as the compacted topics say: `putRule` / `deleteRule`
 * and `putList` / `deleteList` take the latest event of a key. A rule is compiled once per version.
 */
export interface RuleBook {
  putRule(rule: Rule): void;
  deleteRule(id: string): void;
  putList(list: NamedList): void;
  deleteList(name: string): void;
  /** Evaluates every active and shadow rule against one payment. */
  evaluate(context: Omit<RuleContext, 'lists'>): RuleOutcome;
  /** The loaded rules (disabled ones included), by id. */
  rules(): Rule[];
  lists(): ReadonlyMap<string, readonly string[]>;
}

export function createRuleBook(): RuleBook {
  const loaded = new Map<string, LoadedRule>();
  const lists = new Map<string, readonly string[]>();
  let active: LoadedRule[] = [];
  let shadow: LoadedRule[] = [];

  const reindex = (): void => {
    const ordered = [...loaded.values()].sort((a, b) => (a.rule.id < b.rule.id ? -1 : 1));
    active = ordered.filter((entry) => entry.rule.mode === 'active');
    shadow = ordered.filter((entry) => entry.rule.mode === 'shadow');
  };

  const run = (entries: LoadedRule[], context: RuleContext, hits: RuleHit[], failures: RuleFailure[]): void => {
    for (const entry of entries) {
      try {
        if (entry.evaluate(context)) hits.push(entry.hit);
      } catch (err) {
        failures.push({ ruleId: entry.rule.id, version: entry.rule.version, message: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
      }
    }
  };

  return {
    putRule(rule) {
      const current = loaded.get(rule.id);
      if (current && current.rule.version === rule.version && current.rule.expression === rule.expression) {
        loaded.set(rule.id, { ...current, rule, hit: { ruleId: rule.id, version: rule.version, name: rule.name, action: rule.action } });
      } else {
        const compiled = compileExpression(rule.expression);
        if (!compiled.ok) {
          throw new FraudstreamError('RULE_INVALID', `rule ${rule.id} v${rule.version}: ${compiled.error.message} at line ${compiled.error.line}, column ${compiled.error.column}`);
        }
        loaded.set(rule.id, { rule, hit: { ruleId: rule.id, version: rule.version, name: rule.name, action: rule.action }, evaluate: compiled.evaluate });
      }
      reindex();
    },
    deleteRule(id) {
      if (loaded.delete(id)) reindex();
    },
    putList(list) {
      lists.set(list.name, list.items);
    },
    deleteList(name) {
      lists.delete(name);
    },
    evaluate(payment) {
      // One literal shape for every payment keeps the rules' property loads monomorphic (a spread does not).
      const context: RuleContext = { tx: payment.tx, features: payment.features, score: payment.score, lists };
      const outcome: RuleOutcome = { hits: [], shadowHits: [], failures: [] };
      run(active, context, outcome.hits, outcome.failures);
      run(shadow, context, outcome.shadowHits, outcome.failures);
      return outcome;
    },
    rules: () => [...loaded.values()].map((entry) => entry.rule).sort((a, b) => (a.id < b.id ? -1 : 1)),
    lists: () => lists,
  };
}
