// @ts-check
/** The timer of a page that reads its data again by itself, and the line that says when it does. */

/**
 * Calls `refresh` again `everyMs` after each `schedule()`, while the tab is visible and the analyst
 * has not declined the read token, and says in `status` when the last read was, why it failed and
 * what comes next. Back in view, the page reads at once when its last read is older than the
 * interval, else when it will be.
 * @param {{
 *   everyMs: number,
 *   status: HTMLElement,
 *   lastRead: { updatedAt: Date | null, failure: string | null },
 *   readDeclined: () => boolean,
 *   refresh: () => Promise<void>,
 * }} options lastRead: the page's state, read as it is at each call
 */
export function createRefreshTimer({ everyMs, status, lastRead, readDeclined, refresh }) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  function showStatus() {
    const { updatedAt, failure } = lastRead;
    const updated = updatedAt ? `updated ${updatedAt.toLocaleTimeString(undefined, { hour12: false })}` : failure ? 'not loaded' : 'loading…';
    const failed = failure ? ` · the last read failed: ${failure}` : '';
    const next = document.hidden ? 'paused while the tab is hidden' : readDeclined() ? 'paused: press Refresh to enter the read token' : `refreshes every ${everyMs / 1000} s`;
    status.textContent = `${updated}${failed} · ${next}`;
    status.classList.toggle('failed', failure !== null);
  }

  /** @param {number} [delayMs] */
  function schedule(delayMs = everyMs) {
    clearTimeout(timer);
    if (!document.hidden && !readDeclined()) timer = setTimeout(() => void refresh(), delayMs);
    showStatus();
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      schedule();
      return;
    }
    const age = lastRead.updatedAt ? Date.now() - lastRead.updatedAt.getTime() : everyMs;
    if (age >= everyMs) void refresh();
    else schedule(everyMs - age);
  });

  return { schedule, showStatus, stop: () => clearTimeout(timer) };
}
