import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FraudstreamError } from '@fraudstream/shared/errors';
import type { HandbookRow } from '@fraudstream/shared/csv';
import { addDays, badRowReporter, csvRows, dateFlag, integerFlag, isoDay, parseFlags, required, runCli, usageError } from '../../src/cli/args.js';

/** What `run` threw: the tests check its code and message together. */
function thrown(run: () => unknown): FraudstreamError {
  try {
    run();
  } catch (err) {
    if (err instanceof FraudstreamError) return err;
    throw err;
  }
  throw new Error('expected a FraudstreamError, nothing was thrown');
}

const usage = (message: string) => expect.objectContaining({ name: 'FraudstreamError', code: 'USAGE_INVALID', message });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('usageError', () => {
  it('is a FraudstreamError with code USAGE_INVALID and the message as given', () => {
    const err = usageError('missing --input');
    expect(err).toBeInstanceOf(FraudstreamError);
    expect(err).toMatchObject({ code: 'USAGE_INVALID', message: 'missing --input' });
  });
});

describe('parseFlags', () => {
  const options = { input: { type: 'string' }, days: { type: 'string' }, verbose: { type: 'boolean' } } as const;

  it('gives the values of the flags it was told about, with --help / -h always known', () => {
    expect(parseFlags(['--input', 'a.csv', '--days=3', '--verbose'], options)).toEqual({ input: 'a.csv', days: '3', verbose: true });
    expect(parseFlags(['-h'], options)).toEqual({ help: true });
    expect(parseFlags([], options)).toEqual({});
  });

  it("turns every command-line mistake into a usage error with node's explanation", () => {
    expect(thrown(() => parseFlags(['--bogus'], options))).toEqual(usage(expect.stringContaining("Unknown option '--bogus'")));
    expect(thrown(() => parseFlags(['extra.csv'], options))).toEqual(usage(expect.stringContaining("Unexpected argument 'extra.csv'")));
    expect(thrown(() => parseFlags(['--input'], options))).toEqual(usage(expect.stringContaining("Option '--input <value>' argument missing")));
    expect(thrown(() => parseFlags(['--verbose=yes'], options))).toEqual(usage(expect.stringContaining("Option '--verbose' does not take an argument")));
  });
});

describe('required', () => {
  it('returns a value that is there, and names the flag that is not', () => {
    expect(required('a.csv', 'input')).toBe('a.csv');
    expect(thrown(() => required(undefined, 'input'))).toEqual(usage('missing --input'));
    expect(thrown(() => required('', 'output'))).toEqual(usage('missing --output'));
  });
});

describe('dateFlag', () => {
  it('reads YYYY-MM-DD as UTC midnight', () => {
    expect(dateFlag('2018-04-01', 'from')).toBe(Date.UTC(2018, 3, 1));
    expect(dateFlag('2020-02-29', 'to')).toBe(Date.UTC(2020, 1, 29));
  });

  it('reads Nd as the UTC midnight N days before today', () => {
    const now = new Date('2026-12-03T07:59:00Z');
    expect(dateFlag('21d', 'from', now)).toBe(Date.UTC(2026, 10, 12));
    expect(dateFlag('0d', 'to', now)).toBe(Date.UTC(2026, 11, 3));
    expect(dateFlag('8d', 'to', new Date('2026-12-03T23:59:59.999Z'))).toBe(Date.UTC(2026, 10, 25));
  });

  it.each(['2018-02-30', '2019-02-29', '2018-13-01', '2018-4-1', '2018-04-01T12:00:00Z', '01/04/2018', 'yesterday', ' 2018-04-01', '-3d', '3 d', '3w', '1.5d'])(
    'refuses %j, saying what it expected and what came',
    (text) => {
      expect(thrown(() => dateFlag(text, 'from'))).toEqual(usage(`Expected --from to be a date as YYYY-MM-DD or days before today as 21d, got ${JSON.stringify(text)}`));
    },
  );

  it('names a missing date as missing', () => {
    expect(thrown(() => dateFlag(undefined, 'to'))).toEqual(usage('missing --to'));
  });
});

describe('integerFlag', () => {
  it('gives the fallback when the flag is absent, the number when it is an integer from the minimum up', () => {
    expect(integerFlag(undefined, 'epochs', 40)).toBe(40);
    expect(integerFlag('0', 'epochs', 40)).toBe(0);
    expect(integerFlag('12', 'epochs', 40, 1)).toBe(12);
  });

  it.each([
    ['-1', 0],
    ['0', 1],
    ['1.5', 0],
    ['many', 0],
    ['Infinity', 0],
    ['', 0],
    [' 7 ', 0],
    ['0x10', 0],
    ['1e3', 0],
  ])('refuses %j with minimum %d, naming the flag, the minimum and the value', (value, min) => {
    expect(thrown(() => integerFlag(value, 'seed', 0, min))).toEqual(usage(`Expected --seed to be an integer >= ${min}, got ${JSON.stringify(value)}`));
  });
});

describe('isoDay and addDays', () => {
  it('write a UTC day and move by whole days', () => {
    expect(isoDay(Date.UTC(2018, 3, 1, 23, 59))).toBe('2018-04-01');
    expect(addDays(Date.UTC(2018, 3, 1), 30)).toBe(Date.UTC(2018, 4, 1));
    expect(isoDay(addDays(Date.UTC(2018, 3, 1), -1))).toBe('2018-03-31');
  });
});

describe('badRowReporter', () => {
  const bad = (line: number) => ({ line, reason: 'TX_AMOUNT: expected a number', text: `${line},x` });

  it('prints the first rows in full with their line, then only counts them', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    const reporter = badRowReporter('data.csv', 2);
    expect(reporter.summary()).toBeUndefined();
    for (const line of [3, 8, 9]) reporter.onBadRow(bad(line));
    expect(written).toEqual(['data.csv:3: skipped: TX_AMOUNT: expected a number\n', 'data.csv:8: skipped: TX_AMOUNT: expected a number\n']);
    expect(reporter.summary()).toBe('3 bad rows skipped in data.csv (first 2 shown)');
  });

  it('counts one row in the singular, and says nothing of rows not shown when all were', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const reporter = badRowReporter('data.csv');
    reporter.onBadRow(bad(2));
    expect(reporter.summary()).toBe('1 bad row skipped in data.csv');
  });
});

describe('csvRows', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('yields the rows, reports the bad ones and the share read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-args-'));
    dirs.push(dir);
    const path = join(dir, 'data.csv');
    writeFileSync(path, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n1,2018-04-01 00:00:31,5,7,10.00,0\n2,2018-04-01 00:00:32,5,7,x,0\n');
    const rows: HandbookRow[] = [];
    const badLines: number[] = [];
    const fractions: number[] = [];
    for await (const chunk of csvRows(path, (row) => badLines.push(row.line), (fraction) => fractions.push(fraction))) rows.push(...chunk);
    expect(rows.map((row) => [row.line, row.cardId, row.amount])).toEqual([[2, 'card-5', 10]]);
    expect(badLines).toEqual([3]);
    expect(fractions.at(-1)).toBe(1);
  });

  it('refuses a file it cannot read as a usage mistake naming --input', async () => {
    const path = join(tmpdir(), 'fraudstream-no-such.csv');
    await expect(csvRows(path, () => undefined).next()).rejects.toThrow(usage(expect.stringMatching(/^Cannot read --input .*fraudstream-no-such\.csv: ENOENT/)));
  });
});

describe('runCli', () => {
  /** Runs `main` as the CLI would with `argv`, and what it printed and the exit status it asked for. */
  async function run(argv: string[], main: (argv: string[]) => Promise<void>): Promise<{ stdout: string[]; stderr: string[]; exit?: number; mainArgv?: string[] }> {
    const result: { stdout: string[]; stderr: string[]; exit?: number; mainArgv?: string[] } = { stdout: [], stderr: [] };
    vi.spyOn(process, 'argv', 'get').mockReturnValue(['node', 'cli.ts', ...argv]);
    vi.spyOn(console, 'log').mockImplementation((line: string) => void result.stdout.push(line));
    // The real process.exit does not return: nothing written after it counts.
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => result.exit !== undefined || result.stderr.push(String(chunk)) > 0);
    const exited = new Promise<void>((resolve) => {
      vi.spyOn(process, 'exit').mockImplementation((code) => {
        result.exit ??= Number(code);
        resolve();
        return undefined as never;
      });
    });
    runCli('usage: cli --input FILE', async (args) => {
      result.mainArgv = args;
      await main(args);
    });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
    return result;
  }

  it('prints the usage for --help without running', async () => {
    const result = await run(['--input', 'a.csv', '-h'], async () => undefined);
    expect(result).toEqual({ stdout: ['usage: cli --input FILE'], stderr: [] });
  });

  it('runs main with the arguments and exits by itself when it succeeds', async () => {
    const result = await run(['--input', 'a.csv'], async () => undefined);
    expect(result).toEqual({ stdout: [], stderr: [], mainArgv: ['--input', 'a.csv'] });
  });

  it('prints a usage error with the usage and exits 2', async () => {
    const result = await run([], async () => {
      throw usageError('missing --input');
    });
    expect(result.stderr).toEqual(['missing --input\n\nusage: cli --input FILE\n']);
    expect(result.exit).toBe(2);
  });

  it('prints any other failure alone and exits 1', async () => {
    const result = await run([], async () => {
      throw new FraudstreamError('CSV_INVALID', 'data.csv: no header');
    });
    expect(result.stderr).toEqual(['data.csv: no header\n']);
    expect(result.exit).toBe(1);
  });
});
