/**
 * The subset of numpy's `Generator` that MiniGrid uses, drawing from a PCG64 exactly as numpy 1.23
 * does (the stream is unchanged up to numpy 2.2): `integers` (Lemire's bounded 32-bit method),
 * `random`, `uniform`, `shuffle` (masked rejection) and `choice` over an integer range.
 */
import { DtlensError } from '../../errors.ts';
import { PCG64 } from './pcg64.ts';
import { SeedSequence } from './seedSequence.ts';

const TWO_POW_32 = 0x100000000;

/** `(a * b)` for uint32 `a` and `b`, split into its high and low uint32 halves without precision loss. */
function mulWide32(a: number, b: number): { hi: number; lo: number } {
  const bHi = Math.floor(b / 65536);
  const bLo = b % 65536;
  const partHi = a * bHi; // < 2^48, exact
  const low = a * bLo + (partHi % 65536) * 65536; // < 2^49, exact
  return { hi: Math.floor(partHi / 65536) + Math.floor(low / TWO_POW_32), lo: low % TWO_POW_32 };
}

export class Generator {
  constructor(readonly bitGenerator: PCG64) {}

  /**
   * `Generator.integers(low, high)` for one int64 (high exclusive). A range of one value returns
   * `low` without consuming any random number, as numpy does.
   */
  integers(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || low >= high) {
      throw new DtlensError(
        'BAD_INPUT',
        `integers(low, high) needs integers with low < high, got ${low}, ${high}`,
      );
    }
    const rng = high - 1 - low;
    if (rng === 0) return low;
    if (rng > 0xffffffff)
      throw new DtlensError('UNSUPPORTED', 'integers() ranges wider than 2^32 are not supported');
    if (rng === 0xffffffff) return low + this.bitGenerator.next32();
    const rngExcl = rng + 1;
    let m = mulWide32(this.bitGenerator.next32(), rngExcl);
    if (m.lo < rngExcl) {
      const threshold = (0xffffffff - rng) % rngExcl;
      while (m.lo < threshold) m = mulWide32(this.bitGenerator.next32(), rngExcl);
    }
    return low + m.hi;
  }

  /** `Generator.random()`: uniform float64 in [0, 1). */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `Generator.uniform(low, high)`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.bitGenerator.nextDouble();
  }

  /** numpy's `random_interval(max)`: uniform integer in [0, max] by masked rejection on 32-bit draws. */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff)
      throw new DtlensError('UNSUPPORTED', 'randomInterval() above 2^32 is not supported');
    let mask = max;
    for (const shift of [1, 2, 4, 8, 16]) mask = (mask | (mask >>> shift)) >>> 0;
    for (;;) {
      const v = (this.bitGenerator.next32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `Generator.shuffle(list)` on a Python list (Fisher-Yates from the end), in place. */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  /** `Generator.choice(range(start, stop))`: one uniform element of the integer range. */
  choiceRange(start: number, stop: number): number {
    return start + this.integers(0, stop - start);
  }
}

/** 128 bits of OS entropy as uint32 words, as numpy draws for `SeedSequence(None)`. */
function osEntropyWords(): number[] {
  return Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)));
}

/**
 * gymnasium's `seeding.np_random(seed)`: `Generator(PCG64(SeedSequence(seed)))`. Without a seed the
 * generator is seeded from OS entropy (not reproducible). Seeds must be non-negative integers.
 */
export function npRandom(seed?: number | bigint): Generator {
  const entropy = seed === undefined ? osEntropyWords() : seed;
  return new Generator(new PCG64(new SeedSequence(entropy)));
}
