// @ts-check
/**
 * The alerts API as the dashboard calls it, with its tokens. Reads use the read token only: the API
 * token (it can mark alerts) never goes with a read, so it can never end up in a stream URL, where
 * proxies and logs see it. Both are kept in the tab's sessionStorage.
 */

/** @import { Alert, AlertPage, FeedbackLabel, ModelHealth, Stats } from './types.js' */

/** @typedef {'api' | 'read'} TokenKind */
/** @typedef {(kind: TokenKind) => Promise<string | null>} AskToken the token the analyst entered; null when they cancelled */

const tokenKeys = { api: 'fraudstream.alerts.apiToken', read: 'fraudstream.alerts.readToken' };

/** An answer other than 2xx, with its HTTP status. */
export class HttpError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** @param {Response} response */
async function answer(response) {
  const body = await response.json();
  if (!response.ok) throw new HttpError(response.status, body.message ?? `HTTP ${response.status}`);
  return body;
}

/** @param {Response} response */
const refused = (response) => response.status === 401 || response.status === 403;

/**
 * @param {{ storage: Storage, askToken: AskToken }} options
 */
export function createApi({ storage, askToken }) {
  // Set when a read answered 401: only then do reads, and the stream URL, carry the read token.
  let readsNeedToken = false;
  const stored = (/** @type {TokenKind} */ kind) => storage.getItem(tokenKeys[kind]);

  /** @param {TokenKind} kind */
  async function ask(kind) {
    const token = await askToken(kind);
    if (token) storage.setItem(tokenKeys[kind], token);
    return token;
  }

  /**
   * @template T
   * @param {string} path
   * @returns {Promise<T>}
   */
  async function getJson(path) {
    for (;;) {
      const token = readsNeedToken ? stored('read') : null;
      const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (refused(response)) {
        readsNeedToken = true;
        // A token that was sent and refused is forgotten; a stored one not yet tried is tried next.
        if (token !== null) storage.removeItem(tokenKeys.read);
        if (stored('read') === null && !(await ask('read'))) throw new Error('A read token is needed to see alerts');
        continue;
      }
      return answer(response);
    }
  }

  return {
    /** The read token when the service asked for one, else null: EventSource cannot send headers, so it goes in the stream URL. */
    streamToken: () => (readsNeedToken ? stored('read') : null),

    /** @param {string} query @returns {Promise<AlertPage>} */
    listAlerts: (query) => getJson(`alerts?${query}`),

    /** @returns {Promise<Stats>} */
    stats: () => getJson('stats'),

    /** @param {number} days @returns {Promise<ModelHealth>} */
    modelHealth: (days) => getJson(`model-health?days=${days}`),

    /**
     * Records the analyst's verdict, asking for the API token when none is kept or it is refused.
     * @param {string} alertId
     * @param {FeedbackLabel} label
     * @returns {Promise<Alert | null>} the reviewed alert; null when the analyst cancelled the token prompt
     */
    async sendFeedback(alertId, label) {
      let token = stored('api') ?? (await ask('api'));
      while (token) {
        const response = await fetch(`alerts/${encodeURIComponent(alertId)}/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ label }),
        });
        if (!refused(response)) return answer(response);
        storage.removeItem(tokenKeys.api);
        token = await ask('api');
      }
      return null;
    },
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * Asks for a token in the page's dialog.
 * @param {{ dialog: HTMLDialogElement, input: HTMLInputElement, title: HTMLElement, help: HTMLElement }} elements
 * @returns {AskToken}
 */
export function tokenDialog({ dialog, input, title, help }) {
  return (kind) => {
    title.textContent = kind === 'api' ? 'API token' : 'Read token';
    help.textContent =
      kind === 'api'
        ? "Marking alerts needs the service's ALERTS_API_TOKEN. It is kept in this browser tab only."
        : 'This service protects reads: enter its ALERTS_READ_TOKEN. It is kept in this browser tab only.';
    input.value = '';
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve((dialog.returnValue === 'ok' && input.value.trim()) || null), { once: true });
    });
  };
}
