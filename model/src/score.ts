import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { FEATURE_NAMES, csvTransactionIdOf, type HandbookRow } from '@fraudstream/shared';
import type { FraudModel } from './model.js';
import { replayFeatures } from './replay.js';

/** Rows are gathered to this many before a predict call: the network is fastest on large batches. */
const PREDICT_ROWS = 65_536;

/**
 * Replays every row through the feature engine (as the detector does online) and writes
 * `TRANSACTION_ID,score` for the rows at or after `fromMs`, TRANSACTION_ID as in the CSV.
 * Returns how many scores were written.
 */
export async function scoreRows(
  rows: AsyncIterable<readonly HandbookRow[]>,
  model: FraudModel,
  options: { fromMs: number; sink: Writable; onScored?: (count: number) => void },
): Promise<number> {
  const width = FEATURE_NAMES.length;
  const { sink } = options;
  const write = async (text: string): Promise<void> => {
    if (!sink.write(text)) await once(sink, 'drain');
  };
  await write('TRANSACTION_ID,score\n');

  let pendingIds: string[] = [];
  let pendingFeatures = new Float32Array(PREDICT_ROWS * width);
  let written = 0;
  const flush = async (): Promise<void> => {
    if (pendingIds.length === 0) return;
    const scores = await model.predict(pendingFeatures.subarray(0, pendingIds.length * width), pendingIds.length);
    let text = '';
    for (let index = 0; index < pendingIds.length; index++) text += `${pendingIds[index]},${scores[index]!.toPrecision(8)}\n`;
    await write(text);
    written += pendingIds.length;
    options.onScored?.(written);
    pendingIds = [];
    pendingFeatures = new Float32Array(PREDICT_ROWS * width);
  };

  for await (const batch of replayFeatures(rows)) {
    for (let index = 0; index < batch.rows.length; index++) {
      const row = batch.rows[index]!;
      if (row.timestampMs < options.fromMs) continue;
      pendingFeatures.set(batch.features.subarray(index * width, (index + 1) * width), pendingIds.length * width);
      pendingIds.push(csvTransactionIdOf(row.transactionId));
      if (pendingIds.length === PREDICT_ROWS) await flush();
    }
  }
  await flush();
  return written;
}
