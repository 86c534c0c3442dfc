import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../src/default-model.js';

describe('DEFAULT_MODEL_DIR', () => {
  it('is the committed model/default, wherever the process runs from', () => {
    expect(DEFAULT_MODEL_DIR).toBe(fileURLToPath(new URL('../default', import.meta.url)));
    expect(readdirSync(DEFAULT_MODEL_DIR)).toEqual(expect.arrayContaining(['metadata.json', 'model.json', 'weights.bin']));
  });
});
