/**
 * Feature dashboard data for one SAE latent over a probe set: its top-activating windows (episode,
 * step, activation), a histogram of its non-zero activations, its decoder direction read through the
 * action predictor (`W_dec[i] · W_U[a]`, without ln_final's scale) and through the state embedding (the
 * observation features `"key, (2,6)"` whose embedding columns it aligns with most), and its
 * correlation with every environment label class.
 */
import { check } from '../../errors.ts';
import { DENSE_CHANNEL_NAMES, SPARSE_CHANNEL_NAMES, stateFeatureLabel } from '../../env/index.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import type { ProbeSet } from './probeSet.ts';
import { type Sae, encode } from './sae.ts';

export interface FeatureDashboard {
  latent: number;
  /** Share of windows on which the latent fires */
  firingRate: number;
  top: { window: number; episode: number; step: number; activation: number }[];
  histogram: { edges: number[]; counts: number[] };
  /** Residual-width hooks only: logit contribution per action of a unit activation */
  actions: { action: string; logit: number }[] | null;
  /** Residual-width hooks only: the observation features with the largest |W_dec[i] · W_state[:, f]| */
  observation: { feature: string; weight: number }[] | null;
  /** Pearson correlation of the activation with each label class indicator (sorted by |r|) */
  correlations: { label: string; class: string; r: number }[];
}

/** Latent activations [n, m] of activations x [n, dIn] (chunked encode). */
export function latentActivations(model: DecisionTransformer, sae: Sae, x: Float32Array): Float32Array {
  const { dIn, latents: m } = sae.config;
  const n = x.length / dIn;
  const out = new Float32Array(n * m);
  for (let s = 0; s < n; s += 4096) {
    const e = Math.min(n, s + 4096);
    out.set(encode(model.gemm, sae, x.subarray(s * dIn, e * dIn), e - s), s * m);
  }
  return out;
}

export function featureDashboard(
  model: DecisionTransformer,
  sae: Sae,
  z: Float32Array,
  set: ProbeSet,
  latent: number,
  options: { top?: number; bins?: number } = {},
): FeatureDashboard {
  const { latents: m, dOut } = sae.config;
  check(
    Number.isInteger(latent) && latent >= 0 && latent < m,
    'BAD_INPUT',
    `feature ${latent} is outside 0..${m - 1}`,
  );
  const n = set.n;
  const a = Float64Array.from({ length: n }, (_, i) => z[i * m + latent]);
  const order = Array.from(a.keys()).sort((p, q) => a[q] - a[p] || p - q);
  const top = order
    .slice(0, options.top ?? 10)
    .filter((i) => a[i] > 0)
    .map((i) => ({ window: i, episode: set.episode[i], step: set.step[i], activation: a[i] }));
  const active = Array.from(a).filter((v) => v > 0);
  const bins = options.bins ?? 20;
  const max = active.length ? Math.max(...active) : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of active) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]++;
  const dir = sae.W_dec.subarray(latent * dOut, (latent + 1) * dOut);
  const d = model.arch.dModel;
  const W_U = model.weights.actionPredictor.W;
  const actions =
    dOut === d
      ? Array.from({ length: W_U.shape[0] }, (_, k) => ({
          action: actionName(k),
          logit: dir.reduce((s, v, j) => s + v * W_U.data[k * d + j], 0),
        }))
      : null;
  let observation: FeatureDashboard['observation'] = null;
  if (dOut === d) {
    const W = model.weights.stateEmbedding;
    const nObs = W.shape[1];
    const [X, , C] = model.arch.obsShape;
    const channels = C === SPARSE_CHANNEL_NAMES.length ? SPARSE_CHANNEL_NAMES : DENSE_CHANNEL_NAMES;
    observation = Array.from({ length: nObs }, (_, f) => ({
      feature: stateFeatureLabel(f, X, channels),
      weight: dir.reduce((s, v, j) => s + v * W.data[j * nObs + f], 0),
    }))
      .sort((p, q) => Math.abs(q.weight) - Math.abs(p.weight))
      .slice(0, 10);
  }
  const correlations = set.labels
    .flatMap((l) => l.classes.map((c, ci) => ({ label: l.name, class: c, r: pearson(a, l.values, ci) })))
    .filter((c) => Number.isFinite(c.r))
    .sort((p, q) => Math.abs(q.r) - Math.abs(p.r));
  return {
    latent,
    firingRate: active.length / n,
    top,
    histogram: { edges: Array.from({ length: bins + 1 }, (_, i) => (i / bins) * max), counts },
    actions,
    observation,
    correlations,
  };
}

/** For each label class: the latent (of z [n, m]) whose activation correlates most with it (r > 0 only). */
export function bestLatentPerClass(
  z: Float32Array,
  m: number,
  set: ProbeSet,
): { label: string; class: string; latent: number; r: number }[] {
  const n = set.n;
  const columns = Array.from({ length: m }, (_, i) =>
    Float64Array.from({ length: n }, (_, w) => z[w * m + i]),
  );
  const out: { label: string; class: string; latent: number; r: number }[] = [];
  for (const l of set.labels)
    l.classes.forEach((c, ci) => {
      let best = { latent: -1, r: 0 };
      columns.forEach((a, i) => {
        const r = pearson(a, l.values, ci);
        if (r > best.r) best = { latent: i, r };
      });
      if (best.latent >= 0) out.push({ label: l.name, class: c, ...best });
    });
  return out;
}

/** Correlation of a with the indicator values == c over labelled rows (NaN when either is constant). */
function pearson(a: Float64Array, values: Int32Array, c: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (values[i] < 0) continue;
    const b = values[i] === c ? 1 : 0;
    n++;
    sa += a[i];
    sb += b;
    saa += a[i] * a[i];
    sbb += b;
    sab += a[i] * b;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  return va > 1e-12 && vb > 1e-12 ? cov / Math.sqrt(va * vb) : NaN;
}
