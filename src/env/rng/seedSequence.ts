/**
 * numpy's `SeedSequence` (numpy 1.23 `bit_generator.pyx`): hashes integer entropy into a 4-word
 * pool and expands it into the words that seed a bit generator. All arithmetic is uint32 wraparound.
 */
import { DtlensError } from '../../errors.ts';

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;

/** Little-endian uint32 words of a non-negative integer (numpy `_int_to_uint32_array`; 0 gives [0]). */
export function intToUint32Words(value: number | bigint): number[] {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new DtlensError('BAD_INPUT', `seed must be a non-negative integer, got ${value}`);
  }
  let n = BigInt(value);
  if (n < 0n) throw new DtlensError('BAD_INPUT', `seed must be a non-negative integer, got ${value}`);
  if (n === 0n) return [0];
  const words: number[] = [];
  while (n > 0n) {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return words;
}

export class SeedSequence {
  private readonly pool = new Uint32Array(POOL_SIZE);

  /** `entropy`: an integer seed, or its uint32 words (least significant first). */
  constructor(entropy: number | bigint | readonly number[]) {
    const words = Array.isArray(entropy) ? [...entropy] : intToUint32Words(entropy as number | bigint);
    this.mixEntropy(words);
  }

  private mixEntropy(entropy: readonly number[]): void {
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      let v = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      v = Math.imul(v, hashConst) >>> 0;
      return (v ^ (v >>> 16)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      return (r ^ (r >>> 16)) >>> 0;
    };
    const pool = this.pool;
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
      }
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
    }
  }

  /** `generate_state(n, uint32)`. */
  generateState32(nWords: number): Uint32Array {
    const out = new Uint32Array(nWords);
    let hashConst = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let v = (this.pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      v = Math.imul(v, hashConst) >>> 0;
      out[i] = (v ^ (v >>> 16)) >>> 0;
    }
    return out;
  }

  /** `generate_state(n, uint64)`: pairs of uint32 words, low word first. */
  generateState64(nWords: number): bigint[] {
    const w = this.generateState32(2 * nWords);
    return Array.from({ length: nWords }, (_, i) => BigInt(w[2 * i]) | (BigInt(w[2 * i + 1]) << 32n));
  }
}
