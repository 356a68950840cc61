/**
 * numpy's PCG64 bit generator (PCG XSL-RR 128/64), including its buffered 32-bit draws:
 * `next32()` returns the low half of a fresh 64-bit output and keeps the high half for the next call.
 * The buffer persists across calls and is not touched by `next64()` or `nextDouble()`.
 *
 * The 128-bit LCG runs on eight 16-bit limbs in plain numbers (every partial sum stays below 2^53, so
 * it is exact); seeding uses BigInt once.
 */
import { SeedSequence } from './seedSequence.ts';

const LIMBS = 8;
const LIMB = 0x10000;

/** A 128-bit value as eight 16-bit limbs, least significant first. */
function limbs(x: bigint): Float64Array {
  return Float64Array.from({ length: LIMBS }, (_, i) => Number((x >> BigInt(16 * i)) & 0xffffn));
}

const MULTIPLIER = limbs((2549297995355413924n << 64n) + 4865540595714422341n);

export class PCG64 {
  private readonly state = new Float64Array(LIMBS);
  private readonly inc: Float64Array;
  private readonly next = new Float64Array(LIMBS);
  private hasUint32 = false;
  private uinteger = 0;
  /** The last 64-bit output as uint32 halves. */
  private hi = 0;
  private lo = 0;

  /** Seeds exactly as `np.random.PCG64(seedSequence)` does. */
  constructor(seedSequence: SeedSequence) {
    const [s0, s1, s2, s3] = seedSequence.generateState64(4);
    const initState = limbs((s0 << 64n) | s1);
    this.inc = limbs((((s2 << 64n) | s3) << 1n) | 1n);
    this.advance();
    let carry = 0;
    for (let i = 0; i < LIMBS; i++) {
      const v = this.state[i] + initState[i] + carry;
      this.state[i] = v % LIMB;
      carry = v >= LIMB ? 1 : 0;
    }
    this.advance();
  }

  /** state = state * MULTIPLIER + inc (mod 2^128). */
  private advance(): void {
    const { state, next, inc } = this;
    let carry = 0;
    for (let k = 0; k < LIMBS; k++) {
      let v = inc[k] + carry;
      for (let i = 0; i <= k; i++) v += state[i] * MULTIPLIER[k - i];
      carry = Math.floor(v * (1 / LIMB)); // exact: v < 2^53 and LIMB is a power of two
      next[k] = v - carry * LIMB;
    }
    for (let k = 0; k < LIMBS; k++) state[k] = next[k];
  }

  /** Steps the LCG and applies the XSL-RR output function: the 64-bit output in `hi`, `lo`. */
  private step(): void {
    this.advance();
    const s = this.state;
    // x = high 64 bits ^ low 64 bits, as two uint32 words.
    const a = ((s[7] * LIMB + s[6]) ^ (s[3] * LIMB + s[2])) >>> 0;
    const b = ((s[5] * LIMB + s[4]) ^ (s[1] * LIMB + s[0])) >>> 0;
    const rot = s[7] >>> 10; // state >> 122
    // Rotate right by rot: by 32 swaps the words, then by r = rot mod 32 within them.
    const [xh, xl] = rot >= 32 ? [b, a] : [a, b];
    const r = rot & 31;
    this.hi = r === 0 ? xh : ((xh >>> r) | (xl << (32 - r))) >>> 0;
    this.lo = r === 0 ? xl : ((xl >>> r) | (xh << (32 - r))) >>> 0;
  }

  /** Next 64-bit output (steps the LCG first, then applies the XSL-RR output function). */
  next64(): bigint {
    this.step();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Next 32-bit output, buffered as numpy's `pcg64_next32`. */
  next32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.step();
    this.hasUint32 = true;
    this.uinteger = this.hi;
    return this.lo;
  }

  /** Uniform double in [0, 1) with 53 random bits (the output's top 53). */
  nextDouble(): number {
    this.step();
    return (this.hi * 2097152 + (this.lo >>> 11)) * (1.0 / 9007199254740992.0);
  }
}
