import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/rules/decision.js';
import type { RuleAction, RuleHit } from '../../src/rules/schema.js';

const hit = (action: RuleAction): RuleHit => ({ ruleId: `r-${action}`, version: 1, name: action, action });

describe('decide', () => {
  it.each([
    { hits: [], score: 0.1, expected: { decision: null, suppressed: null } },
    { hits: [], score: 0.5, expected: { decision: 'review', suppressed: null } },
    { hits: ['review'], score: 0.1, expected: { decision: 'review', suppressed: null } },
    { hits: ['block'], score: 0.1, expected: { decision: 'block', suppressed: null } },
    { hits: ['review', 'block'], score: 0.9, expected: { decision: 'block', suppressed: null } },
    { hits: ['allow'], score: 0.9, expected: { decision: null, suppressed: 'review' } },
    { hits: ['allow', 'block'], score: 0.1, expected: { decision: null, suppressed: 'block' } },
    { hits: ['allow'], score: 0.1, expected: { decision: null, suppressed: null } },
  ] as const)('$hits with score $score → $expected', ({ hits, score, expected }) => {
    expect(decide({ hits: hits.map(hit), score, threshold: 0.5 })).toEqual(expected);
  });

  it('never raises an alert when an allow rule matched, and always does for a block hit without one', () => {
    const action = fc.constantFrom<RuleAction>('allow', 'block', 'review');
    fc.assert(
      fc.property(fc.array(action, { maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (actions, score) => {
        const { decision, suppressed } = decide({ hits: actions.map(hit), score, threshold: 0.5 });
        if (actions.includes('allow')) expect(decision).toBeNull();
        else {
          expect(suppressed).toBeNull();
          if (actions.includes('block')) expect(decision).toBe('block');
          else expect(decision).toBe(actions.length > 0 || score >= 0.5 ? 'review' : null);
        }
      }),
    );
  });
});
