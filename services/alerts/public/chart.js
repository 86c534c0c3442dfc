// @ts-check
/** The alerts-per-minute bar chart of the last hour, drawn by uPlot in the page's colours. */

import uPlot from '/vendor/uplot.esm.js';
import { chartColumns, countCeiling, formatCount, minuteTicks, minutesAgoLabel } from './format.js';

/** @import { MinuteCount } from './types.js' */

const HEIGHT_PX = 110;
const FONT = '10px system-ui, sans-serif';

/** @param {string} name a custom property of :root in style.css */
const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * @param {HTMLElement} container the chart fills its width
 * @returns {{ update(perMinute: MinuteCount[]): void }}
 */
export function createRateChart(container) {
  const muted = cssColor('--muted');
  const line = cssColor('--line');
  const accent = cssColor('--accent');
  const bars = uPlot.paths.bars?.({ size: [0.85, Infinity, 1], align: 0 });
  /** @type {uPlot.Axis} */
  const axisStyle = { stroke: muted, font: FONT, grid: { stroke: line, width: 1 }, ticks: { show: false } };
  /** @type {uPlot.Options} */
  const options = {
    width: container.clientWidth,
    height: HEIGHT_PX,
    legend: { show: false },
    cursor: { show: false },
    padding: [6, 0, 0, 0],
    scales: {
      // Half a minute either side, so the first and last bars are whole.
      x: { time: true, range: (_u, min, max) => [min - 30, max + 30] },
      y: { range: (_u, _min, max) => [0, countCeiling(max)] },
    },
    axes: [
      {
        ...axisStyle,
        grid: { show: false },
        size: 18,
        gap: 3,
        splits: (u) => minuteTicks(/** @type {number[]} */ (u.data[0])),
        values: (u, splits) => splits.map((minute) => minutesAgoLabel(minute, /** @type {number} */ (u.data[0].at(-1)))),
      },
      {
        ...axisStyle,
        size: 34,
        gap: 6,
        splits: (_u, _axis, min, max) => [min, (min + max) / 2, max],
        values: (_u, splits) => splits.map((count) => formatCount(Math.round(count))),
      },
    ],
    series: [
      {},
      { label: 'earlier minutes', fill: `${accent}aa`, stroke: 'transparent', width: 0, paths: bars, points: { show: false } },
      { label: 'this minute', fill: accent, stroke: 'transparent', width: 0, paths: bars, points: { show: false } },
    ],
  };
  const chart = new uPlot(options, chartColumns([]), container);
  new ResizeObserver(() => chart.setSize({ width: container.clientWidth, height: HEIGHT_PX })).observe(container);

  return {
    update(perMinute) {
      chart.setData(chartColumns(perMinute));
    },
  };
}
