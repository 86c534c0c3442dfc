// @ts-check
/** A live event stream of the API (SSE: /alerts/stream, /cases/stream), reopened after the browser gives up on it. */

/** @typedef {'connecting' | 'live' | 'reconnecting' | 'offline'} ConnectionState */

/** After EventSource stops retrying by itself (the server refused or went away). */
const REOPEN_AFTER_MS = 5000;

/**
 * Opens `url()` as an EventSource and hands on the data of its `event` events, parsed. The browser
 * retries a broken connection with Last-Event-ID by itself; once it gives up, the stream is opened
 * anew, with a fresh `url()` (it carries the resume position and the read token).
 * @template T
 * @param {{
 *   url: () => string,
 *   event: string,
 *   onEvent: (data: T) => void,
 *   onState: (state: ConnectionState, label: string) => void,
 * }} options
 * @returns {{ close(): void }}
 */
export function openEventStream({ url, event, onEvent, onState }) {
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
    current.addEventListener(event, (message) => onEvent(/** @type {T} */ (JSON.parse(message.data))));
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

/**
 * What shows a stream's state: `element`'s data-state (its dot's colour) and its `.label`'s text.
 * @param {HTMLElement} element
 * @returns {(state: ConnectionState, label: string) => void}
 */
export function connectionIndicator(element) {
  return (state, label) => {
    element.dataset['state'] = state;
    const text = element.querySelector('.label');
    if (text) text.textContent = label;
  };
}
