import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openTestPostgres, testDatabaseUrl } from '../fixtures.js';

describe('the PostgreSQL database', () => {
  it('fails a transaction whose connection is lost mid-way, without crashing the process, and goes on with a new connection', async () => {
    const db = await openTestPostgres();
    await db.query('CREATE TABLE t (n int)');
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    try {
      const failed = db
        .transaction(async (tx) => {
          const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await tx.query('INSERT INTO t VALUES (1)');
          // The server ends this connection (as a restart or a cut link does) while the transaction is open
          // and between two queries: the client emits 'error' with no query to fail.
          await admin.query('SELECT pg_terminate_backend($1)', [row!.pid]);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await tx.query('INSERT INTO t VALUES (2)');
        })
        .then(
          () => undefined,
          (err: unknown) => err as Error,
        );
      // An 'error' event nobody listens to would be an uncaught exception here, failing the run.
      expect((await failed)?.message).toMatch(/terminat|Connection/i);
      expect(await db.query('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
      await db.transaction((tx) => tx.query('INSERT INTO t VALUES (3)'));
      expect(await db.query('SELECT n FROM t')).toEqual([{ n: 3 }]);
    } finally {
      await admin.end();
    }
  });
});
