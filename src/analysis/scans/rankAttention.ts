/**
 * Rank-k attention: each head's QK bilinear form `[x, 1] A_Q A_Kᵀ [x, 1]ᵀ` (A = [W; b]: the query and key
 * biases included, x = the head's input, `ln1.hook_normalized` or `hook_resid_pre`) truncated to rank k
 * by its SVD, k = 1..d_head. For the current window: the head's pattern at rank k, its distance to the
 * full pattern (mean total variation over queries, and the largest entry difference), and the
 * prediction and logit difference when that head alone runs at rank k: one sweep of heads × k rows
 * through the causal layer (`runSweep`, each row's pattern `set` from the rank-k patterns).
 */
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { check } from '../../errors.ts';
import { ActivationCache } from '../../model/activationCache.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { lastStatePosition, tokenLabels } from '../../model/tokens.ts';
import { MASKED_SCORE } from '../../model/transformer.ts';
import { softmaxRowsInPlace } from '../../tensor/ops.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { InterventionRow } from '../causal/intervention.ts';
import { runSweep } from '../causal/sweep.ts';
import {
  DEFAULT_LOGIT_DIRECTION,
  type LogitDirectionSpec,
  logitDirection,
} from '../dynamic/logitDirection.ts';
import { type NdArray, dot, resolveIndex } from '../dynamic/run.ts';
import type { JobControl } from '../jobs.ts';

export interface RankAttentionOptions {
  direction?: LogitDirectionSpec;
  /** Token position of the prediction read (default: the last S token). */
  position?: number;
}

export interface RankAttentionResult {
  heads: string[];
  /** 1..d_head */
  ranks: number[];
  position: number;
  tokenLabel: string;
  direction: string;
  /** [head, k, query, key] pattern with W_QK at rank k */
  patterns: NdArray;
  /** [head][k] mean over queries of the total variation ½ Σ_key |A_k − A| */
  distance: number[][];
  /** [head][k] largest |A_k − A| */
  maxError: number[][];
  /** The window's own logit difference and predicted action */
  baseline: { logitDiff: number; action: number };
  /** [head][k] logit difference and predicted action with that head at rank k */
  logitDiff: number[][];
  action: number[][];
}

/** [P, k] products of the augmented input [x, 1] with a head's rank-k query and key factors. */
function rankFactors(
  x: Float32Array,
  P: number,
  d: number,
  aQ: Matrix,
  aK: Matrix,
): { q: Matrix; k: Matrix; s: number[] } {
  const qrQ = new QrDecomposition(aQ);
  const qrK = new QrDecomposition(aK);
  const m = qrQ.upperTriangularMatrix.mmul(qrK.upperTriangularMatrix.transpose());
  const svd = new SingularValueDecomposition(m, { autoTranspose: true });
  const xa = new Matrix(P, d + 1);
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < d; j++) xa.set(p, j, x[p * d + j]);
    xa.set(p, d, 1);
  }
  return {
    q: xa.mmul(qrQ.orthogonalMatrix).mmul(svd.leftSingularVectors),
    k: xa.mmul(qrK.orthogonalMatrix).mmul(svd.rightSingularVectors),
    s: svd.diagonal,
  };
}

/** Causal softmax pattern [P, P] of `Σ_{i<k} s_i q[:, i] k[:, i]ᵀ / √d_head`. */
function rankPattern(
  f: { q: Matrix; k: Matrix; s: number[] },
  rank: number,
  P: number,
  dh: number,
): Float32Array {
  const out = new Float32Array(P * P);
  const scale = 1 / Math.sqrt(dh);
  for (let a = 0; a < P; a++)
    for (let b = 0; b < P; b++) {
      if (b > a) {
        out[a * P + b] = MASKED_SCORE;
        continue;
      }
      let s = 0;
      for (let i = 0; i < rank; i++) s += f.s[i] * f.q.get(a, i) * f.k.get(b, i);
      out[a * P + b] = s * scale;
    }
  softmaxRowsInPlace(out, P);
  return out;
}

/** Rank-k patterns of every head and the sweep of heads × k with one head at rank k. */
export async function rankAttention(
  model: DecisionTransformer,
  window: DTInputs,
  options: RankAttentionOptions = {},
  control?: JobControl,
): Promise<RankAttentionResult> {
  const { nLayers: L, nHeads: H, dHead: dh, dModel: d, normalization } = model.arch;
  check(
    window.states.shape[0] === 1,
    'BAD_SHAPE',
    `expected one window, got a batch of ${window.states.shape[0]}`,
  );
  const inputName = (l: number) =>
    normalization ? `blocks.${l}.ln1.hook_normalized` : `blocks.${l}.hook_resid_pre`;
  const patternName = (l: number) => `blocks.${l}.attn.hook_pattern`;
  const names = Array.from({ length: L }, (_, l) => [inputName(l), patternName(l)]).flat();
  // On the hooked core, as the rank-k runs: rank d_head reproduces this run.
  const base = model.run(window, { cache: names, core: 'hooked' });
  const cache = base.cache!;
  const P = base.transformerOut.shape[1];
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const dir = logitDirection(cache, options.direction ?? DEFAULT_LOGIT_DIRECTION);
  const ranks = Array.from({ length: dh }, (_, i) => i + 1);
  const heads = Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
  const nh = L * H;
  const patterns = new Float32Array(nh * dh * P * P);
  const distance: number[][] = [];
  const maxError: number[][] = [];
  for (let l = 0; l < L; l++) {
    const x = cache.get(inputName(l)).data;
    const full = cache.get(patternName(l)).data; // [1, H, P, P]
    const { W_Q, W_K, b_Q, b_K } = model.weights.blocks[l].attn;
    for (let h = 0; h < H; h++) {
      const aug = (W: Tensor, b: Tensor) => {
        const m = new Matrix(d + 1, dh);
        for (let i = 0; i < d; i++) for (let e = 0; e < dh; e++) m.set(i, e, W.data[(h * d + i) * dh + e]);
        for (let e = 0; e < dh; e++) m.set(d, e, b.data[h * dh + e]);
        return m;
      };
      const f = rankFactors(x, P, d, aug(W_Q, b_Q), aug(W_K, b_K));
      const head = l * H + h;
      const dist: number[] = [];
      const worst: number[] = [];
      for (const k of ranks) {
        const pat = rankPattern(f, k, P, dh);
        patterns.set(pat, (head * dh + k - 1) * P * P);
        let tv = 0;
        let mx = 0;
        for (let i = 0; i < P * P; i++) {
          const e = Math.abs(pat[i] - full[h * P * P + i]);
          tv += e / 2;
          mx = Math.max(mx, e);
        }
        dist.push(tv / P);
        worst.push(mx);
      }
      distance.push(dist);
      maxError.push(worst);
    }
  }
  // One sweep row per (head, k): that head's pattern set from its rank-k pattern.
  const sources = new Map<string, Tensor>();
  for (let l = 0; l < L; l++) {
    const rows = H * dh;
    const t = new Float32Array(rows * H * P * P);
    for (let h = 0; h < H; h++)
      for (let k = 0; k < dh; k++) {
        const src = ((l * H + h) * dh + k) * P * P;
        t.set(patterns.subarray(src, src + P * P), ((h * dh + k) * H + h) * P * P);
      }
    sources.set(patternName(l), new Tensor(t, [rows, H, P, P]));
  }
  const rows: InterventionRow[] = heads.flatMap((_, head) =>
    ranks.map((k) => [
      {
        hook: patternName(Math.floor(head / H)),
        op: { kind: 'set' as const, source: 'rank', row: (head % H) * dh + k - 1 },
        where: { heads: [head % H] },
      },
    ]),
  );
  const A = model.arch.nActions;
  const t = (p - 1) / 3;
  const logitDiff = heads.map(() => Array<number>(dh).fill(0));
  const action = heads.map(() => Array<number>(dh).fill(0));
  const readRow = (x: Float32Array, preds: Float32Array, b: number, Tp: number) => {
    const logits = preds.subarray((b * Tp + t) * A, (b * Tp + t + 1) * A);
    return { diff: dot(x, (b * P + p) * d, dir.vector), act: logits.indexOf(Math.max(...logits)) };
  };
  check(Number.isInteger(t), 'BAD_INPUT', `position ${p} is not an S token (the action is read there)`);
  await runSweep(
    model,
    { tokens: model.toTokens(window), noActions: window.actions === null },
    rows,
    (run, ids) => {
      const Tp = run.actionPreds!.shape[1];
      ids.forEach((r, b) => {
        const { diff, act } = readRow(run.transformerOut.data, run.actionPreds!.data, b, Tp);
        logitDiff[Math.floor(r / dh)][r % dh] = diff;
        action[Math.floor(r / dh)][r % dh] = act;
      });
    },
    { ...control, sources: { rank: new ActivationCache(sources, model) } },
  );
  const baseline = readRow(base.transformerOut.data, base.actionPreds!.data, 0, base.actionPreds!.shape[1]);
  return {
    heads,
    ranks,
    position: p,
    tokenLabel: tokenLabels(P)[p],
    direction: dir.label,
    patterns: { shape: [nh, dh, P, P], data: patterns },
    distance,
    maxError,
    baseline: { logitDiff: baseline.diff, action: baseline.act },
    logitDiff,
    action,
  };
}
