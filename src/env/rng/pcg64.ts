/**
 * numpy's PCG64 bit generator (PCG XSL-RR 128/64), including its buffered 32-bit draws:
 * `next32()` returns the low half of a fresh 64-bit output and keeps the high half for the next call.
 * The buffer persists across calls and is not touched by `next64()`.
 */
import { SeedSequence } from './seedSequence.ts';

const MASK128 = (1n << 128n) - 1n;
const MASK64 = (1n << 64n) - 1n;
const MULTIPLIER = (2549297995355413924n << 64n) + 4865540595714422341n;

export class PCG64 {
  private state = 0n;
  private readonly inc: bigint;
  private hasUint32 = false;
  private uinteger = 0;

  /** Seeds exactly as `np.random.PCG64(seedSequence)` does. */
  constructor(seedSequence: SeedSequence) {
    const [s0, s1, s2, s3] = seedSequence.generateState64(4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (s2 << 64n) | s3;
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.advance();
    this.state = (this.state + initState) & MASK128;
    this.advance();
  }

  private advance(): void {
    this.state = (this.state * MULTIPLIER + this.inc) & MASK128;
  }

  /** Next 64-bit output (steps the LCG first, then applies the XSL-RR output function). */
  next64(): bigint {
    this.advance();
    const s = this.state;
    const x = ((s >> 64n) ^ s) & MASK64;
    const rot = s >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }

  /** Next 32-bit output, buffered as numpy's `pcg64_next32`. */
  next32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    const n = this.next64();
    this.hasUint32 = true;
    this.uinteger = Number(n >> 32n);
    return Number(n & 0xffffffffn);
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return Number(this.next64() >> 11n) * (1.0 / 9007199254740992.0);
  }
}
