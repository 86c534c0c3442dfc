import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandbookCsv } from '@fraudstream/shared/csv';
import { main } from '../src/cli/score.js';
import { DEFAULT_MODEL_DIR, loadModel } from '../src/model.js';
import { scoreRows, scorerOf, type RowScorer } from '../src/score.js';
import { scoreCsvOffline } from '../src/score-offline.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

/** What the streaming path (`scoreRows`, TF.js) writes for the file. */
async function streamingOutput(path: string, fromMs: number, scorer: RowScorer): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await scoreRows(readHandbookCsv(path, { chunkBytes: 1 << 16 }), scorer, { fromMs, sink });
  return Buffer.concat(chunks).toString('latin1');
}

describe('offline scoring of a whole file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-score-offline-'));
  const csv = join(dir, 'data.csv');
  let scorer: RowScorer;
  beforeAll(async () => {
    await writeHandbookCsv(csv, { days: 60, cards: 250, terminals: 100, seed: 12 });
    scorer = scorerOf(await loadModel(DEFAULT_MODEL_DIR), 'wasm');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes byte for byte what the streaming path writes, from any day', async () => {
    for (const from of ['2018-07-01', '2018-08-15', '2018-09-10']) {
      const fromMs = Date.parse(`${from}T00:00:00Z`);
      const output = join(dir, `offline-${from}.csv`);
      const result = await scoreCsvOffline(csv, { fromMs, output, modelDir: DEFAULT_MODEL_DIR });
      const expected = await streamingOutput(csv, fromMs, scorer);
      expect(result?.written).toBe(expected.split('\n').length - 2);
      expect(readFileSync(output, 'latin1')).toBe(expected);
    }
  }, 120_000);

  it('the CLI takes the offline path for a plain file and the streaming one for any other, with the same scores', async () => {
    const fromMs = Date.parse('2018-08-20T00:00:00Z');
    const expected = await streamingOutput(csv, fromMs, scorer);
    const plainOut = join(dir, 'cli-plain.csv');
    await main(['--input', csv, '--from', '2018-08-20', '--output', plainOut]);
    expect(readFileSync(plainOut, 'latin1')).toBe(expected);

    // A row with three decimals: not plain (readHandbookCsv rounds it); the streaming path scores it.
    const lines = readFileSync(csv, 'latin1').split('\n');
    lines[5] = lines[5]!.replace(/,(\d+\.\d\d),/, ',$17,');
    const odd = join(dir, 'odd.csv');
    writeFileSync(odd, lines.join('\n'));
    expect(await scoreCsvOffline(odd, { fromMs, output: join(dir, 'unused.csv'), modelDir: DEFAULT_MODEL_DIR })).toBeUndefined();
    const oddOut = join(dir, 'cli-odd.csv');
    await main(['--input', odd, '--from', '2018-08-20', '--output', oddOut]);
    expect(readFileSync(oddOut, 'latin1')).toBe(expected);

    // Rows out of time order: the streaming engine inserts the late one where it belongs.
    const swapped = [...readFileSync(csv, 'latin1').split('\n')];
    [swapped[10], swapped[11]] = [swapped[11]!, swapped[10]!];
    const late = join(dir, 'late.csv');
    writeFileSync(late, swapped.join('\n'));
    expect(await scoreCsvOffline(late, { fromMs, output: join(dir, 'unused.csv'), modelDir: DEFAULT_MODEL_DIR })).toBeUndefined();
  }, 120_000);

  it('scores with TF.js a network the forward pass does not compile, with the same output as the streaming path', async () => {
    const modelDir = join(dir, 'tanh-model');
    cpSync(DEFAULT_MODEL_DIR, modelDir, { recursive: true });
    const topologyPath = join(modelDir, 'model.json');
    const topology = JSON.parse(readFileSync(topologyPath, 'utf8')) as { modelTopology: { config: { layers: Array<{ name: string; config: { activation?: string } }> } } };
    topology.modelTopology.config.layers.find((layer) => layer.name === 'member1_dense1')!.config.activation = 'tanh';
    writeFileSync(topologyPath, JSON.stringify(topology));
    const fromMs = Date.parse('2018-08-25T00:00:00Z');
    const output = join(dir, 'tanh.csv');
    expect((await scoreCsvOffline(csv, { fromMs, output, modelDir }))?.written).toBeGreaterThan(1000);
    expect(readFileSync(output, 'latin1')).toBe(await streamingOutput(csv, fromMs, scorerOf(await loadModel(modelDir), 'wasm')));
  }, 120_000);

  it('refuses a model as loadModel refuses it, leaving no output', async () => {
    const output = join(dir, 'none.csv');
    await expect(main(['--input', csv, '--from', '2018-08-20', '--output', output, '--model', join(dir, 'missing')])).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    expect(() => readFileSync(output)).toThrow();
  });
});
