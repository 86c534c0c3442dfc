import { describe, expectTypeOf, it } from 'vitest';
import type { Rule as ServerRule } from '@fraudstream/shared';
import type { ModelHealth as ServerModelHealth } from '../../src/monitoring/schemas.js';
import type { CaseStreamEvent as ServerCaseStreamEvent } from '../../src/cases/schemas.js';
import type { AlertStats, StoredAlert } from '../../src/schemas.js';
import type { RuleHitTotals as ServerRuleHitTotals } from '../../src/store/rule-hits.js';
import type { Alert, AlertPage, CaseStreamEvent, ModelHealth, Rule, RuleHitTotals, Stats } from '../../public/types.js';

/** Checked by `npm run typecheck`: what the dashboard reads must be what the API sends. */
describe('dashboard types', () => {
  it('are satisfied by the API types they name', () => {
    expectTypeOf<StoredAlert>().toExtend<Alert>();
    expectTypeOf<{ items: StoredAlert[]; nextCursor: string | null }>().toExtend<AlertPage>();
    expectTypeOf<AlertStats>().toExtend<Stats>();
    expectTypeOf<ServerRule>().toExtend<Rule>();
    expectTypeOf<ServerRuleHitTotals>().toExtend<RuleHitTotals>();
    expectTypeOf<ServerModelHealth>().toExtend<ModelHealth>();
    expectTypeOf<ServerCaseStreamEvent>().toExtend<CaseStreamEvent>();
  });
});
