import { describe, expect, it } from 'vitest';
import type { ControlChange, Rule } from '@fraudstream/shared';
import { createDetectorMetrics } from '../src/metrics.js';
import { createDetectorRules } from '../src/rules.js';
import { testLog } from '../../../test/support/kafka.js';

const rule = (id: string, version: number, expression: string, mode: Rule['mode'] = 'active'): Rule => ({
  schemaVersion: 1, id, version, name: id, expression, action: 'block', mode, updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test',
});

/** A feed handing out queued changes, as the control feed does between two batches. */
function queue() {
  let changes: ControlChange[] = [];
  return { push: (...more: ControlChange[]) => void changes.push(...more), drain: () => [changes, (changes = [])][0]!, problems: () => [] };
}

describe('createDetectorRules', () => {
  it('applies changes only when synced, keeps a rule that fails to compile at its last version, and publishes the gauges', async () => {
    const feed = queue();
    const metrics = createDetectorMetrics();
    const rules = createDetectorRules({ feed, metrics, log: testLog });
    feed.push({ kind: 'rule', id: 'big', value: rule('big', 1, 'tx.amount > 100.0') }, { kind: 'rule', id: 'shadow', value: rule('shadow', 4, 'true', 'shadow') });
    expect(rules.book.rules()).toEqual([]);
    rules.sync();
    expect(rules.book.rules().map((r) => `${r.id} v${r.version}`)).toEqual(['big v1', 'shadow v4']);

    feed.push({ kind: 'rule', id: 'big', value: rule('big', 2, 'tx.amount >') }, { kind: 'rule', id: 'shadow', value: null });
    rules.sync();
    expect(rules.book.rules().map((r) => `${r.id} v${r.version}`)).toEqual(['big v1']);
    const text = await metrics.registry.metrics();
    expect(text).toContain('fraudstream_detector_rules_refused_total{rule="big"} 1');
    expect(text).toContain('fraudstream_detector_rule_version{rule="big",mode="active"} 1');
    expect(text).toContain('fraudstream_detector_rules_loaded{mode="active"} 1');
    expect(text).toContain('fraudstream_detector_rules_loaded{mode="shadow"} 0');
  });
});
