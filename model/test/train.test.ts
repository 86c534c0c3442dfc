import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandbookCsv } from '@fraudstream/shared/csv';
import { collectDataset, type Dataset } from '../src/replay.js';
import { trainModel, type TrainOptions } from '../src/train.js';
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
