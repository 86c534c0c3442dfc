import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '@fraudstream/shared';
import { runScript, type ScriptRun } from '../../../test/support/process.js';
import { writeHandbookCsv } from '../support/handbook-csv.js';

function cli(name: 'train' | 'score' | 'evaluate', args: string[]): Promise<ScriptRun> {
  return runScript(`model/src/cli/${name}.ts`, args);
}

describe('train → score → evaluate on a small generated CSV', () => {
  let dir: string;
  let csv: string;
  let rows: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fraudstream-cli-'));
    csv = join(dir, 'tx.csv');
    rows = await writeHandbookCsv(csv, { days: 65, cards: 300, terminals: 400 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a model, scores the file with it and evaluates it', async () => {
    const model = join(dir, 'model');
    const train = await cli('train', ['--input', csv, '--from', '2018-08-08', '--to', '2018-08-15', '--out', model, '--seed', '3', '--max-epochs', '3', '--members', '2']);
    expect(train.stderr).not.toMatch(/Error/);
    expect(train.code).toBe(0);
    const metadata = JSON.parse(await readFile(join(model, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(metadata).toMatchObject({ featureNames: FEATURE_NAMES, training: { input: basename(csv), from: '2018-08-08', to: '2018-08-15', validationFrom: '2018-08-13', seed: 3 } });
    expect(metadata['training']).not.toHaveProperty('inputProblems');
    expect(metadata['training']).toMatchObject({ coverage: { inputFirstDay: '2018-07-01', inputLastDay: '2018-09-03', lookBackDays: 37 } });
    const statistics = metadata['featureStatistics'] as { name: string; min: number; max: number; bins: { shares: number[] } }[];
    expect(statistics.map((feature) => feature.name)).toEqual(FEATURE_NAMES);
    for (const feature of statistics) {
      expect(feature.max).toBeGreaterThan(feature.min); // train refuses a constant feature
      expect(feature.bins.shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 6);
    }
    expect(JSON.stringify(metadata)).not.toContain(dir); // never a path of the machine that trained it
    const report = await readFile(join(model, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
    expect(report).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

    const scores = join(dir, 'scores.csv');
    const score = await cli('score', ['--model', model, '--input', csv, '--from', '2018-08-22', '--output', scores]);
    expect(score.code).toBe(0);
    const lines = (await readFile(scores, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('TRANSACTION_ID,score');
    const source = (await readFile(csv, 'utf8')).trim().split('\n').slice(1);
    const expectedIds = source.filter((line) => line.split(',')[1]! >= '2018-08-22').map((line) => line.split(',')[0]);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(expectedIds);
    for (const line of lines.slice(1)) {
      const value = Number(line.split(',')[1]);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(expectedIds.length).toBeGreaterThan(rows / 6);

    const evaluate = await cli('evaluate', ['--model', model, '--input', csv, '--from', '2018-08-22', '--to', '2018-08-29', '--json']);
    expect(evaluate.code).toBe(0);
    const result = JSON.parse(evaluate.stdout) as { aucRoc: number; averagePrecision: number; cardPrecisionAt100: number; cardPrecisionPerDay: unknown[]; rows: number };
    expect(result.cardPrecisionPerDay).toHaveLength(7);
    expect(result.aucRoc).toBeGreaterThan(0.5);
    expect(result.averagePrecision).toBeGreaterThan(0);

    // Same seed, same model.
    const again = join(dir, 'model-again');
    await cli('train', ['--input', csv, '--from', '2018-08-08', '--to', '2018-08-15', '--out', again, '--seed', '3', '--max-epochs', '3', '--members', '2']);
    expect(await readFile(join(again, 'weights.bin'))).toEqual(await readFile(join(model, 'weights.bin')));

    // Two models on the same payments in one run, with the report.
    const other = join(dir, 'model-other');
    await cli('train', ['--input', csv, '--from', '2018-08-08', '--to', '2018-08-15', '--out', other, '--seed', '4', '--max-epochs', '2', '--members', '1']);
    const reportFile = join(dir, 'evaluation.html');
    const both = await cli('evaluate', ['--model', model, '--model', other, '--input', csv, '--from', '2018-08-22', '--to', '2018-08-29', '--report', reportFile]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toMatch(/^average precision\s+0\.\d{3}\s+0\.\d{3}$/m); // one column per model, no Handbook column off its split
    expect(both.stdout).toContain("The Handbook's published figures are not shown");
    expect(both.stdout).toMatch(new RegExp(`^average precision\\s+${result.averagePrecision.toFixed(3)}\\s`, 'm'));
    const html = await readFile(reportFile, 'utf8');
    expect(html).toContain('uPlot'); // inlined: opens without a network
    expect(html).not.toMatch(/<script[^>]+src=/);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as { models: { version: string; cardPrecision: unknown[] }[] };
    expect(data.models).toHaveLength(2);
    expect(data.models[0]!.cardPrecision).toHaveLength(7);
    const json = await cli('evaluate', ['--model', model, '--model', other, '--input', csv, '--from', '2018-08-22', '--to', '2018-08-29', '--json']);
    expect((JSON.parse(json.stdout) as { models: { averagePrecision: number }[] }).models[0]!.averagePrecision).toBe(result.averagePrecision);
  }, 180_000);

  it('reports bad rows with their line numbers and skips them', async () => {
    const text = await readFile(csv, 'utf8');
    const lines = text.split('\n');
    lines[5] = '4,2018-13-01 00:00:00,1,1,10.00,0';
    lines[9] = '8,2018-07-01 01:00:00,1,1,ten,0';
    const broken = join(dir, 'broken.csv');
    await writeFile(broken, lines.join('\n'));
    const scores = join(dir, 'broken-scores.csv');
    const score = await cli('score', ['--model', join(dir, 'model'), '--input', broken, '--from', '2018-08-08', '--output', scores]);
    expect(score.code).toBe(0);
    expect(score.stderr).toContain(`${broken}:6: skipped: TX_DATETIME`);
    expect(score.stderr).toContain(`${broken}:10: skipped: TX_AMOUNT`);
    expect(score.stderr).toContain('2 bad rows skipped');
  }, 60_000);

  it('fails on a CSV without the required columns, naming them', async () => {
    const missing = join(dir, 'missing.csv');
    await writeFile(missing, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT\n0,2018-07-01 00:00:00,1,10.00\n');
    const result = await cli('evaluate', ['--model', join(dir, 'model'), '--input', missing, '--from', '2018-08-08', '--to', '2018-08-15']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/lacks the columns TERMINAL_ID, TX_FRAUD/);
  }, 60_000);

  it('refuses a model whose features differ from the engine', async () => {
    const other = join(dir, 'other-model');
    await cp(join(dir, 'model'), other, { recursive: true });
    const metadataPath = join(other, 'metadata.json');
    const metadata = JSON.parse(await readFile(metadataPath, 'utf8')) as { featureNames: string[] };
    metadata.featureNames = metadata.featureNames.map((name) => (name === 'TX_AMOUNT' ? 'TX_AMOUNT_EUR' : name));
    await writeFile(metadataPath, JSON.stringify(metadata));
    const result = await cli('score', ['--model', other, '--input', csv, '--from', '2018-08-08', '--output', join(dir, 'never.csv')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Refusing model .* other features than this feature engine computes \(missing TX_AMOUNT; unknown to this engine TX_AMOUNT_EUR\)/);
  }, 60_000);

  it('refuses to train on a history shorter than the features look back, naming the day to start from; --allow-incomplete trains anyway', async () => {
    const out = join(dir, 'short');
    const refused = await cli('train', ['--input', csv, '--from', '2018-07-20', '--to', '2018-07-27', '--out', out, '--max-epochs', '1', '--members', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refusing to train on tx\.csv for 2018-07-20 \.\. 2018-07-27:\n {2}- the input starts 2018-07-01, but the features look back 37 days .* it must start by 2018-06-13\. Start --from on or after 2018-08-08/);
    await expect(readFile(join(out, 'metadata.json'))).rejects.toThrow();
    const anyway = await cli('train', ['--input', csv, '--from', '2018-07-20', '--to', '2018-07-27', '--out', out, '--max-epochs', '1', '--members', '1', '--allow-incomplete']);
    expect(anyway.code).toBe(0);
    expect(anyway.stderr).toMatch(/Training anyway \(--allow-incomplete\), though:/);
    const metadata = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')) as { training: { inputProblems?: string[] } };
    expect(metadata.training.inputProblems).toEqual([expect.stringMatching(/^the input starts 2018-07-01/)]);
  }, 120_000);

  it('prints usage and exits 2 on bad flags; --help prints usage', async () => {
    const bad = await cli('train', ['--input', csv, '--from', '2018-02-30', '--to', '2018-08-01', '--out', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Expected --from to be a date as YYYY-MM-DD or days before today as 21d, got "2018-02-30"[\s\S]*Usage: npm run train/);
    const unknown = await cli('score', ['--model', dir, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*Usage: npm run score/);
    const help = await cli('evaluate', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run evaluate/);
  }, 60_000);
});
