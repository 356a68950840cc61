/**
 * Backward of TransformerLens causal multi-head attention (`dti_spec.md` §1.5) from the forward's cached
 * q, k, v [B, P, H, dh], pattern [B, H, P, P] and z [B, P, H, dh]:
 * scores = q·kᵀ/√dh masked to k ≤ q (a constant −1e5 above the diagonal), pattern = softmax(scores),
 * z = pattern·v, out = Σ_h z_h·W_O[h] + b_O, with q/k/v = x·W_{Q,K,V}[h] + b_{Q,K,V}[h].
 */
import type { Gemm } from '../../tensor/gemm.ts';
import type { AttentionWeights } from '../../model/weights.ts';
import { accumulateBiasGrad, matmulBackward } from './linear.ts';

export interface AttentionCacheSlice {
  /** Attention input (ln1 output or resid_pre) [rows, d] */
  x: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  pattern: Float32Array;
  z: Float32Array;
}

/** Gradient buffers (state-dict layouts) to accumulate into; any may be omitted. */
export type AttentionWeightGrads = Partial<Record<keyof AttentionWeights, Float32Array>>;

export interface AttentionBackward {
  /** dL/dx [rows, d] */
  dx: Float32Array;
  /** [B, P, H, dh] each */
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
  dz: Float32Array;
  /** [B, H, P, P] */
  dPattern: Float32Array;
  dScores: Float32Array;
}

export interface AttentionDims {
  B: number;
  P: number;
  H: number;
  dh: number;
  d: number;
}

/** [B, P, H, dh] <-> [B, H, P, dh] */
function swapMiddle(src: Float32Array, B: number, n1: number, n2: number, dh: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < n1; i++)
      for (let j = 0; j < n2; j++) {
        const s = ((b * n1 + i) * n2 + j) * dh;
        out.set(src.subarray(s, s + dh), ((b * n2 + j) * n1 + i) * dh);
      }
  return out;
}

/** [B, P, H, dh] -> per head [H][B*P, dh] */
function headPanels(src: Float32Array, rows: number, H: number, dh: number): Float32Array[] {
  return Array.from({ length: H }, (_, h) => {
    const out = new Float32Array(rows * dh);
    for (let r = 0; r < rows; r++) out.set(src.subarray((r * H + h) * dh, (r * H + h + 1) * dh), r * dh);
    return out;
  });
}

export function attentionBackward(
  gemm: Gemm,
  dims: AttentionDims,
  w: AttentionWeights,
  cache: AttentionCacheSlice,
  dOut: Float32Array,
  grads: AttentionWeightGrads,
): AttentionBackward {
  const { B, P, H, dh, d } = dims;
  const rows = B * P;
  const hd = H * dh;
  // out = z · W_O + b_O with z viewed as [rows, H*dh] and W_O as [H*dh, d]
  const dz = matmulBackward(gemm, cache.z, w.W_O.data, dOut, rows, hd, d, { dW: grads.W_O, db: grads.b_O });
  const dzh = swapMiddle(dz, B, P, H, dh);
  const [qh, kh, vh] = [cache.q, cache.k, cache.v].map((t) => swapMiddle(t, B, P, H, dh));
  const BH = B * H;
  const dPattern = gemm.bmm(dzh, vh, BH, P, dh, P, { transB: true });
  const dvh = gemm.bmm(cache.pattern, dzh, BH, P, P, dh, { transA: true });
  const dScores = new Float32Array(dPattern.length);
  for (let bh = 0; bh < BH; bh++)
    for (let i = 0; i < P; i++) {
      const o = (bh * P + i) * P;
      let dot = 0;
      for (let j = 0; j <= i; j++) dot += cache.pattern[o + j] * dPattern[o + j];
      for (let j = 0; j <= i; j++) dScores[o + j] = cache.pattern[o + j] * (dPattern[o + j] - dot);
    }
  const invScale = 1 / Math.sqrt(dh);
  const dqh = gemm.bmm(dScores, kh, BH, P, P, dh);
  const dkh = gemm.bmm(dScores, qh, BH, P, P, dh, { transA: true });
  for (let i = 0; i < dqh.length; i++) {
    dqh[i] *= invScale;
    dkh[i] *= invScale;
  }
  const dq = swapMiddle(dqh, B, H, P, dh);
  const dk = swapMiddle(dkh, B, H, P, dh);
  const dv = swapMiddle(dvh, B, H, P, dh);
  const dx = new Float32Array(rows * d);
  const parts = [
    { dAct: dq, W: w.W_Q, dW: grads.W_Q, db: grads.b_Q },
    { dAct: dk, W: w.W_K, dW: grads.W_K, db: grads.b_K },
    { dAct: dv, W: w.W_V, dW: grads.W_V, db: grads.b_V },
  ];
  for (const part of parts) {
    if (part.db) accumulateBiasGrad(part.dAct, part.db);
    headPanels(part.dAct, rows, H, dh).forEach((panel, h) => {
      const Wh = part.W.data.subarray(h * d * dh, (h + 1) * d * dh);
      if (part.dW)
        gemm.matmul(cache.x, panel, d, rows, dh, {
          transA: true,
          out: part.dW.subarray(h * d * dh, (h + 1) * d * dh),
          accumulate: true,
        });
      gemm.matmul(panel, Wh, rows, dh, d, { transB: true, out: dx, accumulate: true });
    });
  }
  return { dx, dq, dk, dv, dz, dPattern, dScores };
}
