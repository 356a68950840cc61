/**
 * Backward of the two matrix-product layouts the DT uses, through a `Gemm`:
 * TransformerLens layout `Y[rows, n] = X[rows, k] · W[k, n] + b` and torch `nn.Linear` layout
 * `Y[rows, out] = X[rows, in] · Wᵀ + b` with `W[out, in]`. Weight and bias gradients are accumulated
 * into the given buffers (so a parameter used twice sums its gradients); dX is returned fresh.
 */
import type { Gemm } from '../../tensor/gemm.ts';

export interface LinearGradTargets {
  /** Accumulates dL/dW (same layout as W). */
  dW?: Float32Array;
  /** Accumulates dL/db [n]. */
  db?: Float32Array;
}

/** Adds the column sums of `dY` [rows, n] into `db` [n]. */
export function accumulateBiasGrad(dY: Float32Array, db: Float32Array): void {
  const n = db.length;
  for (let o = 0; o < dY.length; o += n) for (let j = 0; j < n; j++) db[j] += dY[o + j];
}

/** Y = X·W (+ b), W [k, n]: accumulates dW = Xᵀ·dY, db = Σ_rows dY; returns dX = dY·Wᵀ [rows, k]. */
export function matmulBackward(
  gemm: Gemm,
  x: Float32Array,
  W: Float32Array,
  dY: Float32Array,
  rows: number,
  k: number,
  n: number,
  targets: LinearGradTargets,
): Float32Array {
  if (targets.dW) gemm.matmul(x, dY, k, rows, n, { transA: true, out: targets.dW, accumulate: true });
  if (targets.db) accumulateBiasGrad(dY, targets.db);
  return gemm.matmul(dY, W, rows, n, k, { transB: true });
}

/** Y = X·Wᵀ (+ b), W [out, in] (torch): accumulates dW = dYᵀ·X, db; returns dX = dY·W [rows, in]. */
export function torchLinearBackward(
  gemm: Gemm,
  x: Float32Array,
  W: Float32Array,
  dY: Float32Array,
  rows: number,
  nIn: number,
  nOut: number,
  targets: LinearGradTargets,
): Float32Array {
  if (targets.dW) gemm.matmul(dY, x, nOut, rows, nIn, { transA: true, out: targets.dW, accumulate: true });
  if (targets.db) accumulateBiasGrad(dY, targets.db);
  return gemm.matmul(dY, W, rows, nOut, nIn);
}
