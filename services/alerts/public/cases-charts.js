// @ts-check
/**
 * The case page's timeline of the card: every payment a point at its event time and amount (log
 * axis), the alerted ones larger and red, the ones labelled fraud ringed, over a band from the case's
 * first alert to its last.
 */

import uPlot from '/vendor/uplot.esm.js';
import { amountTicks, formatAxisAmount, timelineReadout, timelineSummary } from './cases-format.js';

/** @import { Timeline } from './cases-format.js' */

const HEIGHT_PX = 240;
const FONT = '10px system-ui, sans-serif';
/** A band narrower than this (one alert, or alerts seconds apart) is drawn this wide, so it shows. */
const MIN_BAND_PX = 6;

/** @param {string} name a custom property of :root in style.css */
const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * @param {{ container: HTMLElement, readout: HTMLElement }} options the chart fills the container's width
 * @returns {{ update(timeline: Timeline): void }}
 */
export function createTimelineChart({ container, readout }) {
  const colors = { accent: cssColor('--accent'), fraud: cssColor('--fraud'), open: cssColor('--open'), muted: cssColor('--muted'), line: cssColor('--line'), text: cssColor('--text') };
  /** @type {Timeline} */
  let timeline = { entries: [], columns: [[], [], [], []], band: null, range: [1, 1000], undrawn: 0 };
  /** @type {uPlot.Axis} */
  const axisStyle = { stroke: colors.muted, font: FONT, grid: { stroke: colors.line, width: 1 }, ticks: { show: false } };
  /** Points only: no line joins payments. */
  const noLine = () => null;

  /** The case's first→last alert, under the points. @param {uPlot} u */
  function drawBand(u) {
    const { band } = timeline;
    if (band === null) return;
    const { top, height, left, width } = u.bbox;
    const ratio = uPlot.pxRatio;
    let from = u.valToPos(band.from, 'x', true);
    let to = u.valToPos(band.to, 'x', true);
    if (to - from < MIN_BAND_PX * ratio) {
      const middle = (from + to) / 2;
      from = middle - (MIN_BAND_PX * ratio) / 2;
      to = middle + (MIN_BAND_PX * ratio) / 2;
    }
    from = Math.max(left, from);
    to = Math.min(left + width, to);
    if (to <= from) return;
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = `${colors.open}1f`;
    ctx.fillRect(from, top, to - from, height);
    ctx.strokeStyle = `${colors.open}99`;
    ctx.lineWidth = ratio;
    ctx.setLineDash([3 * ratio, 3 * ratio]);
    for (const x of [from, to]) {
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** @type {uPlot.Options} */
  const options = {
    width: container.clientWidth,
    height: HEIGHT_PX,
    legend: { show: false },
    // The payment the readout describes is ringed; no zoom by dragging (the table below has every payment).
    cursor: { points: { size: 12, width: 2, fill: 'transparent' }, y: false, drag: { x: false, y: false, setScale: false } },
    padding: [12, 14, 0, 0],
    scales: {
      x: {
        time: true,
        // An hour either side, so that the first and last payments are not on the edges.
        range: (_u, min, max) => (min === null || max === null ? [0, 3600] : [min - 3600, max + 3600]),
      },
      y: { distr: 3, log: 10, range: () => timeline.range },
    },
    axes: [
      // Ticks far enough apart for a date under each (uPlot picks days for a case's week or two).
      { ...axisStyle, grid: { show: false }, size: 34, gap: 4, space: 70 },
      {
        ...axisStyle,
        size: 44,
        gap: 4,
        splits: (_u, _axis, min, max) => amountTicks(min, max),
        values: (_u, splits) => splits.map(formatAxisAmount),
      },
    ],
    series: [
      {},
      { label: 'payment', stroke: colors.accent, paths: noLine, points: { show: true, size: 6, width: 1, stroke: colors.accent, fill: `${colors.accent}66` } },
      { label: 'alerted', stroke: colors.fraud, paths: noLine, points: { show: true, size: 10, width: 1, stroke: colors.fraud, fill: colors.fraud } },
      { label: 'labelled fraud', stroke: colors.text, paths: noLine, points: { show: true, size: 17, width: 2, stroke: colors.text, fill: 'transparent' } },
    ],
    hooks: {
      drawAxes: [drawBand],
      setCursor: [
        (u) => {
          readout.textContent = timelineReadout(timeline, u.cursor.idx ?? null);
        },
      ],
    },
  };
  const chart = new uPlot(options, [[], [], [], []], container);
  new ResizeObserver(() => chart.setSize({ width: container.clientWidth, height: HEIGHT_PX })).observe(container);

  return {
    update(next) {
      timeline = next;
      chart.setData(next.columns);
      readout.textContent = timelineSummary(next);
      container.setAttribute('aria-label', `Timeline of the card's payments, amount on a log scale: ${timelineSummary(next)}`);
    },
  };
}
