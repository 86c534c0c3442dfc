export * from './names.js';
export * from './store.js';
export * from './engine.js';
export * from './memory-store.js';
export * from './redis-store.js';
export * from './drift.js';
export * from './catalogue.js';
