export * from './schema.js';
export * from './expression.js';
export * from './rule-book.js';
export * from './decision.js';
