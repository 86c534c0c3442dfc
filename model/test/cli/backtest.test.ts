import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { STARTER_LISTS, STARTER_RULES } from '../../../scripts/start/starter-rules.js';
import { main } from '../../src/cli/backtest.js';
import { writeHandbookCsv } from '../support/handbook-csv.js';

const run = promisify(execFile);
const cli = new URL('../../src/cli/backtest.ts', import.meta.url).pathname;

async function backtest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-backtest-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers what a rule would have done, per rule and per day', async () => {
    const csv = join(dir, 'data.csv');
    await writeHandbookCsv(csv, { days: 25, cards: 200, terminals: 100, seed: 3 });
    const result = await backtest('--input', csv, '--rule', 'tx.amount > 150.0', '--action', 'block', '--from', '2018-07-20', '--to', '2018-07-22');
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^adhoc +block +\d+/m);
    expect(result.stdout).toMatch(/^ {2}2018-07-20 /m);
    expect(result.stdout).toMatch(/^ {2}2018-07-21 /m);
    expect(result.stdout).not.toMatch(/2018-07-22/);
  }, 60_000);

  it('refuses a bad rule with its usage, as a process (status 2)', async () => {
    const result = await backtest('--input', 'x.csv', '--rule', 'tx.amount >');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/adhoc: .* at line 1, column \d+/);
    expect(result.stderr).toContain('Usage: npm run backtest');
  }, 30_000);

  it.each([
    [['--input', 'x.csv'], /one of --rule EXPR or --rules FILE/],
    [['--input', 'x.csv', '--rule', 'tx.nope', '--action', 'block'], /No such key: nope/],
    [['--input', 'x.csv', '--rule', 'true', '--action', 'deny'], /--action to be block, review or allow/],
  ])('refuses %j as a usage error', async (args, message) => {
    await expect(main(args)).rejects.toMatchObject({ code: 'USAGE_INVALID', message: expect.stringMatching(message) });
  });

  it('names the rule and field of a bad rules file', async () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify([{ id: 'Bad Id', name: 'x', expression: 'true', action: 'block' }]));
    await expect(main(['--input', 'x.csv', '--rules', file])).rejects.toMatchObject({ code: 'USAGE_INVALID', message: expect.stringMatching(/0\.id: expected a slug/) });
  });

  it('takes the starter rules and lists as they are shipped', async () => {
    await expect(main(['--input', join(dir, 'missing.csv'), '--rules', STARTER_RULES, '--lists', STARTER_LISTS])).rejects.toMatchObject({
      code: 'USAGE_INVALID',
      message: expect.stringMatching(/Cannot read --input/),
    });
  });

  it('writes a self-contained HTML report with the rules, their figures and the data of its plots', async () => {
    const csv = join(dir, 'report.csv');
    await writeHandbookCsv(csv, { days: 25, cards: 200, terminals: 100, seed: 4 });
    const rules = join(dir, 'report-rules.json');
    writeFileSync(rules, JSON.stringify([
      { id: 'big', name: 'Big <amounts>', expression: 'tx.amount > 150.0', action: 'block' },
      { id: 'small', name: 'Small', expression: 'tx.amount < 3.0', action: 'allow' },
    ]));
    const report = join(dir, 'report.html');
    const logged: string[] = [];
    const log = console.log;
    console.log = (line: string) => void logged.push(line);
    try {
      await main(['--input', csv, '--rules', rules, '--from', '2018-07-18', '--to', '2018-07-25', '--report', report]);
    } finally {
      console.log = log;
    }
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // uPlot is inlined: the report opens without a network.
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('Big &lt;amounts&gt;');
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as { days: number[]; rules: Array<{ id: string; hits: number[] }>; alerts: number[] };
    expect(data.days).toHaveLength(7);
    expect(data.rules.map((rule) => rule.id)).toEqual(['big', 'small']);
    expect(data.rules[0]!.hits.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(logged.join('\n')).toMatch(/^big +block +\d+/m);
  }, 60_000);

  it('refuses a report it cannot write as a usage error', async () => {
    const csv = join(dir, 'report2.csv');
    await writeHandbookCsv(csv, { days: 3, cards: 20, terminals: 10, seed: 4 });
    const log = console.log;
    console.log = () => {};
    try {
      await expect(main(['--input', csv, '--rule', 'true', '--report', join(dir, 'no-such-dir', 'r.html')])).rejects.toMatchObject({ code: 'USAGE_INVALID', message: expect.stringMatching(/Cannot write --report/) });
    } finally {
      console.log = log;
    }
  }, 60_000);
});
