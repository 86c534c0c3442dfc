import type { CaseStreamFilters } from '../cases/schemas.js';
import type { CaseEventRow, CaseStore } from '../store/cases.js';
import { createEventFeed, type EventFeed, type EventFeedOptions, type FeedSource } from './event-feed.js';

export type CaseFeed = EventFeed<CaseStreamFilters>;

export interface CaseFeedOptions extends EventFeedOptions {
  cases: CaseStore;
}

/** Every change to a case (the audit trail) as `case` events, each with the case as it is now. */
export function caseSource(cases: CaseStore): FeedSource<CaseStreamFilters, CaseEventRow, { row: CaseEventRow }> {
  return {
    name: 'case',
    latest: () => cases.latestEvent(),
    after: (sequence, upTo, filters, limit) => cases.eventsAfter(sequence, upTo, filters, limit),
    parse: (row) => ({ row }),
    everything: {},
    matcher: ({ caseId, cardId }) =>
      caseId === undefined && cardId === undefined
        ? undefined
        : ({ row }) => (caseId === undefined || row.caseId === caseId) && (cardId === undefined || row.cardId === cardId),
  };
}

export const createCaseFeed = ({ cases, ...options }: CaseFeedOptions): CaseFeed => createEventFeed(caseSource(cases), options);
