/**
 * The simulator's own seeded generator, so a seed gives the same data on every machine and Node
 * version (Math.random cannot be seeded). xoshiro128** for the bits, seeded through splitmix32 from
 * a hash of the parts (seed, stream name, day), which lets every day and every purpose have an
 * independent stream: day 90 can be generated without drawing days 0–89 first.
 */

const TWO_POW_32 = 4_294_967_296;

function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashParts(parts: ReadonlyArray<number | string>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    if (typeof part === 'number') {
      // Whole numbers up to 2^53 keep both halves, so day -1 and a large seed hash apart.
      h = fmix32(h ^ (part >>> 0));
      h = fmix32(h ^ Math.floor(part / TWO_POW_32) ^ 0x27d4eb2f);
    } else {
      for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193);
      h = fmix32(h ^ part.length);
    }
  }
  return h >>> 0;
}

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = Number.NaN;

  /** A generator for these parts, e.g. `new Random(seed, 'day', 17)`; equal parts give equal sequences. */
  constructor(...parts: ReadonlyArray<number | string>) {
    let state = hashParts(parts);
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = splitmix32();
    this.s1 = splitmix32();
    this.s2 = splitmix32();
    this.s3 = splitmix32();
  }

  /** 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Normal draw (Box–Muller; the second value of each pair is kept for the next call). */
  normal(mean: number, standardDeviation: number): number {
    let z = this.spareNormal;
    if (Number.isNaN(z)) {
      const u = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
      const v = this.uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      z = radius * Math.cos(2 * Math.PI * v);
      this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    } else {
      this.spareNormal = Number.NaN;
    }
    return mean + standardDeviation * z;
  }

  /** Poisson draw (Knuth's product of uniforms: exact, and quick for the small means used here). */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean > 30) {
      // Split large means so exp(-mean) stays far from underflow; the sum of Poissons is Poisson.
      const half = mean / 2;
      return this.poisson(half) + this.poisson(mean - half);
    }
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.uniform();
    while (product > limit) {
      count++;
      product *= this.uniform();
    }
    return count;
  }

  /** `k` distinct integers from [0, n), in the order drawn (Floyd's algorithm keeps it O(k)). */
  sample(n: number, k: number): number[] {
    const chosen = new Set<number>();
    const order: number[] = [];
    for (let j = n - Math.min(k, n); j < n; j++) {
      const candidate = this.integer(j + 1);
      const pick = chosen.has(candidate) ? j : candidate;
      chosen.add(pick);
      order.push(pick);
    }
    return order;
  }
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}
