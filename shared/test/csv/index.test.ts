import { describe, expect, it } from 'vitest';
import * as shared from '@fraudstream/shared';
import * as csv from '@fraudstream/shared/csv';

describe('@fraudstream/shared/csv', () => {
  it('exports the reader, the writers and the columns, also from @fraudstream/shared', () => {
    expect(Object.keys(csv).sort()).toEqual([
      'HANDBOOK_HEADER',
      'HANDBOOK_REQUIRED_COLUMNS',
      'HANDBOOK_WRITTEN_COLUMNS',
      'createHandbookCsvWriter',
      'createHandbookRowFormatter',
      'formatHandbookRow',
      'readHandbookCsv',
      'recordFromTransaction',
      'transactionFromRow',
    ]);
    for (const [name, value] of Object.entries(csv)) expect(shared[name as keyof typeof shared], name).toBe(value);
  });
});
