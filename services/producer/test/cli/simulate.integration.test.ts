import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'services/producer/src/cli/simulate.ts');
const simulate = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('npm run simulate', () => {
  it('writes the same file for the same seed, and a summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-simulate-cli-'));
    dirs.push(dir);
    const args = ['--customers', '100', '--terminals', '200', '--days', '3', '--start', '2019-01-30', '--seed', '8'];
    const first = simulate([...args, '--output', join(dir, 'a.csv')]);
    const second = simulate([...args, '--output', join(dir, 'b.csv')]);
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    expect(first.stdout).toMatch(/transactions\s+[\d,]+/);
    const a = readFileSync(join(dir, 'a.csv'), 'utf8');
    expect(a).toBe(readFileSync(join(dir, 'b.csv'), 'utf8'));
    const lines = a.trimEnd().split('\n');
    expect(lines[0]).toBe('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO');
    expect(lines[1]).toMatch(/^0,2019-01-30 \d\d:\d\d:\d\d,\d+,\d+,\d+\.\d\d,[01],[0-3]$/);
    expect(lines.at(-1)).toMatch(/^\d+,2019-02-01 /);
    // Nothing left under a temporary name.
    expect(readdirSync(dir).sort()).toEqual(['a.csv', 'b.csv']);
  });

  it('drifts from the drift day on: amounts multiplied, card testing as scenario 4', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-simulate-cli-'));
    dirs.push(dir);
    const args = ['--customers', '500', '--terminals', '1000', '--days', '4', '--start', '2019-01-30', '--seed', '8'];
    const plain = simulate([...args, '--output', join(dir, 'plain.csv')]);
    const drifted = simulate([...args, '--drift-at', '2019-02-01', '--drift-amount-factor', '2', '--drift-scenario', '--output', join(dir, 'drift.csv')]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(drifted.status, drifted.stderr).toBe(0);
    expect(drifted.stdout).toMatch(/drift\s+from 2019-02-01: amounts × 2, card testing/);
    const rows = (file: string) =>
      readFileSync(join(dir, file), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','));
    const plainRows = rows('plain.csv');
    const driftRows = rows('drift.csv');
    const before = plainRows.filter((row) => row[1]! < '2019-02-01');
    expect(driftRows.slice(0, before.length)).toEqual(before);
    const after = driftRows.slice(before.length);
    expect(after.every((row) => row[1]! >= '2019-02-01')).toBe(true);
    const testing = after.filter((row) => row[6] === '4');
    expect(testing.length).toBeGreaterThan(0);
    expect(testing.every((row) => row[5] === '1' && Number(row[4]) >= 1 && Number(row[4]) <= 20)).toBe(true);
    const sum = (list: string[][]) => list.reduce((total, row) => total + Number(row[4]), 0);
    const plainAfter = plainRows.slice(before.length);
    expect(sum(after.filter((row) => row[6] !== '4')) / sum(plainAfter)).toBeCloseTo(2, 2);
  });

  it('prints usage and exits 2 on bad flags, without writing anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-simulate-cli-'));
    dirs.push(dir);
    const badArgs = [
      ['--bogus'],
      ['--start', '2018-02-30', '--output', join(dir, 'x.csv')],
      ['--drift-scenario', '--output', join(dir, 'x.csv')],
      ['--drift-at', '2018-04-02', '--drift-after-days', '1', '--drift-scenario', '--output', join(dir, 'x.csv')],
      ['--drift-after-days', '1', '--drift-amount-factor', '0', '--output', join(dir, 'x.csv')],
      ['--days', '3', '--drift-after-days', '3', '--drift-scenario', '--output', join(dir, 'x.csv')],
    ];
    for (const args of badArgs) {
      const result = simulate(args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('Usage: npm run simulate');
    }
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    expect(simulate(['--help']).stdout).toContain('--customers N');
  });
});
