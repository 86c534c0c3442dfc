import { onTestFinished } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core cannot download a browser here. */
const chromiumPath = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/**
 * A page whose console errors, uncaught errors and Content-Security-Policy violations are collected
 * (Chromium also reports a violation on the console), and whose request URLs are recorded.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[]; urls: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  const urls: string[] = [];
  await page.addInitScript(() => {
    // Runs in the page, where `document` exists.
    (globalThis as unknown as { document: EventTarget }).document.addEventListener('securitypolicyviolation', (event: Event) => {
      const violation = event as Event & { violatedDirective: string; blockedURI: string };
      console.error(`CSP violation: ${violation.violatedDirective} ${violation.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('request', (request) => urls.push(request.url()));
  return { page, problems, urls };
}


/**
 * Whether the page scrolls sideways. Charts follow a resize a frame or two later (uPlot sizes its
 * canvas from a resize handler), so a check right after `setViewportSize` polls this.
 */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const { scrollWidth, clientWidth } = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return scrollWidth > clientWidth;
  });
}
