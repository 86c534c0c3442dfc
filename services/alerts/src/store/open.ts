import type { Logger } from '@fraudstream/shared';
import { createAlertStore, type AlertStore } from './alert-store.js';
import { openPglite, openPostgres } from './database.js';

export interface OpenStoreOptions {
  databaseUrl?: string | undefined;
  pgliteDir: string;
  log: Logger;
  /** Days of scored payments kept (the store's default otherwise). */
  paymentsKeepDays?: number;
}

/** PostgreSQL when a URL is given, the embedded PGlite database in `pgliteDir` otherwise. */
export async function openAlertStore({ databaseUrl, pgliteDir, log, paymentsKeepDays }: OpenStoreOptions): Promise<AlertStore> {
  const db = databaseUrl === undefined ? await openPglite(pgliteDir) : await openPostgres({ connectionString: databaseUrl });
  try {
    const store = await createAlertStore(db, paymentsKeepDays === undefined ? {} : { paymentsKeepDays });
    log.info(databaseUrl === undefined ? { pgliteDir } : { database: 'postgres' }, 'alert store ready');
    return store;
  } catch (err) {
    await db.close();
    throw err;
  }
}
