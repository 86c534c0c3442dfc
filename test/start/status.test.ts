import { describe, expect, it } from 'vitest';
import { parseMetrics, snapshotFrom, statusLine, sumOf } from '../../scripts/start/status.js';

const detectorText = (scored: number, lag0: number) => `# HELP fraudstream_detector_scored_total Transactions scored
# TYPE fraudstream_detector_scored_total counter
fraudstream_detector_scored_total ${scored}
fraudstream_detector_flagged_total 3
fraudstream_detector_dead_lettered_total{code="MALFORMED_JSON"} 2
fraudstream_detector_consumer_lag{topic="transactions",partition="0"} ${lag0}
fraudstream_detector_consumer_lag{topic="transactions",partition="1"} 5
fraudstream_detector_consumer_lag{topic="fraud.labels",partition="0"} 1000
fraudstream_detector_batch_duration_seconds_bucket{le="+Inf"} 7
`;

describe('status line', () => {
  it('parses the Prometheus text format', () => {
    const samples = parseMetrics(detectorText(10, 1));
    expect(samples).toContainEqual({ name: 'fraudstream_detector_dead_lettered_total', labels: { code: 'MALFORMED_JSON' }, value: 2 });
    expect(samples).toContainEqual({ name: 'fraudstream_detector_batch_duration_seconds_bucket', labels: { le: '+Inf' }, value: 7 });
    expect(sumOf(samples, 'fraudstream_detector_consumer_lag', { topic: 'transactions' })).toBe(6);
  });

  it('sums the replicas, counts the ones that answered, and shows rates between two snapshots', () => {
    const alerts = parseMetrics('fraudstream_alerts_stored_total 5\n');
    const first = snapshotFrom([parseMetrics(detectorText(100, 0)), undefined], alerts, 150, 'transactions', 0);
    const second = snapshotFrom([parseMetrics(detectorText(300, 4)), parseMetrics(detectorText(100, 0))], alerts, 450, 'transactions', 2_000);
    expect(first).toMatchObject({ scored: 100, lag: 5, detectorsUp: 1, detectors: 2, alertsStored: 5, deadLettered: 2 });
    expect(statusLine(first, undefined)).toBe('produced 150 · scored 100 · lag 5 · alerts 5 · dead-lettered 2 · detectors 1/2');
    expect(statusLine(second, first)).toBe(
      'produced 450 (150 tx/s) · scored 400 (150 tx/s) · lag 14 · alerts 5 · dead-lettered 4 · detectors 2/2',
    );
  });
});
