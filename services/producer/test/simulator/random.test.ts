import { describe, expect, it } from 'vitest';
import { Random } from '../../src/simulator/random.js';

const draws = (random: Random, n: number) => Array.from({ length: n }, () => random.nextUint32());

describe('Random', () => {
  it('repeats a sequence for equal parts and differs for any other part', () => {
    expect(draws(new Random(0, 'day', 3), 50)).toEqual(draws(new Random(0, 'day', 3), 50));
    const base = draws(new Random(0, 'day', 3), 50);
    for (const other of [new Random(1, 'day', 3), new Random(0, 'day', 4), new Random(0, 'days', 3), new Random(2 ** 32, 'day', 3)]) {
      expect(draws(other, 50)).not.toEqual(base);
    }
  });

  it('draws uniforms in [0, 1) and normals and Poissons with the asked moments', () => {
    const random = new Random(7);
    const n = 200_000;
    let uniformSum = 0;
    let min = 1;
    let max = 0;
    let normalSum = 0;
    let normalSquares = 0;
    let poissonSum = 0;
    let poissonSquares = 0;
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      uniformSum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = random.normal(43_200, 20_000);
      normalSum += z;
      normalSquares += z * z;
      const k = random.poisson(2.5);
      poissonSum += k;
      poissonSquares += k * k;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(uniformSum / n).toBeCloseTo(0.5, 2);
    const normalMean = normalSum / n;
    expect(normalMean).toBeGreaterThan(43_200 - 200);
    expect(normalMean).toBeLessThan(43_200 + 200);
    expect(Math.sqrt(normalSquares / n - normalMean ** 2)).toBeGreaterThan(19_800);
    expect(Math.sqrt(normalSquares / n - normalMean ** 2)).toBeLessThan(20_200);
    const poissonMean = poissonSum / n;
    expect(poissonMean).toBeCloseTo(2.5, 1);
    expect(poissonSquares / n - poissonMean ** 2).toBeCloseTo(2.5, 1);
    expect(random.poisson(0)).toBe(0);
    expect(Array.from({ length: 2_000 }, () => random.poisson(100)).reduce((a, b) => a + b, 0) / 2_000).toBeCloseTo(100, -1);
  });

  it('samples k distinct values, each value equally often', () => {
    const random = new Random(11);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const picked = random.sample(10, 3);
      expect(new Set(picked).size).toBe(3);
      for (const value of picked) counts[value] = (counts[value] ?? 0) + 1;
    }
    for (const count of counts) expect(Math.abs(count - 6_000)).toBeLessThan(300);
    expect(random.sample(2, 5).sort()).toEqual([0, 1]);
  });
});
