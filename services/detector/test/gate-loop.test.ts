import { describe, expect, it } from 'vitest';
import { encode, type Transaction } from '@fraudstream/shared';
import { runGateLoop, type AdmittedChunk, type GateLoopOptions } from '../src/gate-loop.js';
import type { PartitionProgress } from '../src/progress.js';
import { decodeMessages } from '../src/scoring.js';

const T = Date.UTC(2018, 3, 1);
const tx = (second: number): Transaction => ({
  schemaVersion: 1,
  transactionId: `tx-${second}`,
  timestamp: new Date(T + second * 1000).toISOString(),
  cardId: 'card-1',
  terminalId: 'term-1',
  amount: 10,
  currency: 'EUR',
});
/** Transactions at the given seconds after T, at offsets 100, 101, …; null is an invalid message. */
const batchOf = (...seconds: Array<number | null>) =>
  decodeMessages(
    seconds.map((second, index) => ({ topic: 't', partition: 2, offset: String(100 + index), key: null, value: second === null ? Buffer.from('{') : encode(tx(second)) })),
  );

/** Loop options around a gate answering `answers` in turn (the last repeats), on a clock that moves 10 ms a pause. */
function loop(answers: number[], overrides: Partial<GateLoopOptions> = {}) {
  const admitted: AdmittedChunk[] = [];
  const held: PartitionProgress[] = [];
  const asked: number[][] = [];
  let clock = 0;
  let heartbeats = 0;
  const options: GateLoopOptions = {
    gate: {
      admissible: (times) => {
        asked.push([...times]);
        return Promise.resolve(answers[Math.min(asked.length - 1, answers.length - 1)] ?? 0);
      },
      recordedBeforeMs: () => T + 60_000,
    },
    partition: 2,
    fetchedAtMs: 0,
    holdMs: 50,
    isRunning: () => true,
    isStale: () => false,
    heartbeat: () => Promise.resolve(void heartbeats++),
    onHold: (progress) => Promise.resolve(void held.push(progress)),
    onAdmitted: (chunk) => Promise.resolve(void admitted.push(chunk)),
    now: () => clock,
    pause: () => Promise.resolve((clock += 10)),
    ...overrides,
  };
  return { options, admitted, held, asked, heartbeats: () => heartbeats };
}

const ids = (chunk: AdmittedChunk) => chunk.chunk.map((entry) => entry.message.offset);

describe('gate loop', () => {
  it('hands the batch on in the chunks the gate admits, in order, with what follows each', async () => {
    const { options, admitted, asked, heartbeats } = loop([2, 1, 1]);
    expect(await runGateLoop(batchOf(1, 2, 3, 4), options)).toBe('done');
    expect(admitted.map(ids)).toEqual([['100', '101'], ['102'], ['103']]);
    expect(asked.map((times) => times.length)).toEqual([4, 2, 1]);
    expect(admitted.map((chunk) => chunk.rest.length)).toEqual([2, 1, 0]);
    expect(admitted.map((chunk) => chunk.nextEventTimeMs)).toEqual([T + 3_000, T + 4_000, T + 4_000]);
    expect(heartbeats()).toBe(3);
  });

  it("reads no further ahead than the chunk's own last event", async () => {
    const { options, admitted } = loop([1]);
    await runGateLoop(batchOf(1, 120), options);
    expect(admitted.map((chunk) => chunk.recordedBeforeMs)).toEqual([T + 1_000, T + 60_000]);
  });

  it('carries an invalid message with the event time of the message before it', async () => {
    const { options, admitted } = loop([2]);
    await runGateLoop(batchOf(5, null, 7), options);
    expect(admitted.map(ids)).toEqual([['100', '101'], ['102']]);
    expect(admitted[0]?.nextEventTimeMs).toBe(T + 7_000);
  });

  it('publishes the partition once when the gate holds, and gives the batch back after holdMs', async () => {
    const { options, admitted, held, heartbeats } = loop([1, 0]);
    expect(await runGateLoop(batchOf(1, 2, 3), options)).toBe('held');
    expect(admitted.map(ids)).toEqual([['100']]);
    expect(held).toEqual([{ nextOffset: 101, eventTimeMs: T + 2_000 }]);
    // One heartbeat after the chunk, one per 10 ms pause until 50 ms had passed.
    expect(heartbeats()).toBe(1 + 5);
  });

  it('goes on once the gate opens within holdMs', async () => {
    const { options, admitted, held } = loop([0, 0, 3]);
    expect(await runGateLoop(batchOf(1, 2, 3), options)).toBe('done');
    expect(held).toHaveLength(1);
    expect(admitted.map(ids)).toEqual([['100', '101', '102']]);
  });

  it('stops between chunks when the consumer stops or the batch goes stale', async () => {
    let chunks = 0;
    const stopping = loop([1], { isRunning: () => chunks < 2 });
    stopping.options.onAdmitted = () => Promise.resolve(void chunks++);
    expect(await runGateLoop(batchOf(1, 2, 3, 4), stopping.options)).toBe('done');
    expect(chunks).toBe(2);

    const stale = loop([1], { isStale: () => true });
    await runGateLoop(batchOf(1, 2), stale.options);
    expect(stale.admitted).toEqual([]);
  });

  it('does not go on when scoring a chunk fails', async () => {
    const { options, asked } = loop([1], { onAdmitted: () => Promise.reject(new Error('fenced')) });
    await expect(runGateLoop(batchOf(1, 2), options)).rejects.toThrow('fenced');
    expect(asked).toHaveLength(1);
  });
});
