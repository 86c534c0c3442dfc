import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/score.js';
import { DEFAULT_MODEL_DIR, loadModel } from '../../src/model.js';
import { writeHandbookCsv } from '../support/handbook-csv.js';

describe('npm run score --rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-score-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decides every payment with the rules file and its lists, beside the score', async () => {
    const csv = join(dir, 'data.csv');
    await writeHandbookCsv(csv, { days: 40, cards: 200, terminals: 100, seed: 5 });
    const rules = join(dir, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([
        { id: 'ceiling', name: 'Ceiling', expression: 'tx.amount > 150.0', action: 'block' },
        { id: 'card-7', name: 'Card 7', expression: 'tx.cardId in lists["good-cards"]', action: 'allow' },
        { id: 'all', name: 'Everything', expression: 'true', action: 'review', mode: 'shadow' },
      ]),
    );
    const lists = join(dir, 'lists.json');
    writeFileSync(lists, JSON.stringify({ 'good-cards': ['card-7'] }));
    const output = join(dir, 'scores.csv');
    await main(['--input', csv, '--from', '2018-08-05', '--output', output, '--rules', rules, '--lists', lists]);

    const [header, ...rows] = readFileSync(output, 'utf8').trim().split('\n');
    expect(header).toBe('TRANSACTION_ID,score,decision,rule_hits,shadow_hits');
    expect(rows.length).toBeGreaterThan(500);
    const parsed = rows.map((line) => line.split(','));
    expect(parsed.every(([, , , , shadow]) => shadow === 'all@1')).toBe(true);
    const blocked = parsed.filter(([, , decision]) => decision === 'block');
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every(([, , , hits]) => hits === 'ceiling@1')).toBe(true);
    // An allow hit leaves the decision empty whatever else matched.
    const allowed = parsed.filter(([, , , hits]) => hits!.split(' ').includes('card-7@1'));
    expect(allowed.length).toBeGreaterThan(0);
    expect(allowed.every(([, , decision]) => decision === '')).toBe(true);
    // Without a rule hit, the model's threshold decides.
    const { threshold } = await loadModel(DEFAULT_MODEL_DIR);
    const unruled = parsed.filter(([, , , hits]) => hits === '');
    expect(unruled.some(([, , decision]) => decision === 'review')).toBe(true);
    expect(unruled.filter(([, score, decision]) => decision !== (Number(score) >= threshold ? 'review' : ''))).toEqual([]);
  }, 60_000);

  it.each([
    [['--input', 'x.csv', '--from', '2018-08-01', '--output', 'o.csv', '--lists', 'l.json'], /--lists needs --rules/],
    [['--input', 'x.csv', '--from', '2018-08-01', '--output', 'o.csv', '--rules', '/nonexistent/rules.json'], /Cannot read --rules/],
  ])('refuses %j as a usage error', async (args, message) => {
    await expect(main(args)).rejects.toMatchObject({ code: 'USAGE_INVALID', message: expect.stringMatching(message) });
  });

  it('names the position of a rule that does not type-check', async () => {
    const rules = join(dir, 'bad-rules.json');
    writeFileSync(rules, JSON.stringify([{ id: 'bad', name: 'Bad', expression: 'tx.amount > "a lot"', action: 'block' }]));
    await expect(main(['--input', 'x.csv', '--from', '2018-08-01', '--output', join(dir, 'o.csv'), '--rules', rules])).rejects.toMatchObject({
      code: 'USAGE_INVALID',
      message: expect.stringMatching(/rule bad: .* at line 1, column \d+/),
    });
  });
});
