import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { createHandbookCsvWriter } from '@fraudstream/shared';
import type { Simulator } from './simulator.js';

export interface SimulationSummary {
  days: number;
  transactions: number;
  frauds: number;
  /** Transactions per fraud scenario; index 0 counts the legitimate ones, 4 card testing (a drift's). */
  scenarios: [number, number, number, number, number];
}

export function emptySummary(): SimulationSummary {
  return { days: 0, transactions: 0, frauds: 0, scenarios: [0, 0, 0, 0, 0] };
}

/**
 * Writes `days` days of the simulator as a Handbook CSV at `output`. The file is written under a
 * temporary name and renamed at the end, so a reader never sees half a file.
 */
export async function writeSimulationCsv({
  simulator,
  days,
  output,
  onDay,
}: {
  simulator: Simulator;
  days: number;
  output: string;
  onDay?: (summary: SimulationSummary) => void;
}): Promise<SimulationSummary> {
  const temporary = `${output}.${process.pid}.partial`;
  const stream = createWriteStream(temporary, { highWaterMark: 1 << 22 });
  const summary = emptySummary();
  try {
    const writer = createHandbookCsvWriter(stream, { bufferBytes: 1 << 22 });
    for (let day = 0; day < days; day++) {
      for (const transaction of simulator.nextDay()) {
        const wait = writer.write(transaction);
        if (wait) await wait;
        summary.scenarios[transaction.scenario]++;
      }
      summary.days++;
      summary.transactions = writer.rows;
      summary.frauds = summary.transactions - summary.scenarios[0];
      onDay?.(summary);
    }
    await writer.close();
    stream.end();
    await once(stream, 'finish');
    renameSync(temporary, output);
    return summary;
  } catch (err) {
    stream.destroy();
    rmSync(temporary, { force: true });
    throw err;
  }
}
