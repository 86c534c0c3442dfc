import { DAY_MS, FraudstreamError } from '@fraudstream/shared';
import type { SimulatorDrift } from './simulator/simulator.js';

/** The drift options of a command line (the producer's or `npm run simulate`'s), already read one by one. */
export interface DriftRequest {
  /** `--drift-at`: a date YYYY-MM-DD (UTC). */
  at?: string;
  /** `--drift-after-days`: days after the first simulated day. */
  afterDays?: number;
  /** `--drift-amount-factor`; 1 leaves the amounts as they are. */
  amountFactor: number;
  /** `--drift-scenario`. */
  cardTesting: boolean;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The simulator's drift for a run whose first day starts at `startMs`, or undefined when none is asked
 * for. Throws a FraudstreamError with code USAGE_INVALID when the options do not make one drift: both
 * day options, a factor or the scenario without a day, a day without anything to drift, or a day before
 * the run's first.
 */
export function driftFor(request: DriftRequest, startMs: number): SimulatorDrift | undefined {
  const { at, afterDays, amountFactor, cardTesting } = request;
  if (at !== undefined && afterDays !== undefined) {
    throw new FraudstreamError('USAGE_INVALID', `Expected one drift day, --drift-at or --drift-after-days, got both (${at} and ${afterDays})`);
  }
  if (at === undefined && afterDays === undefined) {
    if (amountFactor !== 1 || cardTesting) {
      throw new FraudstreamError('USAGE_INVALID', 'Expected a drift day for --drift-amount-factor and --drift-scenario: --drift-at YYYY-MM-DD or --drift-after-days N');
    }
    return undefined;
  }
  if (amountFactor === 1 && !cardTesting) {
    throw new FraudstreamError('USAGE_INVALID', 'Expected something to drift from the drift day on: --drift-amount-factor F (other than 1) or --drift-scenario');
  }
  const fromMs = at !== undefined ? Date.parse(`${at}T00:00:00Z`) : startMs + (afterDays as number) * DAY_MS;
  if (fromMs < startMs) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --drift-at to be on or after the first simulated day, ${day(startMs)}, got ${at}`);
  }
  return { fromMs, amountFactor, cardTesting };
}
