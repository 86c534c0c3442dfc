import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BadCsvRow } from '@fraudstream/shared';
import { replaySource, simulatedSource, type SourceEvent } from '../src/sources.js';
import { createSimulator, transactionEventOf } from '../src/simulator/simulator.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function firstChunks(events: AsyncIterable<SourceEvent[]>, count: number): Promise<SourceEvent[][]> {
  const chunks: SourceEvent[][] = [];
  for await (const chunk of events) {
    chunks.push(chunk);
    if (chunks.length === count) break;
  }
  return chunks;
}

describe('simulatedSource', () => {
  it("yields the simulator's days as events with their time and fraud flag, without end", async () => {
    const options = { customers: 100, terminals: 200, seed: 6 };
    const source = simulatedSource(createSimulator(options));
    expect(source.finite).toBe(false);
    const chunks = await firstChunks(source.events, 3);
    const reference = createSimulator(options);
    for (const chunk of chunks) {
      expect(chunk).toEqual(
        reference.nextDay().map((simulated) => ({ transaction: transactionEventOf(simulated), timestampMs: simulated.timestampMs, fraud: simulated.fraud })),
      );
    }
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
    expect(source.badRows()).toBe(0);
  });
});

describe('replaySource', () => {
  it("yields a Handbook CSV's rows as EUR payments, skipping and reporting the bad ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-replay-'));
    dirs.push(dir);
    const path = join(dir, 'replay.csv');
    writeFileSync(
      path,
      [
        'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD',
        '1,2018-04-01 00:00:31,5,7,10.00,0',
        '2,2018-04-01 00:00:32,5,7,lots,0',
        '3,2018-04-01 00:01:00,6,8,250.5,1',
        '',
      ].join('\n'),
    );
    const bad: BadCsvRow[] = [];
    const source = replaySource(path, (row) => bad.push(row));
    expect(source.finite).toBe(true);
    const events: SourceEvent[] = [];
    for await (const chunk of source.events) events.push(...chunk);
    expect(events).toEqual([
      {
        transaction: {
          schemaVersion: 1,
          transactionId: '000000000001',
          timestamp: '2018-04-01T00:00:31.000Z',
          cardId: 'card-5',
          terminalId: 'term-7',
          amount: 10,
          currency: 'EUR',
        },
        timestampMs: Date.UTC(2018, 3, 1, 0, 0, 31),
        fraud: false,
      },
      {
        transaction: {
          schemaVersion: 1,
          transactionId: '000000000003',
          timestamp: '2018-04-01T00:01:00.000Z',
          cardId: 'card-6',
          terminalId: 'term-8',
          amount: 250.5,
          currency: 'EUR',
        },
        timestampMs: Date.UTC(2018, 3, 1, 0, 1),
        fraud: true,
      },
    ]);
    expect(bad.map((row) => row.line)).toEqual([3]);
    expect(bad[0]?.reason).toMatch(/^TX_AMOUNT/);
    expect(source.badRows()).toBe(1);
  });

  it('reads nothing until iterated, and fails then on a missing file', async () => {
    const source = replaySource(join(tmpdir(), 'fraudstream-no-such-file.csv'), () => undefined);
    expect(source.badRows()).toBe(0);
    await expect(firstChunks(source.events, 1)).rejects.toThrow(/ENOENT|no such file/);
  });
});
