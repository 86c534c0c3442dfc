import { describe, expect, it } from 'vitest';
import { runScript } from './support/process.js';

describe('npm run kafka (command line)', () => {
  it('documents --brokers in its help', async () => {
    const run = await runScript('scripts/kafka.ts', ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run kafka');
    expect(run.stdout).toContain('--brokers N');
  });

  it('refuses bad values with usage and exit 2, before starting anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--brokers', '0'], /Expected --brokers to be an integer from 1 to 9, got 0/],
      [['--brokers', 'three'], /Expected --brokers to be an integer from 1 to 9, got three/],
      [['--brokers', '3', '--port', '65534'], /Expected --port to leave room for 3 consecutive ports, got 65534/],
      [['--port', '0'], /Expected --port to be an integer between 1 and 65535/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runScript('scripts/kafka.ts', args, { PATH: process.env['PATH'] })));
    cases.forEach(([args, message], index) => {
      expect(runs[index]?.code, args.join(' ')).toBe(2);
      expect(runs[index]?.stderr).toMatch(message);
      expect(runs[index]?.stderr).toContain('Usage: npm run kafka');
    });
  });
});
