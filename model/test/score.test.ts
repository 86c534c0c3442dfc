import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readHandbookCsv } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR, loadModel } from '../src/model.js';
import { initTensorflow } from '../src/tensorflow.js';
import { scoreRows, scorerOf, startScoreWorker } from '../src/score.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

function collect(): { sink: Writable; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { sink, text: () => chunks.join('') };
}

describe('scoreRows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-score-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the same lines with the model in a worker thread as on this thread', async () => {
    const csv = join(dir, 'data.csv');
    await writeHandbookCsv(csv, { days: 40, cards: 300, terminals: 200, seed: 7 });
    const fromMs = Date.parse('2018-07-20T00:00:00Z');

    const here = collect();
    const model = await loadModel(DEFAULT_MODEL_DIR);
    const hereCount = await scoreRows(readHandbookCsv(csv), scorerOf(model, await initTensorflow()), { fromMs, sink: here.sink });

    const worker = await startScoreWorker(DEFAULT_MODEL_DIR);
    const there = collect();
    const progress: number[] = [];
    const thereCount = await scoreRows(readHandbookCsv(csv), worker, { fromMs, sink: there.sink, onScored: (count) => progress.push(count), predictRows: 777 }).finally(() =>
      worker.close(),
    );

    expect(worker.version).toBe(model.version);
    expect(thereCount).toBe(hereCount);
    expect(hereCount).toBeGreaterThan(1_000);
    expect(there.text()).toBe(here.text());
    expect(there.text().split('\n')[0]).toBe('TRANSACTION_ID,score');
    // Many batches were in flight at once, and written in order.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(thereCount);
  }, 60_000);

  it('refuses in the worker a model it cannot load, with the same error code', async () => {
    await expect(startScoreWorker(join(dir, 'no-such-model'))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  }, 30_000);
});
