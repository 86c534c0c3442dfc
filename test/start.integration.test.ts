import { createServer } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runScript, type ScriptRun } from './support/process.js';

function runStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  return runScript('scripts/start.ts', args, { PATH: process.env['PATH'], ...env });
}

describe('npm start (command line)', () => {
  it('prints help', async () => {
    const run = await runStart(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm start');
    expect(run.stdout).toContain('--detectors N');
  });

  it('refuses bad options with usage and exit 2, before starting anything', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['--detectors', '2'], {}, /--detectors 2 needs REDIS_URL/],
      [['--detectors', 'many'], {}, /Expected --detectors to be an integer from 1 to 12, got "many"/],
      [['--port', '0'], {}, /Expected --port to be an integer from 1 to 65535/],
      [['--replay', 'no-such-file.csv'], {}, /Expected --replay to name a CSV file/],
      [['--bogus'], {}, /Unknown option '--bogus'/],
    ];
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const address = taken.address();
    const takenPort = typeof address === 'object' && address ? address.port : 0;
    cases.push([['--port', String(takenPort)], {}, new RegExp(`Port ${takenPort} is in use`)]);
    const runs = await Promise.all(cases.map(([args, env]) => runStart(args, env)));
    cases.forEach(([args, , message], index) => {
      expect(runs[index]?.code, args.join(' ')).toBe(2);
      expect(runs[index]?.stderr).toMatch(message);
      expect(runs[index]?.stderr).toContain('Usage: npm start');
    });
  });
});
