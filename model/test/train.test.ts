import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandbookCsv } from '@fraudstream/shared/csv';
import { collectDataset, type Dataset } from '../src/replay.js';
import { splitKnots, trainModel, type TrainOptions } from '../src/train.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

describe('trainModel early stopping and refit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-train-'));
  const csv = join(dir, 'data.csv');
  const fromMs = Date.parse('2018-08-08T00:00:00Z');
  const validationFromMs = Date.parse('2018-08-13T00:00:00Z');
  let dataset: Dataset;
  beforeAll(async () => {
    await writeHandbookCsv(csv, { days: 46, cards: 300, terminals: 400, seed: 5 });
    dataset = await collectDataset(readHandbookCsv(csv), { fromMs, untilMs: Date.parse('2018-08-15T00:00:00Z') });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const train = (options: Partial<TrainOptions>) => trainModel(dataset, { validationFromMs, seed: 4, members: 2, maxEpochs: 3, patience: 2, ...options });

  it('early-stops on validation log loss when asked, keeping each epoch\'s validation loss', async () => {
    const byLoss = await train({ earlyStopping: 'loss' });
    const firstMember = byLoss.history.filter((epoch) => epoch.member === 0);
    const lowest = firstMember.reduce((best, epoch) => (epoch.validationLoss < best.validationLoss - 1e-5 ? epoch : best));
    expect((byLoss.summary['bestEpochs'] as number[])[0]).toBe(lowest.epoch);
    expect(byLoss.summary['earlyStopping']).toMatch(/validation log loss/);
    byLoss.network.dispose();
  }, 60_000);

  it('refits on every row for the chosen epochs, deterministically, keeping the held-out threshold and metrics', async () => {
    const heldOut = await train({ members: 1, refit: false });
    const refitted = await train({ members: 1, refit: true });
    const again = await train({ members: 1, refit: true });
    expect(refitted.versionHash).toBe(again.versionHash);
    expect(refitted.versionHash).not.toBe(heldOut.versionHash);
    expect(refitted.validation).toEqual(again.validation);
    expect(refitted.threshold).toEqual(again.threshold);
    expect(refitted.summary['earlyStopping']).toMatch(/trained again from scratch on every row/);
    // Standardisation over every row, validation days included.
    expect(refitted.normalisation.mean).not.toEqual(heldOut.normalisation.mean);
    for (const model of [heldOut, refitted, again]) model.network.dispose();
  }, 120_000);
});

describe('splitKnots', () => {
  it('puts the root knot where the labels change and splits a side only when that lowers its impurity', () => {
    // Legitimate amounts up to 200, frauds above 220 (a pure side), and a fraud-rich band 150..200.
    const values: number[] = [];
    const labels: number[] = [];
    for (let index = 0; index < 1_000; index++) {
      const amount = (index % 200) + 0.5;
      values.push(amount);
      labels.push(amount >= 150 && index % 3 === 0 ? 1 : 0);
    }
    for (let index = 0; index < 50; index++) {
      values.push(221 + index);
      labels.push(1);
    }
    const knots = splitKnots(Float64Array.from(values), Uint8Array.from(labels), 20);
    expect(knots).toHaveLength(2);
    expect(knots[0]).toBeCloseTo(149.5 + 0.5, 5); // halfway between 149.5 and 150.5
    expect(knots[1]).toBeCloseTo((199.5 + 221) / 2, 5);
  });

  it('gives no knot for a constant feature or one with no positives', () => {
    expect(splitKnots(Float64Array.from({ length: 100 }, () => 37), Uint8Array.from({ length: 100 }, (_, index) => index % 2), 20)).toEqual([]);
    expect(splitKnots(Float64Array.from({ length: 100 }, (_, index) => index), new Uint8Array(100), 20)).toEqual([]);
  });
});
