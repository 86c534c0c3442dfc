import type { AlertFilters, StoredAlert } from '../schemas.js';
import type { AlertRow, AlertStore } from '../store/alert-store.js';
import { alertMatcher, type ParsedAlertRow } from './alert-filter.js';
import { createEventFeed, type EventFeed, type EventFeedOptions, type FeedSource } from './event-feed.js';

export type AlertFeed = EventFeed<AlertFilters>;

export interface AlertFeedOptions extends EventFeedOptions {
  store: AlertStore;
}

/** The stored alerts as `alert` events: each new alert, and again when an analyst reviews it (it gets a new sequence). */
export function alertSource(store: AlertStore): FeedSource<AlertFilters, AlertRow, ParsedAlertRow> {
  return {
    name: 'alert',
    latest: () => store.latestSequence(),
    after: (sequence, upTo, filters, limit) => store.alertsAfter(sequence, upTo, filters, limit),
    parse: (row) => ({ row, alert: JSON.parse(row.json) as StoredAlert }),
    everything: {},
    matcher: alertMatcher,
  };
}

export const createAlertFeed = ({ store, ...options }: AlertFeedOptions): AlertFeed => createEventFeed(alertSource(store), options);
