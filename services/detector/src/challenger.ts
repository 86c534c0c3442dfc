import type { Logger } from '@fraudstream/shared';
import type { DetectorMetrics } from './metrics.js';
import type { ScoredBatch } from './scoring.js';

type Outcome = 'alert' | 'pass';

/**
 * The metrics of a batch the challenger scored in shadow: how often each model alone (its score against
 * its own threshold; rules aside, they apply to both alike) would alert, and both score distributions,
 * so the two can be compared on the same payments as their labels arrive. A batch the challenger
 * failed on is counted and logged; the champion's output went out without it.
 */
export function countChallengerOutcomes(result: ScoredBatch, metrics: DetectorMetrics, log: Logger): void {
  const challenger = result.challenger;
  if (challenger === undefined) return;
  if ('error' in challenger) {
    metrics.challengerErrors.inc();
    log.warn({ err: challenger.error, challenger: challenger.modelVersion, payments: result.scored.length }, 'the challenger could not score a batch; the champion did');
    return;
  }
  const counts = new Map<string, number>();
  for (const entry of result.scored) {
    if (entry.challenger === undefined) continue;
    const champion: Outcome = entry.score >= result.threshold ? 'alert' : 'pass';
    const other: Outcome = entry.challenger.flagged ? 'alert' : 'pass';
    const key = `${champion}:${other}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    metrics.scores.observe({ model: 'champion' }, entry.score);
    metrics.scores.observe({ model: 'challenger' }, entry.challenger.score);
  }
  for (const [key, count] of counts) {
    const [champion, other] = key.split(':') as [Outcome, Outcome];
    metrics.challengerAgreement.inc({ champion, challenger: other }, count);
  }
}
