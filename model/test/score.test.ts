import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuleBook, readHandbookCsv } from '@fraudstream/shared';
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

  it('decides alike with the rules whether the model runs in a worker or on this thread', async () => {
    const csv = join(dir, 'rules.csv');
    await writeHandbookCsv(csv, { days: 40, cards: 300, terminals: 200, seed: 9 });
    const fromMs = Date.parse('2018-07-25T00:00:00Z');
    const rules = createRuleBook();
    const at = '2026-12-03T00:00:00Z';
    rules.putRule({ schemaVersion: 1, id: 'big', version: 4, name: 'Big', expression: 'tx.amount > 120.0 && score > 0.001', action: 'block', mode: 'active', updatedAt: at, updatedBy: 'test' });
    rules.putRule({ schemaVersion: 1, id: 'nope', version: 1, name: 'Missing list', expression: 'tx.cardId in lists["absent"]', action: 'block', mode: 'active', updatedAt: at, updatedBy: 'test' });
    const failures: string[] = [];
    const here = collect();
    await scoreRows(readHandbookCsv(csv), scorerOf(await loadModel(DEFAULT_MODEL_DIR), await initTensorflow()), { fromMs, sink: here.sink, rules, onRuleFailure: (failure) => failures.push(failure.ruleId) });
    const worker = await startScoreWorker(DEFAULT_MODEL_DIR);
    const there = collect();
    await scoreRows(readHandbookCsv(csv), worker, { fromMs, sink: there.sink, rules, predictRows: 500 }).finally(() => worker.close());
    expect(there.text()).toBe(here.text());
    expect(here.text()).toMatch(/^\d+,[\d.e-]+,block,big@4,$/m);
    // A rule that fails at run time is a non-hit, reported on every payment.
    expect(failures.length).toBe(here.text().trim().split('\n').length - 1);
    expect(new Set(failures)).toEqual(new Set(['nope']));
  }, 60_000);

  it('scores every row, $0.00 ones included, with a finite score', async () => {
    const csv = join(dir, 'zero.csv');
    const header = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD';
    const lines = ['1,2018-04-01 00:00:31,5,7,0.00,0', '2,2018-04-01 00:10:31,5,7,0,0', '3,2018-04-01 00:20:31,5,8,250.00,1', '4,2018-04-01 01:20:31,6,8,0.0,0'];
    writeFileSync(csv, `${header}\n${lines.join('\n')}\n`);
    const out = collect();
    const count = await scoreRows(readHandbookCsv(csv), scorerOf(await loadModel(DEFAULT_MODEL_DIR), await initTensorflow()), { fromMs: 0, sink: out.sink });
    expect(count).toBe(4);
    const scores = out.text().trim().split('\n').slice(1).map((line) => line.split(','));
    expect(scores.map(([id]) => id)).toEqual(['1', '2', '3', '4']);
    for (const [, score] of scores) {
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
    }
  });

  it('refuses in the worker a model it cannot load, with the same error code', async () => {
    await expect(startScoreWorker(join(dir, 'no-such-model'))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  }, 30_000);
});
