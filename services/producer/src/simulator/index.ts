export * from './random.js';
export * from './profiles.js';
export * from './simulator.js';
