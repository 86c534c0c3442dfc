// @ts-check
/**
 * The alerts-per-minute bar chart of the last hour, drawn by uPlot in the page's colours, on a scale
 * that a burst (a start-up's backfill) does not flatten: see `rateScale`.
 */

import uPlot from '/vendor/uplot.esm.js';
import { chartColumns, formatCount, minuteTicks, minutesAgoLabel, rateScale } from './format.js';

/** @import { MinuteCount } from './types.js' */

const HEIGHT_PX = 110;
const FONT = '10px system-ui, sans-serif';
/** Room above the plot for the counts written over clipped bars. */
const TOP_PADDING_PX = 14;

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
  const text = cssColor('--text');
  const panel = cssColor('--panel');
  const barShare = 0.85;
  const bars = uPlot.paths.bars?.({ size: [barShare, Infinity, 1], align: 0 });
  /** The scale of the minutes drawn, and their true counts: the axis stops at `top`, bars above it are clipped. */
  let scale = rateScale([]);
  /** @type {MinuteCount[]} */
  let shown = [];

  /**
   * Each clipped bar gets a break across it near the top, as on a broken axis, and its count above it.
   * @param {uPlot} u
   */
  function markClipped(u) {
    const { ctx } = u;
    const ratio = uPlot.pxRatio;
    const minutes = /** @type {number[]} */ (u.data[0]);
    const barWidth = minutes.length > 1 ? (u.valToPos(minutes[1] ?? 0, 'x', true) - u.valToPos(minutes[0] ?? 0, 'x', true)) * barShare : 8 * ratio;
    const top = u.valToPos(scale.top, 'y', true);
    ctx.save();
    ctx.font = `${10 * ratio}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const index of scale.clipped) {
      const x = u.valToPos(minutes[index] ?? 0, 'x', true);
      ctx.fillStyle = panel;
      for (const offset of [5, 9]) {
        ctx.beginPath();
        ctx.moveTo(x - barWidth / 2 - ratio, top + (offset + 2) * ratio);
        ctx.lineTo(x + barWidth / 2 + ratio, top + offset * ratio);
        ctx.lineTo(x + barWidth / 2 + ratio, top + (offset + 1.5) * ratio);
        ctx.lineTo(x - barWidth / 2 - ratio, top + (offset + 3.5) * ratio);
        ctx.fill();
      }
      ctx.fillStyle = text;
      const label = formatCount(shown[index]?.count ?? 0);
      const half = ctx.measureText(label).width / 2;
      // Inside the canvas, whichever end of the hour the bar is at.
      const centre = Math.min(Math.max(x, u.bbox.left + half), u.bbox.left + u.bbox.width - half);
      ctx.fillText(label, centre, top - 2 * ratio);
    }
    ctx.restore();
  }

  /** @type {uPlot.Axis} */
  const axisStyle = { stroke: muted, font: FONT, grid: { stroke: line, width: 1 }, ticks: { show: false } };
  /** @type {uPlot.Options} */
  const options = {
    width: container.clientWidth,
    height: HEIGHT_PX,
    legend: { show: false },
    cursor: { show: false },
    padding: [TOP_PADDING_PX, 0, 0, 0],
    scales: {
      // Half a minute either side, so the first and last bars are whole.
      x: { time: true, range: (_u, min, max) => [min - 30, max + 30] },
      y: { range: () => [0, scale.top] },
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
    hooks: { draw: [markClipped] },
  };
  const chart = new uPlot(options, chartColumns([]), container);
  new ResizeObserver(() => chart.setSize({ width: container.clientWidth, height: HEIGHT_PX })).observe(container);

  return {
    update(perMinute) {
      shown = perMinute;
      scale = rateScale(perMinute);
      chart.setData(chartColumns(perMinute, scale.top));
    },
  };
}
