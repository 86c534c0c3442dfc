/**
 * The feature vector, in order. The first 15 are the Handbook's baseline features (same names); the
 * rest are engineered here. A model's metadata.json lists the names it was trained on, and a model whose
 * list differs from this one is refused.
 */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  'TX_AMOUNT',
  'TX_DURING_WEEKEND',
  'TX_DURING_NIGHT',
  'CUSTOMER_ID_NB_TX_1DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW',
  'CUSTOMER_ID_NB_TX_7DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW',
  'CUSTOMER_ID_NB_TX_30DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW',
  'TERMINAL_ID_NB_TX_1DAY_WINDOW',
  'TERMINAL_ID_RISK_1DAY_WINDOW',
  'TERMINAL_ID_NB_TX_7DAY_WINDOW',
  'TERMINAL_ID_RISK_7DAY_WINDOW',
  'TERMINAL_ID_NB_TX_30DAY_WINDOW',
  'TERMINAL_ID_RISK_30DAY_WINDOW',
  // amount / average of the card's earlier transactions in the window (1 when there are none)
  'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY',
  'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY',
  // capped at 30 days when the card has no earlier transaction in its window
  'CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX',
  // over the terminal's frauds known by the transaction's time, in its retained history (capped when none)
  'TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD',
  'TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD',
  'TERMINAL_ID_NB_KNOWN_FRAUDS',
  // the terminal's transactions in (its last known fraud, t − delay]: none on a terminal whose every
  // transaction since its first fraud was fraud; its count over the 30-day window when no fraud is known
  'TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD',
  // the share of fraud among the terminal's transactions from its first known fraud to t − delay (1 on
  // a compromised terminal, low where a few cards' frauds happened to pass through it; 0 when none known)
  'TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD',
  // days since the terminal's last transaction before its first known fraud: its compromise began
  // after it, so with the first fraud this bounds how long ago (capped when none in its history)
  'TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD',
  // amount / median of the card's earlier transactions in the window (1 when there are none): unlike
  // the average, a few large frauds on a compromised card do not raise it
  'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY',
]);

export const CARD_WINDOW_DAYS = [1, 7, 30] as const;
export const TERMINAL_WINDOW_DAYS = [1, 7, 30] as const;
export const DEFAULT_LABEL_DELAY_DAYS = 7;
