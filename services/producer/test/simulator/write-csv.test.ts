import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHandbookCsv, type HandbookRow } from '@fraudstream/shared';
import { createSimulator, type SimulatedTransaction } from '../../src/simulator/simulator.js';
import { emptySummary, writeSimulationCsv, type SimulationSummary } from '../../src/simulator/write-csv.js';

const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO';

function simulate(options: Parameters<typeof createSimulator>[0], days: number): SimulatedTransaction[] {
  const simulator = createSimulator(options);
  const all: SimulatedTransaction[] = [];
  for (let day = 0; day < days; day++) all.push(...simulator.nextDay());
  return all;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-simulate-'));
  dirs.push(dir);
  return dir;
}

describe('emptySummary', () => {
  it('counts nothing, and is a new object each time', () => {
    expect(emptySummary()).toEqual({ days: 0, transactions: 0, frauds: 0, scenarios: [0, 0, 0, 0, 0] });
    const summary = emptySummary();
    summary.scenarios[1]++;
    expect(emptySummary().scenarios).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('writeSimulationCsv', () => {
  it('writes the days as a Handbook CSV that reads back to the same payments', async () => {
    const output = join(temporaryDir(), 'data.csv');
    const options = { customers: 200, terminals: 400, seed: 4 };
    const summary = await writeSimulationCsv({ simulator: createSimulator(options), days: 5, output });
    const expected = simulate(options, 5);
    expect(summary.transactions).toBe(expected.length);
    expect(summary.frauds).toBe(expected.filter((t) => t.fraud).length);
    expect(readFileSync(output, 'utf8').split('\n', 1)[0]).toBe(HEADER);
    const rows: HandbookRow[] = [];
    for await (const chunk of readHandbookCsv(output)) rows.push(...chunk);
    expect(rows.map(({ line: _line, ...row }) => row)).toEqual(
      expected.map(({ transactionId, timestampMs, cardId, terminalId, amount, fraud, scenario }) => ({
        transactionId,
        timestampMs,
        cardId,
        terminalId,
        amount,
        fraud,
        scenario,
      })),
    );
  });

  it('reports the running totals after each day, per scenario', async () => {
    const output = join(temporaryDir(), 'data.csv');
    // With card testing (scenario 4) from the third day on, so that every scenario is counted.
    const options = { customers: 300, terminals: 600, seed: 8, drift: { fromMs: Date.UTC(2018, 3, 3), amountFactor: 1, cardTesting: true } };
    const days: SimulationSummary[] = [];
    const summary = await writeSimulationCsv({ simulator: createSimulator(options), days: 4, output, onDay: (s) => days.push(structuredClone(s)) });
    expect(days.map((day) => day.days)).toEqual([1, 2, 3, 4]);
    expect(days.at(-1)).toEqual(summary);
    const expected = simulate(options, 4);
    const scenarios = [0, 0, 0, 0, 0];
    for (const t of expected) scenarios[t.scenario]!++;
    expect(summary.scenarios).toEqual(scenarios);
    expect(scenarios[4]).toBeGreaterThan(0);
    expect(summary.frauds).toBe(scenarios[1]! + scenarios[2]! + scenarios[3]! + scenarios[4]!);
    for (let index = 1; index < days.length; index++) expect(days[index]!.transactions).toBeGreaterThan(days[index - 1]!.transactions);
    for (const day of days) expect(day.scenarios.reduce((a, b) => a + b, 0)).toBe(day.transactions);
  });

  it('writes only the header for no days', async () => {
    const output = join(temporaryDir(), 'empty.csv');
    const summary = await writeSimulationCsv({ simulator: createSimulator({ customers: 10, terminals: 20 }), days: 0, output });
    expect(summary).toEqual(emptySummary());
    expect(readFileSync(output, 'utf8').trim()).toBe(HEADER);
    expect(readdirSync(dirname(output))).toEqual(['empty.csv']);
  });
});
