// @ts-check
/**
 * The Model health page's uPlot charts: a quality figure per day for both models (mature days solid,
 * provisional ones dashed with hollow points, a dashed rule where a version changed), and the score
 * histogram, recent against reference on a log axis.
 */

import uPlot from '/vendor/uplot.esm.js';
import {
  DAY_S,
  binIndex,
  binReadout,
  dayTicks,
  formatAxisDay,
  formatShare,
  histogramColumns,
  isolatedIndices,
  logRange,
  logTicks,
  metricPoint,
  metricSummary,
  modelSeries,
  shortVersion,
} from './model-health-format.js';

/** @import { Metric, MetricPoint, QualityFrame, VersionChange } from './model-health-format.js' */
/** @import { ScoreHistogram } from './types.js' */

const QUALITY_HEIGHT_PX = 170;
const SCORE_HEIGHT_PX = 280;
const FONT = '10px system-ui, sans-serif';
const DAY_LABEL_PX = 64;

/** @param {string} name a custom property of :root in style.css */
const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function palette() {
  return {
    champion: cssColor('--accent'),
    challenger: cssColor('--challenger'),
    muted: cssColor('--muted'),
    line: cssColor('--line'),
    panel: cssColor('--panel'),
  };
}

/** @param {ReturnType<typeof palette>} colors @returns {uPlot.Axis} */
const axisStyle = (colors) => ({ stroke: colors.muted, font: FONT, grid: { stroke: colors.line, width: 1 }, ticks: { show: false } });

/** @param {HTMLElement} container @param {uPlot} chart @param {number} height */
function fitWidth(container, chart, height) {
  new ResizeObserver(() => chart.setSize({ width: container.clientWidth, height })).observe(container);
}

/**
 * Shows a day's figures in a quality chart's readout, each in its model's colour.
 * @param {HTMLElement} readout
 * @param {MetricPoint | null} point
 */
function showPoint(readout, point) {
  if (point === null) {
    readout.replaceChildren();
    return;
  }
  /** @param {string} className @param {string} text */
  const span = (className, text) => Object.assign(document.createElement('span'), { className, textContent: text });
  readout.replaceChildren(
    span('day', formatAxisDay(point.time)),
    ...(point.provisional ? [span('provisional', 'provisional')] : []),
    span('champion', point.champion),
    ...(point.challenger === null ? [] : [span('challenger', point.challenger)]),
  );
}

/** @type {QualityFrame} */
const noDays = { days: [], times: [], champion: [], challenger: null };

/**
 * @param {{ container: HTMLElement, readout: HTMLElement, metric: Metric }} options the chart fills the container's width
 * @returns {{ update(frame: QualityFrame, changes: { champion: VersionChange[], challenger: VersionChange[] }): void }}
 */
export function createQualityChart({ container, readout, metric }) {
  const colors = palette();
  let frame = noDays;
  /** @type {{ champion: VersionChange[], challenger: VersionChange[] }} */
  let changes = { champion: [], challenger: [] };
  // By series index: the days to draw as points although the series' line does not ask for them.
  /** @type {number[][]} */
  let pointsAt = [];

  /**
   * @param {'champion' | 'challenger'} role the champion's line is the thicker, drawn over the challenger's
   * @param {'solid' | 'provisional'} kind
   * @returns {uPlot.Series}
   */
  const line = (role, kind) => {
    const color = colors[role];
    const width = role === 'champion' ? 2 : 1.5;
    return kind === 'solid'
      ? { label: role, stroke: color, width, spanGaps: false, points: { size: 5, fill: color, filter: (_u, index, show) => (show ? null : (pointsAt[index] ?? null)) } }
      : {
          label: `${role}, provisional`,
          stroke: color,
          width: width - 0.5,
          dash: [5, 4],
          spanGaps: false,
          points: { show: false, size: 7, width: 1.5, fill: colors.panel, filter: (_u, index) => pointsAt[index] ?? null },
        };
  };

  /** @param {uPlot} u */
  function drawChanges(u) {
    const { ctx } = u;
    const { top, height } = u.bbox;
    const ratio = uPlot.pxRatio;
    ctx.save();
    ctx.font = `${10 * ratio}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.lineWidth = ratio;
    ctx.setLineDash([3 * ratio, 3 * ratio]);
    for (const role of /** @type {const} */ (['challenger', 'champion'])) {
      ctx.strokeStyle = ctx.fillStyle = colors[role];
      for (const change of changes[role]) {
        const x = u.valToPos(change.time - DAY_S / 2, 'x', true);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        // Labelled on the side with room: right of the rule, or left of it near the right edge.
        const label = shortVersion(change.modelVersion);
        const onLeft = x + ctx.measureText(label).width + 6 * ratio > u.bbox.left + u.bbox.width;
        ctx.textAlign = onLeft ? 'right' : 'left';
        ctx.fillText(label, x + (onLeft ? -4 : 4) * ratio, top + (role === 'champion' ? 2 : 14) * ratio);
      }
    }
    ctx.restore();
  }

  /** @type {uPlot.Options} */
  const options = {
    width: container.clientWidth,
    height: QUALITY_HEIGHT_PX,
    legend: { show: false },
    cursor: { sync: { key: 'model-health-days' }, points: { size: 7 }, y: false },
    padding: [10, 8, 0, 0],
    scales: {
      x: { time: false, range: (_u, min, max) => (min === null || max === null ? [0, DAY_S] : [min - DAY_S / 2, max + DAY_S / 2]) },
      y: { range: [0, 1] },
    },
    axes: [
      {
        ...axisStyle(colors),
        grid: { show: false },
        size: 20,
        gap: 4,
        splits: (u) => dayTicks(frame.times, Math.floor(u.bbox.width / uPlot.pxRatio / DAY_LABEL_PX)),
        values: (_u, splits) => splits.map(formatAxisDay),
      },
      {
        ...axisStyle(colors),
        size: 38,
        gap: 4,
        splits: () => [0, 0.25, 0.5, 0.75, 1],
        values: (_u, splits) => splits.map((value) => `${Math.round(value * 100)}%`),
      },
    ],
    series: [
      {},
      line('challenger', 'provisional'),
      line('challenger', 'solid'),
      line('champion', 'provisional'),
      line('champion', 'solid'),
    ],
    hooks: {
      draw: [drawChanges],
      setCursor: [(u) => showPoint(readout, metricPoint(frame, metric, u.cursor.idx ?? null))],
    },
  };
  const chart = new uPlot(options, [[], [], [], [], []], container);
  fitWidth(container, chart, QUALITY_HEIGHT_PX);

  return {
    update(next, nextChanges) {
      frame = next;
      changes = nextChanges;
      const none = next.times.map(() => null);
      const champion = modelSeries(next.champion, metric);
      const challenger = next.challenger ? modelSeries(next.challenger, metric) : { solid: none, provisional: none, provisionalIndices: [] };
      pointsAt = [[], challenger.provisionalIndices, isolatedIndices(challenger.solid), champion.provisionalIndices, isolatedIndices(champion.solid)];
      chart.setData([next.times, challenger.provisional, challenger.solid, champion.provisional, champion.solid]);
      showPoint(readout, metricPoint(next, metric, null));
      container.setAttribute('aria-label', metricSummary(next, metric));
    },
  };
}

/**
 * @param {{ container: HTMLElement, readout: HTMLElement }} options the chart fills the container's width
 * @returns {{ update(histogram: ScoreHistogram): void }}
 */
export function createScoreChart({ container, readout }) {
  const colors = palette();
  /** @type {ScoreHistogram} */
  let histogram = { edges: [], recent: [], reference: [] };
  const steps = uPlot.paths.stepped?.({ align: 1 });

  /** @type {uPlot.Options} */
  const options = {
    width: container.clientWidth,
    height: SCORE_HEIGHT_PX,
    legend: { show: false },
    cursor: { points: { show: false }, y: false },
    padding: [10, 12, 0, 0],
    scales: {
      x: { time: false, range: [0, 1] },
      y: { distr: 3, log: 10, range: () => logRange([histogram.recent, histogram.reference]) },
    },
    axes: [
      {
        ...axisStyle(colors),
        grid: { show: false },
        size: 20,
        gap: 4,
        splits: () => [0, 0.2, 0.4, 0.6, 0.8, 1],
        values: (_u, splits) => splits.map((score) => score.toFixed(1)),
      },
      {
        ...axisStyle(colors),
        size: 54,
        gap: 4,
        splits: (_u, _axis, min, max) => logTicks(min, max),
        values: (_u, splits) => splits.map(formatShare),
      },
    ],
    series: [
      {},
      { label: 'reference', stroke: colors.muted, fill: `${colors.muted}40`, width: 1, paths: steps, points: { show: false } },
      { label: 'recent', stroke: colors.champion, fill: `${colors.champion}38`, width: 2, paths: steps, points: { show: false } },
    ],
    hooks: {
      setCursor: [
        (u) => {
          const left = u.cursor.left ?? -1;
          readout.textContent = binReadout(histogram, left < 0 ? null : binIndex(histogram.edges, u.posToVal(left, 'x')));
        },
      ],
    },
  };
  const chart = new uPlot(options, [[], [], []], container);
  fitWidth(container, chart, SCORE_HEIGHT_PX);

  return {
    update(next) {
      histogram = next;
      chart.setData(histogramColumns(next));
      readout.textContent = binReadout(next, null);
    },
  };
}
