import { describe, expect, it } from 'vitest';
import { REASON_TEXT_MAX_LENGTH } from '../../src/events.js';
import { FEATURE_CATALOGUE, FEATURE_NAMES, featureLabel, reasonText } from '../../src/features/index.js';

describe('the feature catalogue', () => {
  it('describes every model feature, in order, and nothing else', () => {
    expect([...FEATURE_CATALOGUE.keys()]).toEqual([...FEATURE_NAMES]);
    const labels = [...FEATURE_CATALOGUE.values()].map((entry) => entry.label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const entry of FEATURE_CATALOGUE.values()) expect(entry.label).toMatch(/^[A-Z]/);
  });

  it('words reasons as an analyst reads them', () => {
    expect(reasonText('TX_AMOUNT', 572.9, 54.30786)).toBe('amount 572.90 (typical 54.31)');
    expect(reasonText('TX_AMOUNT', 12_345.6, 54.3)).toBe('amount 12,345.60 (typical 54.30)');
    expect(reasonText('CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY', 5.5, 1.007)).toBe("amount 5.5× this card's 30-day average");
    expect(reasonText('CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY', 57_290, 1.03)).toBe("amount 57,290× this card's 30-day median");
    expect(reasonText('CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY', 0.25, 1.02)).toBe("amount 0.25× this card's 7-day average");
    expect(reasonText('CUSTOMER_ID_NB_TX_1DAY_WINDOW', 7, 2.1)).toBe('7 payments on this card in the last day (typical 2.1)');
    expect(reasonText('CUSTOMER_ID_NB_TX_7DAY_WINDOW', 1, 18.91)).toBe('1 payment on this card in the last 7 days (typical 18.9)');
    expect(reasonText('CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW', 230, 54.25)).toBe('average payment 230.00 on this card in the last 30 days (typical 54.25)');
    expect(reasonText('TERMINAL_ID_RISK_7DAY_WINDOW', Math.fround(0.31), 0.0096)).toBe("31 % of this terminal's payments a week ago were fraud");
    expect(reasonText('TERMINAL_ID_RISK_1DAY_WINDOW', 0.05, 0.0064)).toBe("5 % of this terminal's payments on the day a week ago were fraud");
    expect(reasonText('TERMINAL_ID_RISK_30DAY_WINDOW', 0, 0.0087)).toBe("no fraud among this terminal's payments in the month to a week ago");
    expect(reasonText('TERMINAL_ID_NB_TX_30DAY_WINDOW', 3, 29.85)).toBe('3 payments at this terminal in the month to a week ago (typical 29.9)');
    expect(reasonText('TX_DURING_NIGHT', 1, 0.17)).toBe('at night');
    expect(reasonText('TX_DURING_NIGHT', 0, 0.17)).toBe('in the daytime');
    expect(reasonText('TX_DURING_WEEKEND', 1, 0.4)).toBe('at the weekend');
    expect(reasonText('TX_DURING_WEEKEND', 0, 0.4)).toBe('on a weekday');
  });

  it('words elapsed time in the unit that reads best, and the engine caps as what they mean', () => {
    const sincePrevious = (hours: number) => reasonText('CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX', hours, 12.67);
    expect(sincePrevious(4 / 60)).toBe("4 min after the card's previous payment");
    expect(sincePrevious(30 / 3600)).toBe("30 s after the card's previous payment");
    expect(sincePrevious(0)).toBe("at the same time as the card's previous payment");
    expect(sincePrevious(3.46)).toBe("3.5 h after the card's previous payment");
    expect(sincePrevious(24 * 12)).toBe("12 days after the card's previous payment");
    expect(sincePrevious(30 * 24)).toBe("the card's first payment in 30 days");
    // The terminal's fraud recency features: capped at the label delay + 30 days when it has no known fraud.
    expect(reasonText('TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD', 2.3, 35.3)).toBe('last known fraud at this terminal 2.3 days ago');
    expect(reasonText('TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD', 0.5, 35.5)).toBe('first known fraud at this terminal 12 h ago');
    expect(reasonText('TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD', 37, 35.3)).toBe('no known fraud at this terminal');
    expect(reasonText('TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD', 37, 35.6)).toBe('no known fraud at this terminal');
    expect(reasonText('TERMINAL_ID_NB_KNOWN_FRAUDS', 4, 0.25)).toBe('4 known frauds at this terminal');
    expect(reasonText('TERMINAL_ID_NB_KNOWN_FRAUDS', 1, 0.25)).toBe('1 known fraud at this terminal');
    expect(reasonText('TERMINAL_ID_NB_KNOWN_FRAUDS', 0, 0.25)).toBe('no known fraud at this terminal');
    expect(reasonText('TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD', 0, 27.9)).toBe('no payment at this terminal between its last known fraud and a week ago');
    expect(reasonText('TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD', 1, 0.02)).toBe("100 % of this terminal's payments since its first known fraud were fraud");
  });

  it('has words for any value of every feature, within the alert schema, and none for an unknown feature', () => {
    for (const name of FEATURE_NAMES) {
      for (const value of [0, 0.5, 1, 3.25, 37, 720, 1e9]) {
        const text = reasonText(name, value, 1.5);
        expect(text, `${name} = ${value}`).toMatch(/^[a-z0-9]/);
        expect(text!.length).toBeLessThanOrEqual(REASON_TEXT_MAX_LENGTH);
        expect(text).not.toMatch(/NaN|undefined|Infinity/);
      }
    }
    expect(reasonText('terminalRisk7d', 0.8, 0.02)).toBeUndefined();
    expect(reasonText('constructor', 1, 1)).toBeUndefined();
  });

  it('labels features for reports, and leaves an unknown name as it is', () => {
    expect(featureLabel('TX_AMOUNT')).toBe('Amount');
    expect(featureLabel('TERMINAL_ID_RISK_7DAY_WINDOW')).toBe("Terminal's fraud share, 7 days ending a week ago");
    expect(featureLabel('AMOUNT')).toBe('AMOUNT');
  });
});
