import type { Logger } from '@fraudstream/shared';
import { createAlertStore, type AlertStore } from './alert-store.js';
import { openPglite, openPostgres } from './database.js';

export interface OpenStoreOptions {
  databaseUrl?: string | undefined;
  pgliteDir: string;
  log: Logger;
}

/** PostgreSQL when a URL is given, the embedded PGlite database in `pgliteDir` otherwise. */
export async function openAlertStore({ databaseUrl, pgliteDir, log }: OpenStoreOptions): Promise<AlertStore> {
  const db = databaseUrl === undefined ? await openPglite(pgliteDir) : await openPostgres({ connectionString: databaseUrl });
  try {
    const store = await createAlertStore(db);
    log.info(databaseUrl === undefined ? { pgliteDir } : { database: 'postgres' }, 'alert store ready');
    return store;
  } catch (err) {
    await db.close();
    throw err;
  }
}
