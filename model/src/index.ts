export * from './tensorflow.js';
export * from './model.js';
