/**
 * Multinomial logistic regression (softmax regression) for probes, fitted for several labels at once on
 * the same features: label blocks share one weight matrix `W [d, ΣC]` (one column per class of each
 * label) so every step is one GEMM forward and one backward. Minibatch AdamW (src/train/optimizer.ts)
 * with weight decay as the L2 penalty; rows whose label is -1 carry no loss for that label. Minibatches
 * take the training rows in the order given (callers pass a shuffled order; see `episodeSplit`).
 */
import { check } from '../../errors.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { accumulateBiasGrad } from '../../train/grad/linear.ts';
import { AdamW } from '../../train/optimizer.ts';

/** One label: its class count and the class of each row (-1 = no label). */
export interface LabelBlock {
  classes: number;
  y: Int32Array;
}

export interface SoftmaxModel {
  d: number;
  /** [d, ΣC] */
  W: Float32Array;
  /** [ΣC] */
  b: Float32Array;
  /** First column of each block, then the total column count. */
  offsets: number[];
}

export interface FitOptions {
  /** Passes over the training rows (default 10), raised until at least `minSteps` updates (default 200). */
  epochs?: number;
  minSteps?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  /**
   * [d, ΣC] 1 where a weight may be non-zero (default all): blocks that read disjoint feature subsets
   * are then fitted together as one model, each block staying a probe of its own features.
   */
  mask?: Uint8Array;
}

/** Column offsets of consecutive blocks (last entry = total columns). */
function blockOffsets(blocks: readonly LabelBlock[]): number[] {
  const offsets = [0];
  for (const b of blocks) offsets.push(offsets[offsets.length - 1] + b.classes);
  return offsets;
}

/** Features of `rows` of X [N, d] gathered into [rows.length, d]. */
export function gatherRows(X: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(X.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  return out;
}

/** Logits [n, ΣC] of the rows of Xr [n, d]. */
function logits(gemm: Gemm, m: SoftmaxModel, Xr: Float32Array, n: number): Float32Array {
  const C = m.offsets[m.offsets.length - 1];
  const z = gemm.matmul(Xr, m.W, n, m.d, C);
  for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) z[i * C + j] += m.b[j];
  return z;
}

/** In place: softmax of block [lo, hi) of each row of z [n, C]. */
function softmaxBlock(z: Float32Array, n: number, C: number, lo: number, hi: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * C;
    let max = -Infinity;
    for (let j = lo; j < hi; j++) max = Math.max(max, z[o + j]);
    let s = 0;
    for (let j = lo; j < hi; j++) s += z[o + j] = Math.exp(z[o + j] - max);
    for (let j = lo; j < hi; j++) z[o + j] /= s;
  }
}

/** Fits every block on X [N, d] restricted to `rows` (the training rows). */
export function fitSoftmax(
  gemm: Gemm,
  X: Float32Array,
  d: number,
  rows: Int32Array,
  blocks: readonly LabelBlock[],
  options: FitOptions = {},
): SoftmaxModel {
  const { epochs = 10, minSteps = 200, batchSize = 512, lr = 0.05, weightDecay = 1e-3 } = options;
  check(rows.length > 0, 'BAD_INPUT', 'a probe needs at least one training row');
  const offsets = blockOffsets(blocks);
  const C = offsets[offsets.length - 1];
  const m: SoftmaxModel = { d, W: new Float32Array(d * C), b: new Float32Array(C), offsets };
  const opt = new AdamW(
    [
      { name: 'W', data: m.W, shape: [d, C], decay: true },
      { name: 'b', data: m.b, shape: [C], decay: false },
    ],
    { weightDecay },
  );
  const Xtrain = gatherRows(X, d, rows);
  const batches = Math.ceil(rows.length / batchSize);
  for (let epoch = 0; epoch < Math.max(epochs, Math.ceil(minSteps / batches)); epoch++) {
    for (let s = 0; s < rows.length; s += batchSize) {
      const batch = rows.subarray(s, Math.min(rows.length, s + batchSize));
      const n = batch.length;
      const Xb = Xtrain.subarray(s * d, (s + n) * d);
      const g = logits(gemm, m, Xb, n);
      blocks.forEach((blk, k) => {
        const lo = offsets[k];
        const hi = offsets[k + 1];
        softmaxBlock(g, n, C, lo, hi);
        let valid = 0;
        for (let i = 0; i < n; i++) if (blk.y[batch[i]] >= 0) valid++;
        const scale = valid > 0 ? 1 / valid : 0;
        for (let i = 0; i < n; i++) {
          const y = blk.y[batch[i]];
          const o = i * C;
          if (y < 0) for (let j = lo; j < hi; j++) g[o + j] = 0;
          else {
            g[o + lo + y] -= 1;
            for (let j = lo; j < hi; j++) g[o + j] *= scale;
          }
        }
      });
      const dW = gemm.matmul(Xb, g, d, n, C, { transA: true });
      if (options.mask) for (let i = 0; i < dW.length; i++) if (!options.mask[i]) dW[i] = 0;
      const db = new Float32Array(C);
      accumulateBiasGrad(g, db);
      opt.update(
        new Map([
          ['W', dW],
          ['b', db],
        ]),
        lr,
      );
    }
  }
  return m;
}

/** Predicted class per block for `rows` of X [N, d]: `[block][row]`. */
export function predictSoftmax(gemm: Gemm, m: SoftmaxModel, X: Float32Array, rows: Int32Array): Int32Array[] {
  const n = rows.length;
  const C = m.offsets[m.offsets.length - 1];
  const z = logits(gemm, m, gatherRows(X, m.d, rows), n);
  return m.offsets.slice(0, -1).map((lo, k) => {
    const hi = m.offsets[k + 1];
    return Int32Array.from({ length: n }, (_, i) => {
      let best = lo;
      for (let j = lo + 1; j < hi; j++) if (z[i * C + j] > z[i * C + best]) best = j;
      return best - lo;
    });
  });
}
