import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const loggerModule = new URL('../src/logger.ts', import.meta.url).href;
const repository = fileURLToPath(new URL('../..', import.meta.url));

/** What a process running `logging` after importing `createLogger` prints on stdout (a pipe, not a terminal). */
async function outputOf(logging: string): Promise<string> {
  const script = `import { createLogger } from ${JSON.stringify(loggerModule)};\n${logging}`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repository, encoding: 'utf8' });
  return stdout;
}

describe('createLogger', () => {
  let json: Array<Record<string, unknown>>;
  let pretty: string;
  beforeAll(async () => {
    const [jsonOutput, prettyOutput] = await Promise.all([
      outputOf(`
        const warnings = createLogger({ name: 'warnings', level: 'warn' });
        warnings.info('not shown');
        warnings.warn({ topic: 'transactions', offset: '42' }, 'lagging');
        warnings.error(new Error('boom'), 'failed');
        const byDefault = createLogger({ name: 'by-default' });
        byDefault.debug('not shown');
        byDefault.info('shown');
        createLogger({ name: 'silent', level: 'silent' }).fatal('not shown');`),
      outputOf("createLogger({ name: 'probe', pretty: true }).info({ partition: 3 }, 'joined');"),
    ]);
    json = jsonOutput
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    pretty = prettyOutput;
  });

  it('writes one JSON object a line when stdout is not a terminal, from the level up, fields first', () => {
    const warnings = json.filter((line) => line['name'] === 'warnings');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 40, topic: 'transactions', offset: '42', msg: 'lagging' });
    expect(typeof warnings[0]!['time']).toBe('number');
    expect(warnings[1]).toMatchObject({ level: 50, msg: 'failed', err: { type: 'Error', message: 'boom' } });
  });

  it('logs at info by default, and not at all when silent', () => {
    expect(json.filter((line) => line['name'] === 'by-default').map((line) => [line['level'], line['msg']])).toEqual([[30, 'shown']]);
    expect(json.filter((line) => line['name'] === 'silent')).toEqual([]);
  });

  it('prints readable, coloured lines when asked to be pretty, without pid and hostname', () => {
    // eslint-disable-next-line no-control-regex
    const plain = pretty.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(probe\): joined\n {4}partition: 3\n$/);
    expect(pretty).toContain('\x1b[');
    expect(plain).not.toMatch(/pid|hostname/);
  });

  it('never writes a full card number: messages, fields, child bindings and errors are masked, numbers kept', async () => {
    const output = await outputOf(`
      const log = createLogger({ name: 'cards', pretty: false });
      log.warn({ card: '4111111111111111', nested: { list: ['5500 0000 0000 0004'] }, timestampMs: 1796216846632 }, 'paid with 4111 1111 1111 1111');
      log.child({ pan: '4111-1111-1111-1111' }).info('child');
      log.error(new Error('card 4111111111111111 refused'), 'failed %s', '5500000000000004');`);
    expect(output).not.toMatch(/4111[ -]?1111[ -]?1111[ -]?1111|5500[ ]?0000[ ]?0000[ ]?0004/);
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ card: '411111******1111', nested: { list: ['5500 00** **** 0004'] }, timestampMs: 1796216846632, msg: 'paid with 4111 11** **** 1111' });
    expect(lines[1]).toMatchObject({ pan: '4111-11**-****-1111', msg: 'child' });
    expect(lines[2]).toMatchObject({ msg: 'failed 550000******0004', err: { message: 'card 411111******1111 refused' } });
  });
});
