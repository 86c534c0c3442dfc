import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** What the self-contained HTML reports (train, evaluate, backtest) share: escaping, inlined uPlot, the page style. */

const require = createRequire(import.meta.url);

/** uPlot's browser build and style, inlined into a report so it opens without a network. */
export async function uplotAssets(): Promise<{ js: string; css: string }> {
  const [js, css] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  if (/<\/script/i.test(js)) throw new Error('uPlot\'s build holds "</script": it cannot be inlined');
  return { js, css };
}

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON that cannot end the script element it is in. */
export const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** The dark page style of the uPlot reports. */
export const reportStyle = `
body { margin: 16px; background: #0f1419; color: #dfe6ee; font: 13px/1.4 system-ui, sans-serif; }
h1 { font-size: 18px; } h2 { font-size: 14px; margin-top: 28px; }
table { border-collapse: collapse; } th, td { padding: 4px 10px; border-bottom: 1px solid #26313d; text-align: left; vertical-align: top; }
th { color: #8b98a7; font-size: 11px; text-transform: uppercase; } .num { text-align: right; font-family: ui-monospace, monospace; }
code { font-family: ui-monospace, monospace; font-size: 12px; } .muted { color: #8b98a7; }
.u-legend { color: #dfe6ee; }
`;
