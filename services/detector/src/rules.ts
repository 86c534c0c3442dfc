import { createRuleBook, isFraudstreamError, type ControlFeed, type Logger, type RuleBook } from '@fraudstream/shared';
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

/** The rule metrics of a committed batch. */
export function countRuleOutcomes(scored: readonly Scored[], metrics: DetectorMetrics): void {
  for (const entry of scored) {
    for (const hit of entry.ruleHits) metrics.ruleHits.inc({ rule: hit.ruleId, action: hit.action, mode: 'active' });
    for (const hit of entry.shadowHits) metrics.ruleHits.inc({ rule: hit.ruleId, action: hit.action, mode: 'shadow' });
    for (const failure of entry.ruleFailures) metrics.ruleErrors.inc({ rule: failure.ruleId });
    if (entry.suppressed) metrics.alertsSuppressed.inc({ decision: entry.suppressed });
  }
}
