import { cp, lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, readMetadata } from '../../src/model.js';
import { readHistory } from '../../src/registry.js';
import { runScript, type ScriptRun } from '../../../test/support/process.js';
import { writeHandbookCsv } from '../support/handbook-csv.js';

const cli = (name: 'train' | 'promote', args: string[]): Promise<ScriptRun> => runScript(`model/src/cli/${name}.ts`, args);

/** Every file of a directory and its bytes, to show a refused promotion changed nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await readFile(join(dir, name))).toString('base64')] as const)));
}

describe('npm run promote', () => {
  let dir: string;
  let csv: string;
  let serving: string;
  let registry: string;
  let good: string;
  let degenerate: string;
  // Input 2018-07-01 .. 2018-09-03: the 7 days ending a label delay before its end are 2018-08-21 .. 08-27.
  const trainArgs = ['--from', '2018-08-08', '--to', '2018-08-15', '--max-epochs', '3', '--members', '1'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fraudstream-promote-'));
    csv = join(dir, 'history.csv');
    await writeHandbookCsv(csv, { days: 65, cards: 300, terminals: 400 });
    serving = join(dir, 'models', 'default');
    registry = join(dir, 'models', 'registry');
    good = join(dir, 'good');
    degenerate = join(dir, 'degenerate');
    // The serving model: a weak one (one epoch). The candidate: the same recipe trained longer.
    const trained = await Promise.all([
      cli('train', ['--input', csv, ...trainArgs, '--max-epochs', '1', '--seed', '1', '--out', join(dir, 'weak')]),
      cli('train', ['--input', csv, ...trainArgs, '--seed', '2', '--out', good]),
      // Trained on days without the features' look-back behind them: train refuses it unless told.
      cli('train', ['--input', csv, '--from', '2018-07-10', '--to', '2018-07-20', '--max-epochs', '1', '--members', '1', '--allow-incomplete', '--out', degenerate]),
    ]);
    for (const run of trained) expect(run.code, run.stderr).toBe(0);
    await cp(join(dir, 'weak'), serving, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a degenerate candidate with the reason and leaves the serving model untouched', async () => {
    const before = await snapshot(serving);
    const run = await cli('promote', ['--candidate', degenerate, '--input', csv, '--model-dir', serving]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/Compared on 2018-08-21 \.\. 2018-08-27 of .*history\.csv: \d+ payments, \d+ frauds/);
    expect(run.stdout).toMatch(/^average precision\s+\d\.\d{3}\s+\d\.\d{3}\s+[+-]\d\.\d{3}$/m);
    expect(run.stderr).toContain('Refused:');
    expect(run.stderr).toMatch(/trained with --allow-incomplete on an unsound input: the input starts 2018-07-01, but the features look back/);
    expect(run.stderr).toContain('nothing changed');
    expect((await lstat(serving)).isSymbolicLink()).toBe(false);
    expect(await snapshot(serving)).toEqual(before);
    await expect(lstat(registry)).rejects.toThrow(); // not even a registry
  }, 60_000);

  it('refuses days whose labels are not all in yet, before replaying anything', async () => {
    const run = await cli('promote', ['--candidate', good, '--input', csv, '--model-dir', serving, '--from', '2018-08-25', '--to', '2018-09-01']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/labels arrive up to 7 days late and the input ends 2018-09-03: .* End --to by 2018-08-28/);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('asks for a reason to force, and for one mode', async () => {
    const force = await cli('promote', ['--candidate', degenerate, '--input', csv, '--model-dir', serving, '--force']);
    expect(force.code).toBe(2);
    expect(force.stderr).toContain('--force needs --reason TEXT');
    const both = await cli('promote', ['--candidate', good, '--rollback']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('Give one of --candidate DIR (promote), --rollback or --list');
  }, 60_000);

  it('promotes a better candidate atomically into the registry, lists it, and rolls back', async () => {
    const weak = (await readMetadata(serving)).version;
    const candidate = (await readMetadata(good)).version;
    const run = await cli('promote', ['--candidate', good, '--input', csv, '--model-dir', serving]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain(`Promoted ${candidate}`);
    expect((await lstat(serving)).isSymbolicLink()).toBe(true);
    expect(await readlink(serving)).toBe(join('registry', candidate));
    expect((await loadModel(serving)).version).toBe(candidate);
    expect((await readdir(registry)).sort()).toEqual([candidate, 'history.jsonl', weak].sort());
    const [entry] = await readHistory(registry);
    expect(entry).toMatchObject({ action: 'promote', version: candidate, previous: weak, comparison: { from: '2018-08-21', to: '2018-08-28' } });
    expect(JSON.stringify(entry)).not.toContain(dir); // no machine path in the registry's record

    const again = await cli('promote', ['--candidate', good, '--input', csv, '--model-dir', serving]);
    expect(again.stdout).toContain('is already serving');

    const list = await cli('promote', ['--list', '--model-dir', serving]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^\\* ${candidate}`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^ {2}${weak}`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`promote ${weak} → ${candidate}`));

    const back = await cli('promote', ['--rollback', '--model-dir', serving, '--reason', 'test']);
    expect(back.code, back.stderr).toBe(0);
    expect((await readMetadata(serving)).version).toBe(weak);
    const beyond = await cli('promote', ['--rollback', '--model-dir', serving]);
    expect(beyond.code).toBe(1);
    expect(beyond.stderr).toContain(`No version before ${weak} is recorded`);

    // Forced past the gate: promoted, and the registry records why and what was overridden.
    const forced = await cli('promote', ['--candidate', degenerate, '--input', csv, '--model-dir', serving, '--force', '--reason', 'experiment on staging']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Forced past the gate (experiment on staging)');
    const history = await readHistory(registry);
    expect(history.map((item) => item.action)).toEqual(['promote', 'rollback', 'promote']);
    expect(history[2]).toMatchObject({ forced: true, reason: 'experiment on staging', previous: weak });
    expect(history[2]!.overridden?.join(' ')).toContain('--allow-incomplete');
  }, 120_000);
});
