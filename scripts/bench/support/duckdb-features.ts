/**
 * The DuckDB peer of `npm run bench -- score`: the Handbook's 15 baseline features (SIMULATOR.md) as
 * window SQL over the CSV, written to Parquet. Timestamps are whole seconds, so the exclusive lower
 * bound of a window (t − w, t] is `w − 1` seconds PRECEDING; the terminal windows (t − d − w, t − d]
 * end `d` before the transaction.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';

/** The Handbook's 15 baseline features: the first of FEATURE_NAMES, and the columns the SQL writes. */
export const DUCKDB_FEATURES = FEATURE_NAMES.slice(0, 15);

const DAY_S = 86_400;
const DELAY_DAYS = 7;
const WINDOWS = [1, 7, 30] as const;

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The SQL: read `input` (a Handbook CSV), write the features of every row to `output` (Parquet). */
export function duckdbFeaturesSql(input: string, output: string): string {
  const windows = WINDOWS.flatMap((days) => [
    `c${days} AS (PARTITION BY CUSTOMER_ID ORDER BY ts RANGE BETWEEN ${days * DAY_S - 1} PRECEDING AND CURRENT ROW)`,
    `t${days} AS (PARTITION BY TERMINAL_ID ORDER BY ts RANGE BETWEEN ${(DELAY_DAYS + days) * DAY_S - 1} PRECEDING AND ${DELAY_DAYS * DAY_S} PRECEDING)`,
  ]);
  const customer = WINDOWS.flatMap((days) => [
    `count(*) OVER c${days} AS CUSTOMER_ID_NB_TX_${days}DAY_WINDOW`,
    `avg(TX_AMOUNT) OVER c${days} AS CUSTOMER_ID_AVG_AMOUNT_${days}DAY_WINDOW`,
  ]);
  const terminal = WINDOWS.flatMap((days) => [
    `count(*) OVER t${days} AS TERMINAL_ID_NB_TX_${days}DAY_WINDOW`,
    `coalesce(sum(TX_FRAUD) OVER t${days} / nullif(count(*) OVER t${days}, 0), 0) AS TERMINAL_ID_RISK_${days}DAY_WINDOW`,
  ]);
  return `COPY (
  WITH tx AS (
    SELECT *, epoch(TX_DATETIME)::BIGINT AS ts
    FROM read_csv(${quote(input)}, header = true, columns = {
      'TRANSACTION_ID': 'BIGINT', 'TX_DATETIME': 'TIMESTAMP', 'CUSTOMER_ID': 'BIGINT', 'TERMINAL_ID': 'BIGINT',
      'TX_AMOUNT': 'DOUBLE', 'TX_FRAUD': 'INTEGER', 'TX_FRAUD_SCENARIO': 'INTEGER'})
  )
  SELECT TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD,
    CASE WHEN dayofweek(TX_DATETIME) IN (0, 6) THEN 1 ELSE 0 END AS TX_DURING_WEEKEND,
    CASE WHEN hour(TX_DATETIME) <= 6 THEN 1 ELSE 0 END AS TX_DURING_NIGHT,
    ${[...customer, ...terminal].join(',\n    ')}
  FROM tx
  WINDOW ${windows.join(',\n    ')}
) TO ${quote(output)} (FORMAT parquet)`;
}

async function withConnection<T>(work: (connection: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs the SQL in a fresh in-memory database (DuckDB's default threads: one per core); returns the rows written. */
export function runDuckdbFeatures(input: string, output: string): Promise<number> {
  return withConnection(async (connection) => {
    const result = await connection.runAndReadAll(duckdbFeaturesSql(input, output));
    return Number(result.getRows()[0]?.[0] ?? NaN);
  });
}

/** The 15 features of every `every`-th transaction (by TRANSACTION_ID) of the Parquet file. */
export function readDuckdbSample(parquet: string, every: number): Promise<Array<{ transactionId: number; features: Record<string, number> }>> {
  return withConnection(async (connection) => {
    const result = await connection.runAndReadAll(
      `SELECT TRANSACTION_ID, ${DUCKDB_FEATURES.join(', ')} FROM read_parquet(${quote(parquet)}) WHERE TRANSACTION_ID % ${every} = 0 ORDER BY TRANSACTION_ID`,
    );
    return result.getRows().map((row) => ({
      transactionId: Number(row[0]),
      features: Object.fromEntries(DUCKDB_FEATURES.map((name, index) => [name, Number(row[index + 1])])),
    }));
  });
}
