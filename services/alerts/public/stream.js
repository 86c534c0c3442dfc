// @ts-check
/** The live alert stream (SSE), reopened after the browser gives up on it. */

/** @import { Alert } from './types.js' */

/** @typedef {'connecting' | 'live' | 'reconnecting' | 'offline'} ConnectionState */

/** After EventSource stops retrying by itself (the server refused or went away). */
const REOPEN_AFTER_MS = 5000;

/**
 * Opens `url()` as an EventSource and hands on its `alert` events. The browser retries a broken
 * connection with Last-Event-ID by itself; once it gives up, the stream is opened anew, with a fresh
 * `url()` (it carries the resume position and the read token).
 * @param {{
 *   url: () => string,
 *   onAlert: (alert: Alert) => void,
 *   onState: (state: ConnectionState, label: string) => void,
 * }} options
 * @returns {{ close(): void }}
 */
export function openAlertStream({ url, onAlert, onState }) {
  /** @type {EventSource | null} */
  let source = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reopenTimer;

  function open() {
    source?.close();
    clearTimeout(reopenTimer);
    const current = new EventSource(url());
    source = current;
    onState('connecting', 'connecting…');
    current.onopen = () => onState('live', 'live');
    current.addEventListener('alert', (event) => onAlert(JSON.parse(event.data)));
    current.onerror = () => {
      if (current.readyState === EventSource.CLOSED) {
        onState('offline', 'offline · retrying');
        reopenTimer = setTimeout(open, REOPEN_AFTER_MS);
      } else {
        onState('reconnecting', 'reconnecting…');
      }
    };
  }

  open();
  return {
    close() {
      source?.close();
      clearTimeout(reopenTimer);
    },
  };
}
