// @ts-check
/**
 * What the dashboard reads of the API's answers. The server's zod schemas are the source; these name
 * only the fields used here, and test/public/types.test.ts holds the server's types assignable to them.
 */

/**
 * @typedef {object} Reason
 * @property {string} feature
 * @property {number} value
 * @property {number} typical
 * @property {number} contribution
 */

/**
 * @typedef {object} RuleHit
 * @property {string} ruleId
 * @property {number} version
 * @property {string} name
 * @property {'block' | 'review' | 'allow'} action
 */

/** @typedef {'open' | 'fraud' | 'legit'} AlertStatus */
/** @typedef {'fraud' | 'legit'} FeedbackLabel */

/**
 * @typedef {object} Feedback
 * @property {FeedbackLabel} label
 * @property {string | null} note
 * @property {string} at
 */

/**
 * @typedef {object} Alert
 * @property {string} alertId
 * @property {number} sequence
 * @property {AlertStatus} status
 * @property {string} detectedAt
 * @property {number} score
 * @property {number} threshold
 * @property {string} modelVersion
 * @property {Reason[]} reasons in the detector's order: the strongest first
 * @property {'block' | 'review'} decision block when a block rule fired, else review
 * @property {RuleHit[]} ruleHits the active rules that fired, with the versions that did
 * @property {Feedback | null} feedback
 * @property {{ cardId: string, terminalId: string, amount: number, currency: string }} transaction
 */

/**
 * @typedef {object} AlertPage
 * @property {Alert[]} items
 * @property {string | null} nextCursor
 */

/**
 * @typedef {object} MinuteCount
 * @property {string} minute ISO 8601 start of the minute
 * @property {number} count
 */

/**
 * @typedef {object} Stats
 * @property {MinuteCount[]} alertsPerMinute the last 60 minutes, oldest first
 * @property {{ all: number, open: number, fraud: number, legit: number }} totals
 * @property {number | null} precision
 * @property {{ modelVersion: string, alerts: number }[]} modelVersions
 */

/**
 * @typedef {object} Rule
 * @property {string} id
 * @property {number} version
 * @property {string} name
 * @property {string} [description]
 * @property {string} expression
 * @property {'block' | 'review' | 'allow'} action
 * @property {'active' | 'shadow' | 'disabled'} mode
 * @property {string} updatedAt
 * @property {string} updatedBy
 */

/**
 * @typedef {object} RuleHitWindow
 * @property {number} hits
 * @property {number} errors
 */

/**
 * @typedef {object} RuleHitTotals
 * @property {{ lastHour: number, lastDay: number }} payments
 * @property {{ ruleId: string, version: number, mode: 'active' | 'shadow', action: string, lastHour: RuleHitWindow, lastDay: RuleHitWindow }[]} rules
 */

/**
 * @typedef {object} ModelHealthDay one model version's figures on one UTC day
 * @property {string} day YYYY-MM-DD
 * @property {string} modelVersion
 * @property {number} payments
 * @property {number} alerts
 * @property {number} frauds
 * @property {number} truePositives
 * @property {number | null} precision null when there were no alerts
 * @property {number | null} recall null when there were no frauds
 * @property {number | null} cardPrecisionAt100 null when there were no payments
 * @property {boolean} mature whether the day's labels are all in (the watermark is labelDelayDays past its end)
 */

/**
 * @typedef {object} RuleDayQuality one active rule's matches on one UTC day (only days it matched)
 * @property {string} day YYYY-MM-DD
 * @property {string} ruleId
 * @property {number} hits payments the rule matched
 * @property {number} truePositives of them, those labelled fraud so far
 * @property {number | null} precision truePositives / hits; null without hits
 * @property {boolean} mature whether the day's labels are all in
 */

/** @typedef {'ok' | 'warn' | 'alert' | 'unknown'} DriftStatus unknown: no PSI (no reference, or no payments) */

/**
 * @typedef {object} FeatureDrift
 * @property {string} name
 * @property {number | null} psi
 * @property {DriftStatus} status
 */

/**
 * @typedef {object} ScoreHistogram 20 equal-width score bins
 * @property {number[]} edges 21 bin edges, 0 to 1
 * @property {number[]} recent the period's share of scores in each bin (they sum to 1, or are all 0)
 * @property {number[]} reference the reference's shares
 */

/**
 * @typedef {object} ModelHealth
 * @property {string} generatedAt
 * @property {string | null} watermark the newest payment event time in the store; null when it is empty
 * @property {number} labelDelayDays
 * @property {ModelHealthDay[]} days the champion's, oldest first: one entry per (day, modelVersion)
 * @property {ModelHealthDay[] | null} challenger the challenger's figures on the same payments; null when none ran in the period
 * @property {RuleDayQuality[]} rules each active rule's matches per day, oldest first
 * @property {FeatureDrift[]} features
 * @property {{ psi: number | null, status: DriftStatus, histogram: ScoreHistogram }} score
 * @property {{ from: string | null, to: string | null, payments: number, reference: string, thresholds: { warn: number, alert: number } }} drift
 * @property {string[]} problems why figures may be missing or stale; empty when healthy
 */

/** @typedef {Record<string, string>} Filters the filter form's fields, trimmed; '' is no filter */

/** @typedef {'open' | 'decided'} CaseStatus */
/** @typedef {'priority' | 'age'} CaseSort priority: highest first; age: oldest opened first */

/**
 * @typedef {object} CaseDecision
 * @property {FeedbackLabel} label
 * @property {string | null} note
 * @property {string} by the analyst who decided
 * @property {string} at
 */

/**
 * @typedef {object} Case the alerts of one card, from its first alert to a decision (docs: notes/cases-api.md)
 * @property {string} caseId
 * @property {string} cardId
 * @property {CaseStatus} status
 * @property {string} openedAt when its first alert was stored
 * @property {string} updatedAt
 * @property {string} firstAlertAt the oldest alert's payment time (event time)
 * @property {string} lastAlertAt the newest alert's payment time (event time)
 * @property {number} alertCount
 * @property {number} openAlertCount
 * @property {number} maxScore
 * @property {number} amountAtRisk the open alerts' amounts summed, in `currency`
 * @property {string | null} currency the first alert's (null: not known; the contract says a string, the store's column may be empty)
 * @property {{ block: number, review: number }} decisions how many of its alerts each decision asked for
 * @property {number} priority higher first: maxScore + 1 if any block + min(1, amountAtRisk / 1000) × 0.5
 * @property {string | null} assignee
 * @property {CaseDecision | null} decision
 */

/**
 * @typedef {object} CasePage
 * @property {Case[]} cases
 * @property {string | null} nextCursor
 */

/**
 * @typedef {Alert & { transaction: Alert['transaction'] & { transactionId: string, timestamp: string } }} CaseAlert
 * an alert as GET /cases/{id} sends it: the stored alert, whose transaction carries its id and event time
 */

/**
 * @typedef {object} CasePayment one of the card's scored payments from the payments store
 * @property {string} transactionId
 * @property {string} timestamp event time
 * @property {number | null} amount null (like currency and terminalId) when the payments store does not hold it
 * @property {string | null} currency
 * @property {string | null} terminalId
 * @property {string | null} channel
 * @property {string | null} merchantCategory
 * @property {number} score
 * @property {boolean} flagged
 * @property {'review' | 'block' | null} decision
 * @property {RuleHit[]} ruleHits
 * @property {string | null} alertId the alert it raised, if any
 * @property {{ fraud: boolean, source: string } | null} label source: chargeback or analyst
 */

/**
 * @typedef {object} CaseDetail
 * @property {Case} case
 * @property {CaseAlert[]} alerts newest first
 * @property {CasePayment[]} payments the card's, from 7 days before the case's first alert to now, newest first, at most 500
 */

/** @typedef {'opened' | 'alert-added' | 'alert-reviewed' | 'assigned' | 'decided'} CaseAction */

/**
 * @typedef {object} CaseEvent one line of a case's audit history
 * @property {string} at
 * @property {string} actor an analyst's name, or "detector"
 * @property {CaseAction | string} action an action the page does not know is shown by its name
 * @property {{ alertId?: string, score?: number, assignee?: string | null, label?: FeedbackLabel, note?: string | null, alerts?: number | string[] }} detail
 *   opened / alert-added: alertId, score; assigned: assignee; decided: label, note, alerts (a count, or the alerts' ids)
 */

/**
 * @typedef {object} CaseHistory
 * @property {CaseEvent[]} events oldest first
 */

/**
 * @typedef {object} CaseStreamEvent one `case` event of GET /cases/stream: an entry of a case's audit
 * trail, with the case as it is when the event is sent
 * @property {number} eventId the SSE event id
 * @property {'opened' | 'updated' | 'decided'} type opened: the card's first alert since its last decided case; updated: an alert joined or was reviewed, or the case was assigned
 * @property {CaseAction} change
 * @property {string} at
 * @property {string} actor an analyst's name, or "detector"
 * @property {Record<string, unknown>} detail as in the history (CaseEvent)
 * @property {Case} case
 */

/**
 * @typedef {object} CaseStats what GET /stats says of the cases
 * @property {number} open
 * @property {number} decidedLastDay
 * @property {number} unassigned
 * @property {string | null} oldestOpenAt
 */

export {};
