/**
 * `TsGemm`: the plain-TypeScript reference GEMM (isomorphic, synchronous).
 *
 * Kernel: B is packed once per call into zero-padded column panels [k][NR], A row panel by row panel
 * into [k][MR]; a 4x4 register tile accumulates in float64 JS numbers and is stored (or added) once
 * into C as float32. Column panels are visited in blocks whose packed size fits in L2, so one A panel
 * is reused across the block while it sits in L1. Measured on this project's 2-core machine, 4x4 was
 * as fast as 4x8, 4x6, 3x8 and 8x4 tiles and float32 panels as fast as float64 ones (within noise),
 * at 2.5-3.3 GFLOP/s when lightly loaded. There is no k-blocking: it would round partial sums to
 * float32 in C, and the model's k (128-512) keeps a panel pair well inside L1.
 *
 * `out` must not overlap `a` or `b`.
 */
import type { BatchedMatmulOptions, Gemm, MatmulOptions } from './gemm.ts';
import { checkGemmArgs } from './gemmArgs.ts';

const MR = 4;
const NR = 4;
/** Packed-B floats per column block (256 KB of float32, about half an L2). */
const BLOCK_FLOATS = 1 << 16;

/** Growable scratch buffer, reused across calls to avoid per-call allocation. */
function ensure(buf: Float32Array, size: number): Float32Array {
  return buf.length >= size ? buf : new Float32Array(Math.max(size, buf.length * 2));
}

export class TsGemm implements Gemm {
  readonly name = 'ts';
  /** 2.5-3.3 GFLOP/s measured on the project's 2-core machine (`npm run bench -- gemm`). */
  readonly macsPerMicrosecond = 1_300;
  private packedA: Float32Array = new Float32Array(0);
  private packedB: Float32Array = new Float32Array(0);

  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    opts: MatmulOptions = {},
  ): Float32Array {
    const c = checkGemmArgs(a, b, 1, m, k, n, opts);
    if (m === 0 || n === 0) return c;
    this.packB(b, 0, k, n, opts.transB === true);
    this.multiply(a, 0, c, 0, m, k, n, opts.transA === true, opts.accumulate === true);
    return c;
  }

  bmm(
    a: Float32Array,
    b: Float32Array,
    batch: number,
    m: number,
    k: number,
    n: number,
    opts: BatchedMatmulOptions = {},
  ): Float32Array {
    const c = checkGemmArgs(a, b, batch, m, k, n, opts);
    if (batch === 0 || m === 0 || n === 0) return c;
    const transA = opts.transA === true;
    const transB = opts.transB === true;
    const accumulate = opts.accumulate === true;
    // A shared B multiplies the stacked rows of every item: one [batch*m, k] product.
    if (opts.broadcastB && !transA) return this.matmul(a, b, batch * m, k, n, { ...opts, out: c });
    if (opts.broadcastB) this.packB(b, 0, k, n, transB);
    for (let i = 0; i < batch; i++) {
      if (!opts.broadcastB) this.packB(b, i * k * n, k, n, transB);
      this.multiply(a, i * m * k, c, i * m * n, m, k, n, transA, accumulate);
    }
    return c;
  }

  /** Packs op(B)[k,n] (starting at `off`) into zero-padded NR-column panels: panel j holds [k][NR]. */
  private packB(b: Float32Array, off: number, k: number, n: number, transB: boolean): void {
    const np = Math.ceil(n / NR) * NR;
    const bp = (this.packedB = ensure(this.packedB, np * k));
    for (let jb = 0; jb < np; jb += NR) {
      const base = jb * k;
      const cols = Math.min(NR, n - jb);
      if (!transB && cols === NR) {
        for (let p = 0, s = off + jb, o = base; p < k; p++, s += n, o += NR) {
          bp[o] = b[s];
          bp[o + 1] = b[s + 1];
          bp[o + 2] = b[s + 2];
          bp[o + 3] = b[s + 3];
        }
        continue;
      }
      for (let c = 0; c < NR; c++) {
        const j = jb + c;
        if (j >= n) {
          for (let p = 0; p < k; p++) bp[base + p * NR + c] = 0;
        } else if (transB) {
          for (let p = 0, s = off + j * k; p < k; p++) bp[base + p * NR + c] = b[s + p];
        } else {
          for (let p = 0, s = off + j; p < k; p++) bp[base + p * NR + c] = b[s + p * n];
        }
      }
    }
  }

  /** Packs rows [i0, i0+MR) of op(A)[m,k] (starting at `off`) into [k][MR], zero-padding past m. */
  private packA(
    a: Float32Array,
    off: number,
    i0: number,
    m: number,
    k: number,
    transA: boolean,
  ): Float32Array {
    const ap = (this.packedA = ensure(this.packedA, MR * k));
    for (let r = 0; r < MR; r++) {
      const i = i0 + r;
      if (i >= m) {
        for (let p = 0; p < k; p++) ap[p * MR + r] = 0;
      } else if (transA) {
        for (let p = 0, s = off + i; p < k; p++, s += m) ap[p * MR + r] = a[s];
      } else {
        for (let p = 0, s = off + i * k; p < k; p++) ap[p * MR + r] = a[s + p];
      }
    }
    return ap;
  }

  /** C[m,n] (at `cOff`) = or += op(A)[m,k] (at `aOff`) · packed B. */
  private multiply(
    a: Float32Array,
    aOff: number,
    c: Float32Array,
    cOff: number,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    accumulate: boolean,
  ): void {
    const bp = this.packedB;
    const blockCols = Math.max(NR, Math.floor(BLOCK_FLOATS / Math.max(k, 1) / NR) * NR);
    for (let jc = 0; jc < n; jc += blockCols) {
      const jEnd = Math.min(n, jc + blockCols);
      for (let ib = 0; ib < m; ib += MR) {
        const ap = this.packA(a, aOff, ib, m, k, transA);
        const rows = Math.min(MR, m - ib);
        for (let jb = jc; jb < jEnd; jb += NR) {
          // prettier-ignore
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0,
            c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          // prettier-ignore
          for (let p = 0, ao = 0, bo = jb * k; p < k; p++, ao += MR, bo += NR) {
            const a0 = ap[ao], a1 = ap[ao + 1], a2 = ap[ao + 2], a3 = ap[ao + 3];
            const b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
          }
          const o = cOff + ib * n + jb;
          const cols = Math.min(NR, n - jb);
          // prettier-ignore
          if (rows === MR && cols === NR) {
            const o1 = o + n, o2 = o1 + n, o3 = o2 + n;
            if (accumulate) {
              c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03;
              c[o1] += c10; c[o1 + 1] += c11; c[o1 + 2] += c12; c[o1 + 3] += c13;
              c[o2] += c20; c[o2 + 1] += c21; c[o2 + 2] += c22; c[o2 + 3] += c23;
              c[o3] += c30; c[o3 + 1] += c31; c[o3 + 2] += c32; c[o3 + 3] += c33;
            } else {
              c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03;
              c[o1] = c10; c[o1 + 1] = c11; c[o1 + 2] = c12; c[o1 + 3] = c13;
              c[o2] = c20; c[o2 + 1] = c21; c[o2 + 2] = c22; c[o2 + 3] = c23;
              c[o3] = c30; c[o3 + 1] = c31; c[o3 + 2] = c32; c[o3 + 3] = c33;
            }
          } else {
            const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) {
                const at = o + r * n + q;
                c[at] = (accumulate ? c[at] : 0) + tile[r * NR + q];
              }
            }
          }
        }
      }
    }
  }
}
