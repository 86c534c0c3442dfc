// @ts-check
/**
 * The alerts API as the dashboard calls it, with its tokens. Reads use the read token only: the API
 * token (it can mark alerts) never goes with a read, so it can never end up in a stream URL, where
 * proxies and logs see it. Both are kept in the tab's sessionStorage.
 */

/** @import { Alert, AlertPage, Case, CaseDetail, CaseHistory, CasePage, FeedbackLabel, ModelHealth, Stats } from './types.js' */

import { TOKEN_REFUSED, tokenPrompt } from './format.js';

/** @typedef {'api' | 'read'} TokenKind */
/**
 * @typedef {(kind: TokenKind, refused?: boolean) => Promise<string | null>} AskToken the token the
 * analyst entered, null when they cancelled; `refused` when the service refused the last one entered
 */

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

  /** @param {TokenKind} kind @param {boolean} refused */
  async function ask(kind, refused) {
    const token = await askToken(kind, refused);
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
        if (stored('read') === null && !(await ask('read', token !== null))) throw new Error('A read token is needed to see alerts');
        continue;
      }
      return answer(response);
    }
  }

  /**
   * POSTs `body` with the API token, asking for it when none is kept or it is refused.
   * @template T
   * @param {string} path
   * @param {unknown} body
   * @param {{ keepalive?: boolean }} [options] keepalive: the page is being left, so the request must
   *   outlive it (fetch's keepalive), and nothing is asked: without a kept token, or with a refused one, it is not sent
   * @returns {Promise<T | null>} the answer; null when the analyst cancelled the token prompt (or could not be asked)
   */
  async function postJson(path, body, { keepalive = false } = {}) {
    // No await before the first fetch when a token is kept: a page being left starts it before it goes.
    let token = stored('api') ?? (keepalive ? null : await ask('api', false));
    while (token) {
      const response = await fetch(path, {
        method: 'POST',
        keepalive,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      if (!refused(response)) return answer(response);
      storage.removeItem(tokenKeys.api);
      token = keepalive ? null : await ask('api', true);
    }
    return null;
  }

  return {
    /** The read token when the service asked for one, else null: EventSource cannot send headers, so it goes in the stream URL. */
    streamToken: () => (readsNeedToken ? stored('read') : null),

    /**
     * The API token: the kept one, else asked for now (and kept), so that a write sent later (a decision
     * after its undo window, or as the page is left) finds it without a dialog.
     * @returns {Promise<string | null>} null when the analyst cancelled the token prompt
     */
    ensureApiToken: async () => stored('api') ?? (await ask('api', false)),

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
      let token = stored('api') ?? (await ask('api', false));
      while (token) {
        const response = await fetch(`alerts/${encodeURIComponent(alertId)}/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ label }),
        });
        if (!refused(response)) return answer(response);
        storage.removeItem(tokenKeys.api);
        token = await ask('api', true);
      }
      return null;
    },

    /** @param {string} query status, sort, assignee, limit, cursor @returns {Promise<CasePage>} */
    cases: (query) => getJson(`cases?${query}`),

    /** @param {string} caseId @returns {Promise<CaseDetail>} */
    caseDetail: (caseId) => getJson(`cases/${encodeURIComponent(caseId)}`),

    /** @param {string} caseId @returns {Promise<CaseHistory>} */
    caseHistory: (caseId) => getJson(`cases/${encodeURIComponent(caseId)}/history`),

    /**
     * Decides the case: every open alert of it gets the verdict, and its label goes to fraud.labels.
     * @param {string} caseId
     * @param {{ label: FeedbackLabel, note?: string, analyst?: string, openAlertCount?: number }} decision openAlertCount: the open alerts shown (409 when the case has another number)
     * @param {{ keepalive?: boolean }} [options] keepalive: sent as the page is left (see postJson)
     * @returns {Promise<Case | null>} the decided case; null when the analyst cancelled the token prompt
     */
    decideCase: (caseId, decision, options) => postJson(`cases/${encodeURIComponent(caseId)}/decision`, decision, options),

    /**
     * @param {string} caseId
     * @param {{ assignee: string | null, analyst?: string }} assignment null assignee: unassigned
     * @returns {Promise<Case | null>} the case; null when the analyst cancelled the token prompt
     */
    assignCase: (caseId, assignment) => postJson(`cases/${encodeURIComponent(caseId)}/assign`, assignment),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * Asks for a token in the page's dialog: which one, where it is kept, and first, when the service
 * refused the last one, that it did.
 * @param {{ dialog: HTMLDialogElement, input: HTMLInputElement, title: HTMLElement, help: HTMLElement }} elements
 * @returns {AskToken}
 */
export function tokenDialog({ dialog, input, title, help }) {
  return (kind, refused = false) => {
    const prompt = tokenPrompt(kind);
    title.textContent = prompt.title;
    const refusal = document.createElement('strong');
    refusal.className = 'refusal';
    refusal.textContent = TOKEN_REFUSED;
    help.replaceChildren(...(refused ? [refusal, ' '] : []), prompt.help);
    input.value = '';
    // Escape closes the dialog without setting returnValue: the last Save's must not count.
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve((dialog.returnValue === 'ok' && input.value.trim()) || null), { once: true });
    });
  };
}
