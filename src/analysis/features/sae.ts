/**
 * Sparse autoencoders and transcoders on activation vectors, trained in TypeScript:
 *   pre = (x − b_dec) · W_enc + b_enc      W_enc [d_in, m]
 *   z   = TopK(pre) (ReLU of the k largest) or ReLU(pre)
 *   x̂   = z · W_dec + b_dec                W_dec [m, d_out], rows kept at unit norm
 * loss = mean over rows of ‖x̂ − y‖² (+ λ·Σ|z| for ReLU + L1), y = x for an SAE and the target
 * activation for a transcoder (MLP input -> MLP output). Gradients through the shared backward ops
 * (`train/grad/linear.ts`), updates by AdamW (`train/optimizer.ts`); training runs in chunks of steps
 * through `forEachChunk` (progress, cancel) and resumes from a saved state (parameters + moments).
 */
import { check } from '../../errors.ts';
import { npRandom } from '../../env/index.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { accumulateBiasGrad, matmulBackward } from '../../train/grad/linear.ts';
import { normalSampler } from '../../train/init.ts';
import { AdamW } from '../../train/optimizer.ts';
import type { Parameter } from '../../train/parameters.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';

export type SaeKind = 'topk' | 'relu';
export const SAE_KINDS: readonly SaeKind[] = ['topk', 'relu'];

export interface SaeConfig {
  kind: SaeKind;
  dIn: number;
  dOut: number;
  latents: number;
  /** Active latents per row (topk). */
  k: number;
  /** L1 coefficient (relu). */
  l1: number;
}

export interface Sae {
  config: SaeConfig;
  /** [dIn, m] */
  W_enc: Float32Array;
  /** [m] */
  b_enc: Float32Array;
  /** [m, dOut] */
  W_dec: Float32Array;
  /** [dOut] */
  b_dec: Float32Array;
}

export interface SaeTrainOptions {
  steps: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
}

/** Training state: the SAE, AdamW moments and the step count (what a resume needs). */
export interface SaeTraining {
  sae: Sae;
  optimizer: AdamW;
  /** Loss of each step so far. */
  losses: number[];
}

/** A fresh SAE: W_dec rows random unit vectors, W_enc = W_decᵀ (for an SAE), biases 0 (b_dec = mean). */
export function initSae(config: SaeConfig, seed: number, targetMean?: Float32Array): Sae {
  const { dIn, dOut, latents: m, kind, k, l1 } = config;
  check(Number.isInteger(m) && m >= 1, 'BAD_INPUT', `latents must be a positive integer, got ${m}`);
  check(
    kind !== 'topk' || (Number.isInteger(k) && k >= 1 && k <= m),
    'BAD_INPUT',
    `k must be in 1..${m}, got ${k}`,
  );
  check(kind !== 'relu' || (Number.isFinite(l1) && l1 >= 0), 'BAD_INPUT', `l1 must be >= 0, got ${l1}`);
  const normal = normalSampler(npRandom(seed));
  const W_dec = Float32Array.from({ length: m * dOut }, normal);
  normaliseRows(W_dec, m, dOut);
  const W_enc = new Float32Array(dIn * m);
  if (dIn === dOut)
    for (let i = 0; i < m; i++) for (let j = 0; j < dIn; j++) W_enc[j * m + i] = W_dec[i * dOut + j];
  else for (let i = 0; i < W_enc.length; i++) W_enc[i] = normal() / Math.sqrt(dIn);
  return {
    config,
    W_enc,
    b_enc: new Float32Array(m),
    W_dec,
    b_dec: targetMean ? targetMean.slice() : new Float32Array(dOut),
  };
}

/** Mean row of x [N, width] (the initial b_dec of an SAE on x). */
export function rowMean(x: Float32Array, width: number): Float32Array {
  const n = x.length / width;
  const mean = new Float32Array(width);
  for (let i = 0; i < x.length; i++) mean[i % width] += x[i] / n;
  return mean;
}

/** Scales each row of W [rows, cols] to unit L2 norm. */
function normaliseRows(W: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += W[i * cols + j] ** 2;
    const n = Math.sqrt(s) || 1;
    for (let j = 0; j < cols; j++) W[i * cols + j] /= n;
  }
}

/** Pre-activations [n, m] of x [n, dIn]. */
function preActivations(
  gemm: Gemm,
  sae: Sae,
  x: Float32Array,
  n: number,
): { xc: Float32Array; pre: Float32Array } {
  const { dIn, dOut, latents: m } = sae.config;
  const xc = new Float32Array(x.length);
  // An SAE encodes x − b_dec; a transcoder's input lives in another space and is encoded as is.
  const centre = dIn === dOut;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dIn; j++) xc[i * dIn + j] = x[i * dIn + j] - (centre ? sae.b_dec[j] : 0);
  const pre = gemm.matmul(xc, sae.W_enc, n, dIn, m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) pre[i * m + j] += sae.b_enc[j];
  return { xc, pre };
}

/** In place: the activation function (TopK keeps the k largest pre-activations of a row, then ReLU). */
function activate(sae: Sae, pre: Float32Array, n: number): Float32Array {
  const { latents: m, kind, k } = sae.config;
  const z = new Float32Array(pre.length);
  if (kind === 'relu') {
    for (let i = 0; i < pre.length; i++) z[i] = pre[i] > 0 ? pre[i] : 0;
    return z;
  }
  // Per row: the k largest values kept in a small descending list (one pass, O(m) when k << m).
  const topVal = new Float32Array(k);
  const topIdx = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    let filled = 0;
    for (let j = 0; j < m; j++) {
      const v = pre[o + j];
      if (filled === k && v <= topVal[k - 1]) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && topVal[p - 1] < v) {
        topVal[p] = topVal[p - 1];
        topIdx[p] = topIdx[p - 1];
        p--;
      }
      topVal[p] = v;
      topIdx[p] = j;
    }
    for (let t = 0; t < filled; t++) if (topVal[t] > 0) z[o + topIdx[t]] = topVal[t];
  }
  return z;
}

/** Latent activations z [n, m] of x [n, dIn]. */
export function encode(gemm: Gemm, sae: Sae, x: Float32Array, n: number): Float32Array {
  return activate(sae, preActivations(gemm, sae, x, n).pre, n);
}

/** Reconstruction [n, dOut] of latents z [n, m]. */
export function decode(gemm: Gemm, sae: Sae, z: Float32Array, n: number): Float32Array {
  const { latents: m, dOut } = sae.config;
  const out = gemm.matmul(z, sae.W_dec, n, m, dOut);
  for (let i = 0; i < n; i++) for (let j = 0; j < dOut; j++) out[i * dOut + j] += sae.b_dec[j];
  return out;
}

function parameters(sae: Sae): Parameter[] {
  const { dIn, dOut, latents: m } = sae.config;
  return [
    { name: 'W_enc', data: sae.W_enc, shape: [dIn, m], decay: false },
    { name: 'b_enc', data: sae.b_enc, shape: [m], decay: false },
    { name: 'W_dec', data: sae.W_dec, shape: [m, dOut], decay: false },
    { name: 'b_dec', data: sae.b_dec, shape: [dOut], decay: false },
  ];
}

/** A training state for `sae` (fresh moments), or the given one to resume. */
export function startTraining(sae: Sae): SaeTraining {
  return { sae, optimizer: new AdamW(parameters(sae), { weightDecay: 0 }), losses: [] };
}

/**
 * Trains on rows of `x` [N, dIn] (targets `y` [N, dOut], default x) for `options.steps` more steps;
 * minibatches are seeded random rows. Checks cancellation and reports progress every `chunkRows` steps.
 */
export async function trainSae(
  gemm: Gemm,
  state: SaeTraining,
  x: Float32Array,
  y: Float32Array | undefined,
  options: SaeTrainOptions,
  control?: JobControl,
): Promise<SaeTraining> {
  const { sae, optimizer } = state;
  const { dIn, dOut, latents: m, kind, l1 } = sae.config;
  const target = y ?? x;
  const N = x.length / dIn;
  check(Number.isInteger(N) && N > 0, 'BAD_SHAPE', `activations must be [N, ${dIn}], got ${x.length} values`);
  check(
    target.length === N * dOut,
    'BAD_SHAPE',
    `targets must be [${N}, ${dOut}], got ${target.length} values`,
  );
  const batch = Math.min(options.batchSize ?? 1024, N);
  const lr = options.lr ?? 1e-3;
  const seed = options.seed ?? 0;
  const xb = new Float32Array(batch * dIn);
  const yb = new Float32Array(batch * dOut);
  // A batch is rows first + i·stride (mod N), `first` hashed from (seed, step): spread over the data,
  // and a resumed run draws exactly the batches of an uninterrupted one. Stride coprime with N.
  let stride = 7919;
  while (gcd(stride, N) !== 1) stride += 2;
  await forEachChunk(options.steps, { chunkRows: 50, ...control }, (start, end) => {
    for (let s = start; s < end; s++) {
      const first = hashStep(seed, optimizer.step) % N;
      for (let i = 0; i < batch; i++) {
        const r = (first + i * stride) % N;
        xb.set(x.subarray(r * dIn, (r + 1) * dIn), i * dIn);
        yb.set(target.subarray(r * dOut, (r + 1) * dOut), i * dOut);
      }
      const { xc, pre } = preActivations(gemm, sae, xb, batch);
      const z = activate(sae, pre, batch);
      const out = decode(gemm, sae, z, batch);
      let loss = 0;
      const dOutGrad = new Float32Array(out.length);
      for (let i = 0; i < out.length; i++) {
        const e = out[i] - yb[i];
        loss += e * e;
        dOutGrad[i] = (2 * e) / batch;
      }
      loss /= batch;
      const grads = new Map(parameters(sae).map((p) => [p.name, new Float32Array(p.data.length)]));
      const dz = matmulBackward(gemm, z, sae.W_dec, dOutGrad, batch, m, dOut, {
        dW: grads.get('W_dec'),
        db: grads.get('b_dec'),
      });
      for (let i = 0; i < dz.length; i++) {
        if (z[i] === 0) dz[i] = 0;
        else if (kind === 'relu') {
          dz[i] += l1 / batch;
          loss += (l1 * z[i]) / batch;
        }
      }
      const dxc = matmulBackward(gemm, xc, sae.W_enc, dz, batch, dIn, m, {
        dW: grads.get('W_enc'),
        db: grads.get('b_enc'),
      });
      if (dIn === dOut) {
        const db = new Float32Array(dIn);
        accumulateBiasGrad(dxc, db);
        const g = grads.get('b_dec')!;
        for (let j = 0; j < dIn; j++) g[j] -= db[j];
      }
      optimizer.update(grads, lr);
      normaliseRows(sae.W_dec, m, dOut);
      state.losses.push(loss);
    }
  });
  return state;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** A well-mixed non-negative 31-bit integer of (seed, step) (murmur3 finaliser). */
function hashStep(seed: number, step: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 1;
}
