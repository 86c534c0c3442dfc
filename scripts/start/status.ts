/** One sample of the Prometheus text format: `name{label="value",…} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (what every service's /metrics returns). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1] ?? ''] = label[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

export const sumOf = (samples: readonly Sample[], name: string, where: Record<string, string> = {}): number =>
  samples
    .filter((sample) => sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);

export interface SystemSnapshot {
  atMs: number;
  /** Messages on the transactions topic (sum of its end offsets). */
  produced: number;
  scored: number;
  flagged: number;
  deadLettered: number;
  lag: number;
  alertsStored: number;
  detectorsUp: number;
  detectors: number;
}

/** Reads what the status line shows from the detectors' and the alerts service's metrics. */
export function snapshotFrom(
  detectorMetrics: ReadonlyArray<Sample[] | undefined>,
  alertsMetrics: Sample[] | undefined,
  produced: number,
  transactionsTopic: string,
  atMs: number,
): SystemSnapshot {
  const up = detectorMetrics.filter((samples): samples is Sample[] => samples !== undefined);
  const total = (name: string, where?: Record<string, string>) => up.reduce((sum, samples) => sum + sumOf(samples, name, where), 0);
  return {
    atMs,
    produced,
    scored: total('fraudstream_detector_scored_total'),
    flagged: total('fraudstream_detector_flagged_total'),
    deadLettered: total('fraudstream_detector_dead_lettered_total'),
    lag: total('fraudstream_detector_consumer_lag', { topic: transactionsTopic }),
    alertsStored: alertsMetrics ? sumOf(alertsMetrics, 'fraudstream_alerts_stored_total') : 0,
    detectorsUp: up.length,
    detectors: detectorMetrics.length,
  };
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US');

/** `produced 1,204 (98 tx/s) · scored 1,180 (97 tx/s) · lag 24 · alerts 12 · detectors 2/2` */
export function statusLine(current: SystemSnapshot, previous: SystemSnapshot | undefined): string {
  const seconds = previous ? (current.atMs - previous.atMs) / 1000 : 0;
  const rate = (now: number, before: number | undefined) =>
    previous && seconds > 0 && before !== undefined ? ` (${count(Math.max(0, now - before) / seconds)} tx/s)` : '';
  const parts = [
    `produced ${count(current.produced)}${rate(current.produced, previous?.produced)}`,
    `scored ${count(current.scored)}${rate(current.scored, previous?.scored)}`,
    `lag ${count(current.lag)}`,
    `alerts ${count(current.alertsStored)}`,
    `detectors ${current.detectorsUp}/${current.detectors}`,
  ];
  if (current.deadLettered > 0) parts.splice(4, 0, `dead-lettered ${count(current.deadLettered)}`);
  return parts.join(' · ');
}
