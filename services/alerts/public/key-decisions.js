// @ts-check
/**
 * f / l on the analyst's desk (the case queue, a case page), as the page shows it: the decision waits
 * UNDO_MS in the toast, with an Undo button, and is sent then; at once on the same key again, when
 * another decision starts, or as the page is left (fetch's keepalive). The waiting itself is
 * pending-decision.js'.
 */

import { UNDO_MS, pendingMessage } from './cases-format.js';
import { el } from './page.js';
import { createPendingDecision } from './pending-decision.js';

/** @import { Api } from './api.js' */
/** @import { PendingDecision, SendOptions, StartOutcome } from './pending-decision.js' */
/** @import { Case, FeedbackLabel } from './types.js' */

/**
 * @param {{
 *   api: Api,
 *   box: HTMLElement,
 *   toast: (message: string, ok?: boolean) => void,
 *   send: (decision: PendingDecision, options: SendOptions) => Promise<void>,
 *   onChange: (current: PendingDecision | null) => void,
 * }} options box: the toast's element; toast: the page's (createToast's, on `box`); send: the page's, it
 *   reports what came of it itself; onChange: what waits changed (the page marks it)
 */
export function createKeyDecisions({ api, box, toast, send, onChange }) {
  const decisions = createPendingDecision({ delayMs: UNDO_MS, send, onChange });

  /**
   * Shows `message` in the toast, followed by what waits to be sent, with its Undo button: a message
   * about something else must not hide the way back.
   * @param {string} message
   * @param {boolean} [ok]
   */
  function say(message, ok = false) {
    toast(message, ok);
    const waiting = decisions.current();
    if (!waiting) return;
    const undoButton = el('button', { type: 'button', class: 'secondary small', 'aria-keyshortcuts': 'u Escape' }, ['Undo (u / Esc)']);
    undoButton.addEventListener('click', () => undo());
    const line = el('span', { class: 'pending-line' }, [pendingMessage(waiting.kase, waiting.label, (waiting.sendAt - Date.now()) / 1000), ' ', undoButton]);
    box.replaceChildren(...(message ? [el('span', { class: 'message' }, [message])] : []), line);
    box.classList.add('pending', waiting.label);
  }

  /** u, Esc or the Undo button: the waiting decision is not sent. */
  function undo() {
    const undone = decisions.undo();
    if (undone) toast(`Not decided: ${undone.kase.cardId} stays open.`, true);
  }

  // A decision the analyst made is not lost by leaving the page: it goes now, and outlives the page.
  addEventListener('pagehide', () => void decisions.flushNow({ keepalive: true }));

  return {
    /**
     * f / l on `kase` (open): asks for the API token first when none is kept, so that the send needs
     * no dialog later; then the decision waits, and the toast says so.
     * @param {Case} kase
     * @param {FeedbackLabel} label
     * @returns {Promise<StartOutcome | null>} null: not started, the analyst cancelled the token dialog
     */
    async decide(kase, label) {
      if (!(await api.ensureApiToken())) {
        say(`${kase.cardId} not decided: deciding needs the API token.`);
        return null;
      }
      const outcome = decisions.start(kase, label);
      if (outcome === 'scheduled' || outcome === 'switched') say('');
      else if (outcome === 'sent') say(`Deciding ${kase.cardId} ${label} now…`);
      else say(`${kase.cardId} is being decided already.`);
      return outcome;
    },

    undo,
    say,

    /** Drops the waiting decision without a word (a button decides instead). */
    cancel: () => decisions.undo(),

    /**
     * Drops the waiting decision on `kase` when the server says it is decided already (someone else
     * was first): sent, it would only be refused.
     * @param {Case} kase as the server has it now
     * @returns {PendingDecision | null} the one dropped
     */
    dropIfDecided(kase) {
      const waiting = decisions.current();
      if (!waiting || waiting.kase.caseId !== kase.caseId || kase.status === 'open') return null;
      return decisions.undo();
    },

    current: decisions.current,
  };
}
