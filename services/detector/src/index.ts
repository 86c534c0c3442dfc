export * from './detector.js';
export * from './scoring.js';
export * from './model-holder.js';
export * from './progress.js';
export * from './event-time-gate.js';
export * from './labels.js';
export * from './metrics.js';
export * from './ops.js';
