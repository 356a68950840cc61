/**
 * How good an SAE is: on activations (chunked, so 100,000 x 1,024 latents never sit in memory at once)
 * the reconstruction error, explained variance, L0 and dead/dense latents; on the model, the action
 * loss with the SAE spliced in at its hook and token against the clean and the zero-ablated model.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type PositionKind, type WindowSource, positionOf } from './activations.ts';
import { type Sae, decode, encode } from './sae.ts';
import { saeHook } from './saeSplice.ts';

/** A latent firing on more than this share of rows is dense. */
export const DENSE_RATE = 0.1;
const ROWS_PER_CHUNK = 4096;

export interface SaeStatistics {
  rows: number;
  /** Mean over rows of ‖x̂ − y‖² */
  mse: number;
  /** Σ‖x̂ − y‖² / Σ‖y‖² */
  relativeError: number;
  /** 1 − Σ‖x̂ − y‖² / Σ‖y − mean(y)‖² */
  explainedVariance: number;
  /** Mean number of active latents per row */
  l0: number;
  /** Share of latents that never fire */
  deadFraction: number;
  /** Share of latents firing on more than 10% of rows */
  denseFraction: number;
  /** [m] share of rows on which each latent fires */
  firingRate: Float32Array;
}

export function saeStatistics(gemm: Gemm, sae: Sae, x: Float32Array, y?: Float32Array): SaeStatistics {
  const { dIn, dOut, latents: m } = sae.config;
  const target = y ?? x;
  const N = x.length / dIn;
  check(
    Number.isInteger(N) && N > 0,
    'BAD_SHAPE',
    `the SAE reads vectors of width ${dIn}; got ${x.length} values`,
  );
  let sq = 0;
  let norm = 0;
  let active = 0;
  const fires = new Float64Array(m);
  const sum = new Float64Array(dOut);
  for (let s = 0; s < N; s += ROWS_PER_CHUNK) {
    const n = Math.min(ROWS_PER_CHUNK, N - s);
    const z = encode(gemm, sae, x.subarray(s * dIn, (s + n) * dIn), n);
    const xh = decode(gemm, sae, z, n);
    for (let i = 0; i < z.length; i++)
      if (z[i] !== 0) {
        active++;
        fires[i % m]++;
      }
    for (let i = 0; i < xh.length; i++) {
      const t = target[s * dOut + i];
      sq += (xh[i] - t) ** 2;
      norm += t * t;
      sum[i % dOut] += t;
    }
  }
  let centred = norm;
  for (let j = 0; j < dOut; j++) centred -= (sum[j] * sum[j]) / N;
  const firingRate = Float32Array.from(fires, (f) => f / N);
  return {
    rows: N,
    mse: sq / N,
    relativeError: norm > 0 ? sq / norm : 0,
    explainedVariance: centred > 0 ? 1 - sq / centred : 1,
    l0: active / N,
    deadFraction: firingRate.filter((r) => r === 0).length / m,
    denseFraction: firingRate.filter((r) => r > DENSE_RATE).length / m,
    firingRate,
  };
}

export interface SplicedBehaviour {
  windows: number;
  /** Mean cross-entropy of the action taken, at the last S token. */
  cleanLoss: number;
  splicedLoss: number;
  /** The SAE's hook and token set to zero. */
  zeroAblationLoss: number;
  /** (zero − spliced) / (zero − clean): 1 = the SAE loses nothing. */
  lossRecovered: number;
  /** Share of windows whose predicted action is unchanged by the splice. */
  sameAction: number;
  /** Mean |spliced − clean| of the logit of the action taken. */
  meanAbsLogitChange: number;
}

/** Action loss of the windows with the SAE spliced in at `hook` and token `kind` (actions: [n] taken). */
export async function splicedBehaviour(
  model: DecisionTransformer,
  windows: WindowSource,
  actions: Int32Array,
  sae: Sae,
  hook: string,
  kind: PositionKind,
  control?: JobControl,
): Promise<SplicedBehaviour> {
  let n = 0;
  const loss = { clean: 0, spliced: 0, zero: 0 };
  let same = 0;
  let change = 0;
  await forEachChunk(windows.n, control, (start, end) => {
    const inputs = windows.inputs(start, end);
    const P = model.toTokens(inputs).shape[1];
    const position = positionOf(kind, P);
    const runs = {
      // on the hooked core, as the spliced and ablated runs: a lossless SAE reproduces it exactly
      clean: model.run(inputs, { core: 'hooked' }).actionPreds!,
      spliced: model.run(inputs, {
        hooks: [saeHook(model.gemm, sae, hook, { mode: 'reconstruct', positions: [position] })],
      }).actionPreds!,
      zero: model.run(inputs, {
        hooks: [
          {
            name: hook,
            fn: (act) => {
              const [B, Pa] = act.shape;
              const w = act.size / (B * Pa);
              for (let b = 0; b < B; b++)
                act.data.fill(0, (b * Pa + position) * w, (b * Pa + position + 1) * w);
            },
          },
        ],
      }).actionPreds!,
    };
    const [B, T, A] = runs.clean.shape;
    for (let b = 0; b < B; b++) {
      const a = actions[start + b];
      if (a < 0) continue;
      n++;
      const o = (b * T + T - 1) * A;
      const row = (t: typeof runs.clean) => t.data.subarray(o, o + A);
      for (const key of ['clean', 'spliced', 'zero'] as const) loss[key] += crossEntropy(row(runs[key]), a);
      if (argmax(row(runs.clean)) === argmax(row(runs.spliced))) same++;
      change += Math.abs(row(runs.spliced)[a] - row(runs.clean)[a]);
    }
  });
  check(n > 0, 'BAD_INPUT', 'no window has a taken action to score');
  const [clean, spliced, zero] = [loss.clean / n, loss.spliced / n, loss.zero / n];
  return {
    windows: n,
    cleanLoss: clean,
    splicedLoss: spliced,
    zeroAblationLoss: zero,
    lossRecovered: zero !== clean ? (zero - spliced) / (zero - clean) : 1,
    sameAction: same / n,
    meanAbsLogitChange: change / n,
  };
}

function crossEntropy(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - max);
  return Math.log(s) + max - logits[target];
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
