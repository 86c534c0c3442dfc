/**
 * The Fraud Detection Handbook's CSV format, read and written by hand: the simulator writes 1.75 M
 * rows and the model and the producer's replay read them back, so both directions avoid a CSV
 * library and per-row allocations beyond the row itself. The format has no quoting (only digits,
 * dates and decimals), which is what makes splitting on commas correct.
 */
export { HANDBOOK_HEADER, HANDBOOK_REQUIRED_COLUMNS, HANDBOOK_WRITTEN_COLUMNS } from './columns.js';
export type { BadCsvRow, HandbookRecord, HandbookRow } from './rows.js';
export { readHandbookCsv, type ReadHandbookCsvOptions } from './read.js';
export { recordFromTransaction, transactionFromRow } from './transactions.js';
export { createHandbookRowFormatter, formatHandbookRow } from './format.js';
export { createHandbookCsvWriter, type HandbookCsvWriter } from './write.js';
