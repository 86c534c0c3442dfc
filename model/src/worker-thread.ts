import { Worker } from 'node:worker_threads';

// A worker runs JavaScript: register tsx's loader first, as `node --import tsx` does for the main thread.
const workerBoot = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });`;

/** A worker thread running the TypeScript module `entry`; `data` arrives as its `workerData`. */
export function startWorker(entry: URL, data: Record<string, unknown>): Worker {
  return new Worker(workerBoot, {
    eval: true,
    execArgv: [],
    workerData: { ...data, tsx: import.meta.resolve('tsx/esm/api'), entry: entry.href },
  });
}
