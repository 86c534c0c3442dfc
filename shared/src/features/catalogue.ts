import { DAY_MS, HOUR_MS } from '../durations.js';
import { REASON_TEXT_MAX_LENGTH } from '../events.js';
import { historySpans } from './engine.js';
import { DEFAULT_LABEL_DELAY_DAYS } from './names.js';

/**
 * What a feature's value is: `amount` in the payment's currency (major units), `count` of payments or
 * frauds, `flag` 0 or 1, `share` from 0 to 1, `ratio` of two amounts, `hours` and `days` of elapsed time.
 */
export type FeatureKind = 'amount' | 'count' | 'flag' | 'share' | 'ratio' | 'hours' | 'days';

export interface FeatureEntry {
  /** A short name for tables and charts (reports, the dashboard's tooltips). */
  label: string;
  kind: FeatureKind;
  /** The feature as an alert's reason, in words: the payment's value, and the typical one where it helps to compare. */
  reason(value: number, typical: number): string;
}

// Fixed formats, whatever the locale of the process: the words go into alerts.
const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const wholeFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimalFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoDecimalFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const upToOneDecimalFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

const money = (amount: number): string => moneyFormat.format(amount);
const typicalCount = (count: number): string => oneDecimalFormat.format(count);
const payments = (count: number): string => {
  const whole = Math.round(count);
  return `${wholeFormat.format(whole)} payment${whole === 1 ? '' : 's'}`;
};
const percent = (share: number): string => {
  const points = share * 100;
  return `${(points >= 10 ? wholeFormat : upToOneDecimalFormat).format(points)} %`;
};
const times = (ratio: number): string => `${(ratio >= 10 ? wholeFormat : ratio >= 1 ? oneDecimalFormat : twoDecimalFormat).format(ratio)}×`;

/** A span of time in the unit that reads best: `40 s`, `4 min`, `3.5 h`, `2.3 days`, `12 days`. */
function span(hours: number): string {
  const seconds = hours * 3600;
  if (seconds < 60) return `${wholeFormat.format(seconds)} s`;
  if (seconds < 90 * 60) return `${wholeFormat.format(seconds / 60)} min`;
  if (hours < 48) return `${upToOneDecimalFormat.format(hours)} h`;
  const days = hours / 24;
  return `${(days < 10 ? upToOneDecimalFormat : wholeFormat).format(days)} days`;
}

// The engine's caps: what a feature holds when there is nothing to measure.
const spans = historySpans(DEFAULT_LABEL_DELAY_DAYS);
/** CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX of a card with no earlier payment in its longest window. */
const NO_PREVIOUS_HOURS = spans.cardMs / HOUR_MS;
const CARD_HISTORY_DAYS = spans.cardMs / DAY_MS;
/** The terminal's fraud recency features when it has no known fraud in its retained history. */
const NO_FRAUD_DAYS = spans.terminalMs / DAY_MS;
const NO_KNOWN_FRAUD = 'no known fraud at this terminal';

/**
 * The terminal windows end a label delay before the payment (its chargebacks are known only then): the
 * words for "a week ago", the default delay, or another.
 */
const delayAgo = DEFAULT_LABEL_DELAY_DAYS === 7 ? 'a week ago' : `${DEFAULT_LABEL_DELAY_DAYS} days ago`;
const delayEnding = `ending ${delayAgo}`;
const terminalWindows = {
  1: { label: `1 day ${delayEnding}`, words: `on the day ${delayAgo}` },
  7: { label: `7 days ${delayEnding}`, words: delayAgo },
  30: { label: `30 days ${delayEnding}`, words: `in the month to ${delayAgo}` },
} as const;
const cardWindows = {
  1: { label: 'last day', words: 'in the last day' },
  7: { label: 'last 7 days', words: 'in the last 7 days' },
  30: { label: 'last 30 days', words: 'in the last 30 days' },
} as const;

const cardCount = (days: 1 | 7 | 30): FeatureEntry => ({
  label: `Card's payments, ${cardWindows[days].label}`,
  kind: 'count',
  reason: (value, typical) => `${payments(value)} on this card ${cardWindows[days].words} (typical ${typicalCount(typical)})`,
});
const cardAverage = (days: 1 | 7 | 30): FeatureEntry => ({
  label: `Card's average amount, ${cardWindows[days].label}`,
  kind: 'amount',
  reason: (value, typical) => `average payment ${money(value)} on this card ${cardWindows[days].words} (typical ${money(typical)})`,
});
const terminalCount = (days: 1 | 7 | 30): FeatureEntry => ({
  label: `Terminal's payments, ${terminalWindows[days].label}`,
  kind: 'count',
  reason: (value, typical) => `${payments(value)} at this terminal ${terminalWindows[days].words} (typical ${typicalCount(typical)})`,
});
const terminalRisk = (days: 1 | 7 | 30): FeatureEntry => ({
  label: `Terminal's fraud share, ${terminalWindows[days].label}`,
  kind: 'share',
  reason: (value) =>
    value > 0 ? `${percent(value)} of this terminal's payments ${terminalWindows[days].words} were fraud` : `no fraud among this terminal's payments ${terminalWindows[days].words}`,
});
const amountToCard = (statistic: 'average' | 'median', days: 7 | 30): FeatureEntry => ({
  label: `Amount ÷ card's ${days}-day ${statistic}`,
  kind: 'ratio',
  // 1 also when the card has no earlier payment in the window: then the amount is its own average.
  reason: (value) => `amount ${times(value)} this card's ${days}-day ${statistic}`,
});
const daysSinceFraud = (which: 'first' | 'last'): FeatureEntry => ({
  label: `Days since the terminal's ${which} known fraud`,
  kind: 'days',
  reason: (value) => (value >= NO_FRAUD_DAYS ? NO_KNOWN_FRAUD : `${which} known fraud at this terminal ${span(value * 24)} ago`),
});

const entries: ReadonlyArray<readonly [string, FeatureEntry]> = [
  ['TX_AMOUNT', { label: 'Amount', kind: 'amount', reason: (value, typical) => `amount ${money(value)} (typical ${money(typical)})` }],
  ['TX_DURING_WEEKEND', { label: 'At the weekend', kind: 'flag', reason: (value) => (value >= 0.5 ? 'at the weekend' : 'on a weekday') }],
  ['TX_DURING_NIGHT', { label: 'At night', kind: 'flag', reason: (value) => (value >= 0.5 ? 'at night' : 'in the daytime') }],
  ['CUSTOMER_ID_NB_TX_1DAY_WINDOW', cardCount(1)],
  ['CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW', cardAverage(1)],
  ['CUSTOMER_ID_NB_TX_7DAY_WINDOW', cardCount(7)],
  ['CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW', cardAverage(7)],
  ['CUSTOMER_ID_NB_TX_30DAY_WINDOW', cardCount(30)],
  ['CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW', cardAverage(30)],
  ['TERMINAL_ID_NB_TX_1DAY_WINDOW', terminalCount(1)],
  ['TERMINAL_ID_RISK_1DAY_WINDOW', terminalRisk(1)],
  ['TERMINAL_ID_NB_TX_7DAY_WINDOW', terminalCount(7)],
  ['TERMINAL_ID_RISK_7DAY_WINDOW', terminalRisk(7)],
  ['TERMINAL_ID_NB_TX_30DAY_WINDOW', terminalCount(30)],
  ['TERMINAL_ID_RISK_30DAY_WINDOW', terminalRisk(30)],
  ['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY', amountToCard('average', 7)],
  ['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY', amountToCard('average', 30)],
  [
    'CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX',
    {
      label: "Hours since the card's previous payment",
      kind: 'hours',
      reason: (value) =>
        value >= NO_PREVIOUS_HOURS
          ? `the card's first payment in ${CARD_HISTORY_DAYS} days`
          : value <= 0
            ? "at the same time as the card's previous payment"
            : `${span(value)} after the card's previous payment`,
    },
  ],
  ['TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD', daysSinceFraud('last')],
  ['TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD', daysSinceFraud('first')],
  [
    'TERMINAL_ID_NB_KNOWN_FRAUDS',
    {
      label: "Terminal's known frauds",
      kind: 'count',
      reason: (value) => {
        const frauds = Math.round(value);
        return frauds === 0 ? NO_KNOWN_FRAUD : `${wholeFormat.format(frauds)} known fraud${frauds === 1 ? '' : 's'} at this terminal`;
      },
    },
  ],
  [
    'TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD',
    {
      label: "Terminal's payments after its last known fraud",
      kind: 'count',
      // Without a known fraud the engine gives the 30-day count, which scores like a terminal long clean.
      reason: (value) =>
        Math.round(value) === 0 ? `no payment at this terminal between its last known fraud and ${delayAgo}` : `${payments(value)} at this terminal after its last known fraud`,
    },
  ],
  [
    'TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD',
    {
      label: "Terminal's fraud share since its first known fraud",
      kind: 'share',
      reason: (value) => (value > 0 ? `${percent(value)} of this terminal's payments since its first known fraud were fraud` : `${NO_KNOWN_FRAUD} up to ${delayAgo}`),
    },
  ],
  [
    'TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD',
    {
      label: "Days since the terminal's last payment before its first known fraud",
      kind: 'days',
      reason: (value) => (value >= NO_FRAUD_DAYS ? NO_KNOWN_FRAUD : `this terminal's last payment before its first known fraud ${span(value * 24)} ago`),
    },
  ],
  ['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY', amountToCard('median', 30)],
];

/**
 * Every model feature, in FEATURE_NAMES order, with its label, kind and the words of its reasons (a
 * test holds the two lists equal).
 */
export const FEATURE_CATALOGUE: ReadonlyMap<string, FeatureEntry> = new Map(entries);

/** The feature's label; its name when it is not one of FEATURE_NAMES. */
export const featureLabel = (name: string): string => FEATURE_CATALOGUE.get(name)?.label ?? name;

/**
 * An alert reason in words (`amount 572.90 (typical 54.31)`), at most REASON_TEXT_MAX_LENGTH
 * characters; undefined for a feature the catalogue does not know.
 */
export function reasonText(feature: string, value: number, typical: number): string | undefined {
  const text = FEATURE_CATALOGUE.get(feature)?.reason(value, typical);
  return text === undefined || text.length <= REASON_TEXT_MAX_LENGTH ? text : `${text.slice(0, REASON_TEXT_MAX_LENGTH - 1)}…`;
}
