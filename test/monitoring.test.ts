/**
 * The monitoring profile's alerting rules and dashboard, checked without a Prometheus or a Grafana:
 * every rule has what an on-call person needs (a `for`, a severity, a summary, a runbook entry), every
 * metric a rule or a panel queries is one the services really expose (read from their own prom-client
 * registries, so a renamed metric fails here rather than leaving a rule that never fires), the PSI
 * thresholds are the drift status's 0.1 / 0.25, and Prometheus loads the rules file in compose. With
 * promtool on PATH (Debian's `prometheus` package) it also checks the PromQL and runs the rules' unit
 * tests, monitoring/prometheus/rules/fraudstream.test.yml.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertsEnv, driftStatus, envDefaults } from '@fraudstream/shared';
import { createMetrics } from '@fraudstream/alerts/metrics';
import { createDetectorMetrics } from '@fraudstream/detector/metrics';
import { interpolate } from './support/compose.js';

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const prometheusConfigPath = 'monitoring/prometheus/prometheus.yml';
const rulesPath = 'monitoring/prometheus/rules/fraudstream.yml';
const rulesTestPath = 'monitoring/prometheus/rules/fraudstream.test.yml';
const dashboardPath = 'monitoring/grafana/dashboards/fraudstream.json';
const runbookPath = 'docs/operations.md';

/** The drift status's thresholds (shared/src/features/drift.ts: `psi >= warn`, `psi >= alert`). */
const PSI_WARN = 0.1;
const PSI_ALERT = 0.25;
const psiMetrics = ['fraudstream_model_feature_psi', 'fraudstream_model_score_psi'];

// ---------------------------------------------------------------------------------------------------
// PromQL: the metrics an expression selects

interface Selector {
  metric: string;
  /** Label names of the selector's matchers (`{topic="transactions"}` → topic). */
  labels: string[];
}

const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric selectors of a PromQL expression: names outside strings, label matchers, ranges and
 * grouping clauses that are not followed by `(` (functions and aggregations are) and are not keywords.
 * Enough for the expressions of this repository; a selector without a metric name is refused.
 */
export function selectorsOf(expr: string): Selector[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const selectors: Selector[] = [];
  const braced = /([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g;
  for (const match of noStrings.matchAll(braced)) {
    if (match[1] === undefined || keywords.has(match[1])) throw new Error(`a selector without a metric name in ${expr}`);
    selectors.push({ metric: match[1], labels: [...match[2]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((label) => label[1]!) });
  }
  const bare = noStrings
    .replace(braced, (_whole, name: string | undefined) => ` ${name ?? ''} `)
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[\dsmhdwy]+/g, ' ');
  for (const match of bare.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = match[1]!;
    if (!keywords.has(name.toLowerCase()) && !selectors.some((selector) => selector.metric === name)) selectors.push({ metric: name, labels: [] });
  }
  return selectors;
}

/** Queries run from an annotation's template (`{{ with query "…" }}`). */
export function templateQueries(template: string): string[] {
  return [...template.matchAll(/\bquery\s+(?:`([^`]*)`|"((?:[^"\\]|\\.)*)")/g)].map((match) => match[1] ?? JSON.parse(`"${match[2]!}"`) as string);
}

/** The numbers an expression compares something with (`> 0.25`, `>= bool 3`, `< 1 / 3` gives 1). */
function comparedNumbers(expr: string): number[] {
  return [...expr.matchAll(/(?:[<>]=?|==|!=)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?)/g)].map((match) => Number(match[1]));
}

// ---------------------------------------------------------------------------------------------------
// What the services expose

interface Exposed {
  /** Who exposes it. */
  source: string;
  /** Label names a series can carry: the metric's own, Prometheus' target labels, le or quantile. */
  labels: Set<string>;
}

const targetLabels = ['instance', 'job'];

/**
 * Series names a registry exposes, from `getMetricsAsJSON()`: a counter or a gauge under its own name
 * (prom-client adds no `_total`; ours carry it), a histogram as `_bucket`, `_sum` and `_count`, a
 * summary as itself, `_sum` and `_count`.
 */
async function exposedBy(source: string, registry: Registry): Promise<Map<string, Exposed>> {
  const exposed = new Map<string, Exposed>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const own = (registry.getSingleMetric(metric.name) as unknown as { labelNames?: readonly string[] } | undefined)?.labelNames ?? [];
    const labels = (...extra: string[]): Exposed => ({ source, labels: new Set([...own, ...targetLabels, ...extra]) });
    switch (String(metric.type)) {
      case 'histogram':
        exposed.set(`${metric.name}_bucket`, labels('le'));
        exposed.set(`${metric.name}_sum`, labels());
        exposed.set(`${metric.name}_count`, labels());
        break;
      case 'summary':
        exposed.set(metric.name, labels('quantile'));
        exposed.set(`${metric.name}_sum`, labels());
        exposed.set(`${metric.name}_count`, labels());
        break;
      default:
        exposed.set(metric.name, labels());
    }
  }
  return exposed;
}

let exposed = new Map<string, Exposed>();
beforeAll(async () => {
  exposed = new Map([
    ...(await exposedBy('detector', createDetectorMetrics().registry)),
    ...(await exposedBy('alerts', createMetrics().registry)),
    // Prometheus' own, one per target.
    ['up', { source: 'prometheus', labels: new Set(targetLabels) }],
  ]);
});

/** What is wrong with the metrics an expression queries: unknown names, or labels they do not have. */
function unknownMetrics(expr: string): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectorsOf(expr)) {
    const known = exposed.get(metric);
    if (known === undefined) problems.push(`${metric} is exposed by no service`);
    else for (const label of labels) if (!known.labels.has(label)) problems.push(`${metric} (${known.source}) has no label ${label}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The files

interface Rule {
  alert?: string;
  record?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

const rulesFile = parse(read(rulesPath)) as { groups: RuleGroup[] };
const rules = rulesFile.groups.flatMap((group) => group.rules.map((rule) => ({ group: group.name, ...rule })));
const alertNames = rules.map((rule) => rule.alert ?? rule.record ?? '(unnamed)');
const severities = ['critical', 'warning', 'info'];

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { thresholds?: { steps: Array<{ color: string; value: number | null }> } } };
}

const dashboard = JSON.parse(read(dashboardPath)) as { panels: Panel[] };
/** Every panel, those inside a collapsed row included. */
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queried = panels.filter((panel) => panel.type !== 'row');
const datasource = (parse(read('monitoring/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string }> }).datasources[0]!;

/** The panels of the row titled `title`: those below it, up to the next row. */
function rowPanels(title: string): Panel[] {
  const sorted = [...dashboard.panels].sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x);
  const start = sorted.findIndex((panel) => panel.type === 'row' && panel.title === title);
  if (start === -1) return [];
  const row = sorted[start]!;
  if ((row.panels ?? []).length > 0) return row.panels!;
  const next = sorted.findIndex((panel, index) => index > start && panel.type === 'row');
  return sorted.slice(start + 1, next === -1 ? undefined : next);
}

/** GitHub's anchors of a markdown text's headings (as test/docs.test.ts computes them). */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
      match[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'),
    ),
  );
}

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
function runPromtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? String(run.error) : ''}` };
}

// ---------------------------------------------------------------------------------------------------

describe('selectorsOf (the metrics of a PromQL expression)', () => {
  it('finds metric names and their matchers, not functions, keywords, labels, ranges or offsets', () => {
    const expr = `(sum by (instance) (rate(a_total{topic="x", partition=~"1|2"}[5m] offset 1d1h)) / sum(rate(a_total[30m] offset 1d))) > 3
      and on(instance) histogram_quantile(0.99, sum by (le) (rate(b_seconds_bucket[1m]))) > 1e3 and on() absent(up{job="detector"} == 1)
      or vector(0) unless count(c{role="a{b}"}) > bool 2 * scalar(d:recorded)`;
    expect(selectorsOf(expr).sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      { metric: 'a_total', labels: ['topic', 'partition'] },
      { metric: 'b_seconds_bucket', labels: [] },
      { metric: 'c', labels: ['role'] },
      { metric: 'd:recorded', labels: [] },
      { metric: 'up', labels: ['job'] },
    ]);
  });

  it('refuses a selector without a metric name', () => {
    expect(() => selectorsOf('{__name__="x"}')).toThrow('without a metric name');
  });

  it('reads the queries of an annotation template', () => {
    expect(templateQueries('day {{ with query `m{role="champion"}` }}{{ . | first | value }}{{ end }}, {{ query "n{a=\\"b\\"}" }}')).toEqual(['m{role="champion"}', 'n{a="b"}']);
  });
});

describe('the registries the checks read', () => {
  it('hold the detector’s and the alerts service’s metrics, a histogram under its series names', () => {
    for (const name of ['fraudstream_detector_flagged_total', 'fraudstream_detector_consumer_lag', 'fraudstream_alerts_stored_total', 'fraudstream_detector_batch_duration_seconds_bucket']) {
      expect(exposed.has(name), name).toBe(true);
    }
    expect(exposed.has('fraudstream_detector_batch_duration_seconds')).toBe(false);
    expect([...(exposed.get('fraudstream_detector_consumer_lag')?.labels ?? [])].sort()).toEqual(['instance', 'job', 'partition', 'topic']);
  });
});

describe(`${rulesPath}`, () => {
  it('holds alerting rules in named groups, each name once', () => {
    expect(rulesFile.groups.length).toBeGreaterThan(0);
    expect(new Set(rulesFile.groups.map((group) => group.name)).size).toBe(rulesFile.groups.length);
    expect(new Set(alertNames).size, 'alert names are unique').toBe(alertNames.length);
  });

  it.each(rules.map((rule) => [rule.alert ?? rule.record ?? '(unnamed)', rule] as const))('%s has an alert name, an expr, a for, a severity, a summary and a runbook', (_name, rule) => {
    expect(rule.record, 'no recording rules: every rule is an alert').toBeUndefined();
    expect(rule.alert).toMatch(/^Fraudstream[A-Z][A-Za-z0-9]+$/);
    expect(typeof rule.expr === 'string' && rule.expr.trim() !== '', 'expr').toBe(true);
    expect(rule.for, 'for: a duration above 0').toMatch(/^(?:\d+(?:ms|[smhdwy]))+$/);
    expect(rule.for).not.toMatch(/^0+[a-z]+$/);
    expect(severities).toContain(rule.labels?.['severity']);
    expect(rule.annotations?.['summary']?.trim(), 'annotations.summary').toBeTruthy();
    expect(rule.annotations?.['description']?.trim(), 'annotations.description').toBeTruthy();
    const [path, anchor] = (rule.annotations?.['runbook'] ?? '').split('#');
    expect(path, 'annotations.runbook').toBe(runbookPath);
    expect(anchors(read(runbookPath)).has(anchor ?? ''), `${runbookPath} has a heading #${anchor}`).toBe(true);
  });

  it.each(rules.map((rule) => [rule.alert ?? '(unnamed)', rule] as const))('%s queries only metrics the services expose, with labels they have', (_name, rule) => {
    const queries = [rule.expr ?? '', ...Object.values(rule.annotations ?? {}).flatMap(templateQueries)];
    expect(queries.flatMap(unknownMetrics)).toEqual([]);
  });

  it('compares the PSI with the drift status’s thresholds, 0.1 (warn) and 0.25 (alert), for features and scores', () => {
    for (const metric of psiMetrics) {
      const using = rules.filter((rule) => selectorsOf(rule.expr ?? '').some((selector) => selector.metric === metric));
      const thresholds = using.flatMap((rule) => comparedNumbers(rule.expr ?? ''));
      expect(new Set(thresholds), metric).toEqual(new Set([PSI_WARN, PSI_ALERT]));
      for (const rule of using) {
        // The warning's band ends where the alert starts: info, then warning.
        const severity = rule.labels?.['severity'];
        const lower = Math.min(...comparedNumbers(rule.expr ?? ''));
        expect(severity, `${rule.alert}: ${rule.expr}`).toBe(lower === PSI_ALERT ? 'warning' : 'info');
        expect(rule.expr, `${rule.alert}: at the threshold counts, as in the drift status`).toMatch(new RegExp(`>=\\s*${String(lower).replace('.', '\\.')}(?!\\d)`));
      }
    }
  });

  it('uses the alerts service’s thresholds: its default MODEL_HEALTH_PSI_WARN and MODEL_HEALTH_PSI_ALERT, at-or-above as its drift status', () => {
    const defaults = envDefaults(AlertsEnv);
    expect(Number(defaults['MODEL_HEALTH_PSI_WARN']?.default), 'MODEL_HEALTH_PSI_WARN').toBe(PSI_WARN);
    expect(Number(defaults['MODEL_HEALTH_PSI_ALERT']?.default), 'MODEL_HEALTH_PSI_ALERT').toBe(PSI_ALERT);
    const thresholds = { warn: PSI_WARN, alert: PSI_ALERT };
    expect([PSI_WARN, PSI_ALERT].map((psi) => driftStatus(psi, thresholds))).toEqual(['warn', 'alert']);
  });

  it('are all documented in the runbook', () => {
    const runbook = read(runbookPath);
    const missing = alertNames.filter((name) => !runbook.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});

describe('Prometheus loads the rules', () => {
  const config = parse(read(prometheusConfigPath)) as { rule_files?: string[] };
  const compose = parse(interpolate(read('docker-compose.yml'), {}), { merge: true }) as {
    services: Record<string, { command?: string[]; volumes?: string[] }>;
  };
  const prometheus = compose.services['prometheus'];

  it(`${prometheusConfigPath} names ${rulesPath} in rule_files, and not its unit tests`, () => {
    const files = (config.rule_files ?? []).map((file) => relative(root, join(root, dirname(prometheusConfigPath), file)));
    expect(files).toContain(rulesPath);
    const asRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    for (const file of files) expect(asRegExp(file).test(rulesTestPath), `${file} must not load ${rulesTestPath}`).toBe(false);
  });

  it('docker compose (monitoring profile) mounts the rules where that config looks for them', () => {
    const configFlag = prometheus?.command?.find((argument) => argument.startsWith('--config.file='));
    const containerConfig = configFlag?.slice('--config.file='.length) ?? '/etc/prometheus/prometheus.yml';
    /** The host file behind a container path, through the service's bind mounts. */
    const hostPathOf = (containerPath: string): string | undefined => {
      for (const volume of prometheus?.volumes ?? []) {
        const [source = '', target = ''] = volume.split(':');
        if (!source.startsWith('./')) continue;
        if (containerPath === target) return posix.normalize(source);
        if (containerPath.startsWith(`${target}/`)) return posix.join(source, containerPath.slice(target.length + 1));
      }
      return undefined;
    };
    expect(hostPathOf(containerConfig)).toBe(prometheusConfigPath);
    for (const file of config.rule_files ?? []) {
      const host = hostPathOf(posix.isAbsolute(file) ? file : posix.join(posix.dirname(containerConfig), file));
      expect(host, `${file} is mounted`).toBe(rulesPath);
    }
  });
});

describe(`${dashboardPath}`, () => {
  it('uses the provisioned Prometheus data source for every panel and query, and unique panel ids', () => {
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const expected = { type: datasource.type, uid: datasource.uid };
    for (const panel of queried) {
      expect(panel.datasource, panel.title).toEqual(expected);
      for (const target of panel.targets ?? []) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(expected);
    }
  });

  it('lays panels out without overlaps', () => {
    const overlaps: string[] = [];
    for (const [index, a] of dashboard.panels.entries()) {
      for (const b of dashboard.panels.slice(index + 1)) {
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
    }
    expect(overlaps).toEqual([]);
  });

  it.each(queried.map((panel) => [panel.title, panel] as const))('%s queries only metrics the services expose, with labels they have', (_title, panel) => {
    expect((panel.targets ?? []).length, 'has queries').toBeGreaterThan(0);
    expect((panel.targets ?? []).flatMap((target) => unknownMetrics(target.expr))).toEqual([]);
  });

  it('has a Model health row: precision, recall and CP@100 by role, PSI per feature, score PSI, alert rate vs a day ago', () => {
    const row = rowPanels('Model health');
    const exprs = row.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    const metrics = new Set(exprs.flatMap((expr) => selectorsOf(expr).map((selector) => selector.metric)));
    for (const metric of ['fraudstream_model_precision', 'fraudstream_model_recall', 'fraudstream_model_card_precision_at_100', ...psiMetrics]) {
      expect(metrics.has(metric), metric).toBe(true);
    }
    for (const metric of ['fraudstream_model_precision', 'fraudstream_model_recall', 'fraudstream_model_card_precision_at_100']) {
      expect(exprs.filter((expr) => expr.includes(metric)).join(' | '), `${metric} by role`).toMatch(/by \([^)]*\brole\b/);
    }
    expect(exprs.filter((expr) => expr.includes('fraudstream_detector_flagged_total')).join(' | ')).toMatch(/offset 1d\b/);
  });

  it('colours PSI at the drift status’s thresholds, 0.1 and 0.25', () => {
    const psiPanels = queried.filter((panel) => (panel.targets ?? []).some((target) => psiMetrics.some((metric) => target.expr.includes(metric))));
    expect(psiPanels.length).toBeGreaterThanOrEqual(2);
    for (const panel of psiPanels) {
      expect(panel.fieldConfig?.defaults?.thresholds?.steps.map((step) => step.value), panel.title).toEqual([null, PSI_WARN, PSI_ALERT]);
    }
  });
});

describe.skipIf(!promtool)('promtool (Debian package prometheus)', () => {
  it('finds the configuration and the rules valid', () => {
    const config = runPromtool('check', 'config', prometheusConfigPath);
    expect(config.status, config.output).toBe(0);
    const checked = runPromtool('check', 'rules', rulesPath);
    expect(checked.status, checked.output).toBe(0);
  });

  it('parses every query of the dashboard', () => {
    // Each panel query as a recording rule: promtool then parses it as Prometheus would.
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-dashboard-'));
    try {
      const file = join(dir, 'dashboard.yml');
      const records = queried.flatMap((panel) => (panel.targets ?? []).map((target) => ({ record: `dashboard:panel_${panel.id}:${target.refId}`, expr: target.expr })));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: records }] }));
      const checked = runPromtool('check', 'rules', file);
      expect(checked.status, checked.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`passes the rules' unit tests (${rulesTestPath})`, () => {
    expect(existsSync(join(root, rulesTestPath))).toBe(true);
    const tested = runPromtool('test', 'rules', rulesTestPath);
    expect(tested.status, tested.output).toBe(0);
  });
});
