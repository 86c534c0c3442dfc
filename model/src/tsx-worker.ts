/** Worker threads that run this package's TypeScript modules. */
// A worker runs JavaScript: register tsx's loader first, as `node --import tsx` does for the main thread.
// workerData.tsx and workerData.entry name tsx's API and the worker's module.
export const TSX_WORKER_BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });`;
