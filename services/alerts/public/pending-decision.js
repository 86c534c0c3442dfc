// @ts-check
/**
 * A decision made with one key (f / l), sent `delayMs` later unless it is undone first: the undo
 * window of the case queue and of the case page. At most one decision waits; starting another sends
 * the waiting one at once, so only the latest can be undone. No DOM here, so
 * test/public/pending-decision.test.ts runs it in Node with fake timers.
 */

/** @import { Case, FeedbackLabel } from './types.js' */

/**
 * @typedef {object} PendingDecision a decision waiting to be sent
 * @property {Case} kase the case as it was shown when the key was pressed
 * @property {FeedbackLabel} label
 * @property {number} sendAt when it will be sent, ms since the epoch
 */

/** @typedef {{ keepalive?: boolean }} SendOptions keepalive: the page is being left (fetch's keepalive) */

/**
 * What `start` did: `scheduled` a new decision (and sent the one that waited on another case, if any),
 * `switched` the waiting one's label (its window starts again), `sent` the waiting one now (its key
 * again), or nothing, as the case's decision is `sending` already.
 * @typedef {'scheduled' | 'switched' | 'sent' | 'sending'} StartOutcome
 */

/**
 * @param {{
 *   delayMs: number,
 *   send: (decision: PendingDecision, options: SendOptions) => Promise<void>,
 *   onChange?: (current: PendingDecision | null) => void,
 * }} options send: reports what came of it itself (it does not reject); onChange: the waiting decision
 *   changed (started, switched, undone or sent)
 */
export function createPendingDecision({ delayMs, send, onChange = () => {} }) {
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError(`Expected \`delayMs\` to be a finite number >= 0, got ${delayMs}`);
  /** @type {PendingDecision | null} */
  let pending = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** The cases whose decision has been sent and not answered yet. */
  const sending = new Set();

  /** Takes the waiting decision out of the window, without a word to `onChange`. */
  function take() {
    const taken = pending;
    clearTimeout(timer);
    pending = null;
    return taken;
  }

  /** @param {PendingDecision} decision @param {SendOptions} options */
  function dispatch(decision, options) {
    const { caseId } = decision.kase;
    sending.add(caseId);
    // Called now, not after an await: on pagehide the keepalive fetch must start before the page goes.
    return send(decision, options).finally(() => sending.delete(caseId));
  }

  /** @param {Case} kase @param {FeedbackLabel} label */
  function schedule(kase, label) {
    pending = { kase, label, sendAt: Date.now() + delayMs };
    timer = setTimeout(() => void flushNow(), delayMs);
  }

  /**
   * Sends the waiting decision now.
   * @param {SendOptions} [options]
   * @returns {Promise<void> | null} settled once it is sent and answered; null when none was waiting
   */
  function flushNow(options = {}) {
    const decision = take();
    if (!decision) return null;
    onChange(null);
    return dispatch(decision, options);
  }

  return {
    /**
     * f / l on `kase`: it waits `delayMs` to be sent.
     * @param {Case} kase
     * @param {FeedbackLabel} label
     * @returns {StartOutcome}
     */
    start(kase, label) {
      if (sending.has(kase.caseId)) return 'sending';
      const waiting = pending;
      if (waiting?.kase.caseId === kase.caseId && waiting.label === label) {
        void flushNow();
        return 'sent';
      }
      take();
      if (waiting && waiting.kase.caseId !== kase.caseId) void dispatch(waiting, {});
      schedule(kase, label);
      onChange(pending);
      return waiting?.kase.caseId === kase.caseId ? 'switched' : 'scheduled';
    },

    /** Drops the waiting decision: it is never sent. @returns {PendingDecision | null} the one dropped */
    undo() {
      const undone = take();
      if (undone) onChange(null);
      return undone;
    },

    flushNow,

    /** The decision waiting to be sent, if any. */
    current: () => pending,

    /** Whether `caseId`'s decision is on its way (sent, not answered yet). @param {string} caseId */
    isSending: (caseId) => sending.has(caseId),
  };
}

/** @typedef {ReturnType<typeof createPendingDecision>} PendingDecisions */
