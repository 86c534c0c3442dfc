import { createRuleBook, isFraudstreamError, SCHEMA_VERSION, type ControlFeed, type Logger, type RuleBook, type RuleHitCounts } from '@fraudstream/shared';
import type { DetectorMetrics } from './metrics.js';
import type { Scored } from './scoring.js';

/** The rules a detector applies: the book, brought up to date between two batches. */
export interface DetectorRules {
  book: RuleBook;
  /** Applies the changes read since the last call (called before each batch is scored). */
  sync(): void;
  /** Why the rules may be stale (the control feed not reading); empty when they are current. */
  problems(): string[];
}

/**
 * Keeps a rule book in step with the control feed. A rule event that does not compile (written to
 * the topic past the API's check) is refused, counted and logged, and the rule keeps the version it
 * had; nothing else stops.
 */
export function createDetectorRules({ feed, metrics, log }: { feed: Pick<ControlFeed, 'drain' | 'problems'>; metrics: DetectorMetrics; log: Logger }): DetectorRules {
  const book = createRuleBook();
  const publishGauges = (): void => {
    metrics.rulesLoaded.reset();
    metrics.ruleVersion.reset();
    for (const mode of ['active', 'shadow', 'disabled'] as const) metrics.rulesLoaded.set({ mode }, 0);
    for (const rule of book.rules()) {
      metrics.rulesLoaded.inc({ mode: rule.mode });
      metrics.ruleVersion.set({ rule: rule.id, mode: rule.mode }, rule.version);
    }
  };
  return {
    book,
    sync() {
      const changes = feed.drain();
      if (changes.length === 0) return;
      for (const change of changes) {
        if (change.kind === 'list') {
          if (change.value) book.putList(change.value);
          else book.deleteList(change.id);
          continue;
        }
        if (!change.value) {
          book.deleteRule(change.id);
          continue;
        }
        try {
          book.putRule(change.value);
        } catch (err) {
          if (!isFraudstreamError(err, 'RULE_INVALID')) throw err;
          metrics.rulesRefused.inc({ rule: change.id });
          log.error({ rule: change.id, version: change.value.version, err: err.message }, 'rule refused: it does not compile');
        }
      }
      publishGauges();
      log.info({ rules: book.rules().map((rule) => `${rule.id} v${rule.version} ${rule.mode}`), lists: book.lists().size }, 'rules applied');
    },
    problems: () => feed.problems().map((problem) => `rules: ${problem}`),
  };
}

/**
 * What the rules did in a scored batch, for the rule-hits topic: per rule that matched or failed, its
 * hits and errors. Null when the book has no rule to evaluate.
 */
export function ruleHitCounts(scored: readonly Scored[], book: RuleBook, detectedAt: Date): RuleHitCounts | null {
  const rules = new Map(book.rules().filter((rule) => rule.mode !== 'disabled').map((rule) => [rule.id, rule]));
  if (rules.size === 0) return null;
  const counts = new Map<string, RuleHitCounts['rules'][number]>();
  const countOf = (ruleId: string, version: number): RuleHitCounts['rules'][number] | undefined => {
    const key = `${ruleId}@${version}`;
    let count = counts.get(key);
    const rule = rules.get(ruleId);
    if (!count && rule) {
      count = { ruleId, version, action: rule.action, mode: rule.mode === 'shadow' ? 'shadow' : 'active', hits: 0, errors: 0 };
      counts.set(key, count);
    }
    return count;
  };
  for (const entry of scored) {
    for (const hit of entry.ruleHits) countOf(hit.ruleId, hit.version)!.hits += 1;
    for (const hit of entry.shadowHits) countOf(hit.ruleId, hit.version)!.hits += 1;
    for (const failure of entry.ruleFailures) {
      const count = countOf(failure.ruleId, failure.version);
      if (count) count.errors += 1;
    }
  }
  return { schemaVersion: SCHEMA_VERSION, detectedAt: detectedAt.toISOString(), payments: scored.length, rules: [...counts.values()] };
}

/** The rule metrics of a committed batch. */
export function countRuleOutcomes(scored: readonly Scored[], metrics: DetectorMetrics): void {
  for (const entry of scored) {
    for (const hit of entry.ruleHits) metrics.ruleHits.inc({ rule: hit.ruleId, action: hit.action, mode: 'active' });
    for (const hit of entry.shadowHits) metrics.ruleHits.inc({ rule: hit.ruleId, action: hit.action, mode: 'shadow' });
    for (const failure of entry.ruleFailures) metrics.ruleErrors.inc({ rule: failure.ruleId });
    if (entry.suppressed) metrics.alertsSuppressed.inc({ decision: entry.suppressed });
  }
}
