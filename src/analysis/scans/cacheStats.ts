/**
 * Cache characterisation over a dataset of windows (DTI issue #44): L2 norms of the residual stream by
 * state (`{l}_pre`, `{l}_mid`, `final_post`, TL `accumulated_resid` labels) and token position, and of
 * every component output (embed, pos_embed, each head's `z W_O`, each layer's attn_out and mlp_out),
 * as mean and (population) std over the real (non-padding) tokens; and the privileged-basis test of
 * Elhage et al.: the mean excess kurtosis (Pearson, Gaussian = 0) of activation vectors in the standard
 * basis against the same vectors under Haar-random orthogonal rotations.
 */
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { tokenCount, tokenLabels } from '../../model/tokens.ts';
import { npRandom } from '../../env/rng/generator.ts';
import { check } from '../../errors.ts';
import type { JobControl } from '../jobs.ts';
import { forEachDatasetChunk, isRealPosition } from './datasetRun.ts';
import type { WindowDataset } from './windowDataset.ts';

/** Mean and std over windows of a value per (label, position); `count[p]` real tokens at position p. */
export interface PositionStats {
  labels: string[];
  /** [label][P] */
  mean: number[][];
  std: number[][];
  count: number[];
}

export interface NormsResult {
  tokenLabels: string[];
  windows: number;
  /** Residual stream states `{l}_pre`, `{l}_mid`, ..., `final_post` */
  states: PositionStats;
  /** Component outputs: embed, pos_embed, L{l}H{h}, {l}_attn_out, {l}_mlp_out */
  components: PositionStats;
}

/** Accumulates sums and sums of squares per (label, position). */
class Moments {
  private readonly sum: Float64Array;
  private readonly sq: Float64Array;
  readonly count: Float64Array;
  constructor(
    readonly labels: string[],
    private readonly P: number,
  ) {
    this.sum = new Float64Array(labels.length * P);
    this.sq = new Float64Array(labels.length * P);
    this.count = new Float64Array(P);
  }
  add(i: number, p: number, v: number): void {
    this.sum[i * this.P + p] += v;
    this.sq[i * this.P + p] += v * v;
  }
  stats(): PositionStats {
    const { P } = this;
    const row = (f: (s: number, q: number, c: number) => number) =>
      this.labels.map((_, i) =>
        Array.from({ length: P }, (_, p) => {
          const c = this.count[p];
          return c > 0 ? f(this.sum[i * P + p], this.sq[i * P + p], c) : 0;
        }),
      );
    return {
      labels: this.labels,
      mean: row((s, _q, c) => s / c),
      std: row((s, q, c) => Math.sqrt(Math.max(0, q / c - (s / c) ** 2))),
      count: Array.from(this.count),
    };
  }
}

const norm = (data: Float32Array, off: number, d: number): number => {
  let s = 0;
  for (let j = 0; j < d; j++) s += data[off + j] * data[off + j];
  return Math.sqrt(s);
};

/** Residual-stream and component-output norms over the dataset. */
export async function residualNorms(
  model: DecisionTransformer,
  ds: WindowDataset,
  control?: JobControl,
): Promise<NormsResult> {
  const { nLayers: L, nHeads: H, dModel: d } = model.arch;
  const stateHooks: [string, string][] = [];
  for (let l = 0; l < L; l++)
    stateHooks.push([`${l}_pre`, `blocks.${l}.hook_resid_pre`], [`${l}_mid`, `blocks.${l}.hook_resid_mid`]);
  stateHooks.push(['final_post', `blocks.${L - 1}.hook_resid_post`]);
  const compHooks: [string, string][] = [
    ['embed', 'hook_embed'],
    ['pos_embed', 'hook_pos_embed'],
  ];
  for (let l = 0; l < L; l++)
    compHooks.push(
      [`${l}_attn_out`, `blocks.${l}.hook_attn_out`],
      [`${l}_mlp_out`, `blocks.${l}.hook_mlp_out`],
    );
  const headLabels = Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
  const wanted = new Set([...stateHooks, ...compHooks].map(([, h]) => h));
  let P = 0;
  let states: Moments | null = null;
  let comps: Moments | null = null;
  await forEachDatasetChunk(
    model,
    ds,
    (name) => wanted.has(name) || /attn\.hook_z$/.test(name),
    control,
    (run, ids) => {
      const [B] = run.transformerOut.shape;
      P = run.transformerOut.shape[1];
      states ??= new Moments(
        stateHooks.map(([l]) => l),
        P,
      );
      comps ??= new Moments([...compHooks.map(([l]) => l), ...headLabels], P);
      const cache = run.cache!;
      const heads = Array.from({ length: L }, (_, l) => cache.headResult(l).data); // [B, P, H, d]
      for (let b = 0; b < B; b++)
        for (let p = 0; p < P; p++) {
          if (!isRealPosition(ds, ids[b], p)) continue;
          states.count[p]++;
          comps.count[p]++;
          const off = (b * P + p) * d;
          stateHooks.forEach(([, h], i) => states!.add(i, p, norm(cache.get(h).data, off, d)));
          compHooks.forEach(([, h], i) => comps!.add(i, p, norm(cache.get(h).data, off, d)));
          for (let l = 0; l < L; l++)
            for (let h = 0; h < H; h++)
              comps.add(compHooks.length + l * H + h, p, norm(heads[l], ((b * P + p) * H + h) * d, d));
        }
    },
  );
  return {
    tokenLabels: tokenLabels(P),
    windows: ds.inputs.states.shape[0],
    states: states!.stats(),
    components: comps!.stats(),
  };
}

export interface KurtosisOptions {
  /** Random rotations (default 8) */
  rotations?: number;
  /** Seed of the token sample and the rotations (default 0) */
  seed?: number;
  /** Token vectors sampled per hook point (default 1024) */
  maxTokens?: number;
}

export interface HookKurtosis {
  hook: string;
  /** Vector width (d_model or d_mlp) */
  width: number;
  /** Tokens in the sample */
  tokens: number;
  /** Mean excess kurtosis over the sampled tokens in the standard basis */
  excess: number;
  /** The same after each random rotation, and their spread */
  rotated: { values: number[]; mean: number; std: number; min: number; max: number };
  /** Standard-basis excess kurtosis above every rotation's */
  privileged: boolean;
}

export interface KurtosisResult {
  rotations: number;
  seed: number;
  hooks: HookKurtosis[];
}

/** Pearson excess kurtosis of the vector data[off .. off + d) across its coordinates (NaN if constant). */
export function excessKurtosis(data: ArrayLike<number>, off: number, d: number): number {
  let mean = 0;
  for (let j = 0; j < d; j++) mean += data[off + j];
  mean /= d;
  let m2 = 0;
  let m4 = 0;
  for (let j = 0; j < d; j++) {
    const c = (data[off + j] - mean) ** 2;
    m2 += c;
    m4 += c * c;
  }
  m2 /= d;
  m4 /= d;
  return m2 > 0 ? m4 / (m2 * m2) - 3 : NaN;
}

/**
 * A Haar-random orthogonal d × d matrix (row-major): the Q factor, with R's diagonal made positive, of a
 * Gaussian matrix, by modified Gram-Schmidt on its columns (in float64; unique, so equal to a
 * Householder QR with R's diagonal signs folded into Q up to rounding).
 */
export function randomRotation(d: number, random: () => number): Float32Array {
  const gauss = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const g = Float64Array.from({ length: d * d }, gauss); // [row][column] of the Gaussian matrix
  // cols[j] = column j of g, orthonormalised against columns 0..j-1 in turn.
  const cols = new Float64Array(d * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) cols[j * d + i] = g[i * d + j];
  for (let j = 0; j < d; j++) {
    const cj = j * d;
    for (let k = 0; k < j; k++) {
      const ck = k * d;
      let r = 0;
      for (let i = 0; i < d; i++) r += cols[ck + i] * cols[cj + i];
      for (let i = 0; i < d; i++) cols[cj + i] -= r * cols[ck + i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += cols[cj + i] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < d; i++) cols[cj + i] /= norm;
  }
  const out = new Float32Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = cols[j * d + i];
  return out;
}

/** Hook points tested: every residual state and block output, and each MLP's neurons (hook_post). */
function kurtosisHooks(model: DecisionTransformer): string[] {
  const hooks: string[] = [];
  for (let l = 0; l < model.arch.nLayers; l++)
    for (const h of [
      'hook_resid_pre',
      'hook_attn_out',
      'hook_resid_mid',
      'mlp.hook_post',
      'hook_mlp_out',
      'hook_resid_post',
    ])
      hooks.push(`blocks.${l}.${h}`);
  return hooks;
}

/** Excess kurtosis per hook point in the standard basis vs random rotations, over a sample of real tokens. */
export async function kurtosisScan(
  model: DecisionTransformer,
  ds: WindowDataset,
  options: KurtosisOptions = {},
  control?: JobControl,
): Promise<KurtosisResult> {
  const rotations = options.rotations ?? 8;
  const seed = options.seed ?? 0;
  const maxTokens = options.maxTokens ?? 1024;
  check(
    Number.isInteger(rotations) && rotations >= 1,
    'BAD_INPUT',
    `rotations must be a positive integer, got ${rotations}`,
  );
  check(
    Number.isInteger(maxTokens) && maxTokens >= 1,
    'BAD_INPUT',
    `maxTokens must be a positive integer, got ${maxTokens}`,
  );
  const hooks = kurtosisHooks(model);
  const rng = npRandom(seed);
  const [N, T] = ds.inputs.states.shape;
  const keep = Math.min(1, maxTokens / (N * (3 * T)));
  // The token sample (each real token kept with probability `keep`), drawn before running the model,
  // which then runs only the windows holding a sampled token.
  const P = tokenCount(T, ds.inputs.actions ? ds.inputs.actions.length / N : 0);
  const picked = Array.from({ length: N }, (_, w) =>
    Array.from({ length: P }, (_, p) => p).filter((p) => isRealPosition(ds, w, p) && rng.random() < keep),
  );
  const samples = new Map<string, number[][]>(hooks.map((h) => [h, []]));
  const sampledWindows = picked.flatMap((positions, w) => (positions.length > 0 ? [w] : []));
  const collect = (run: RunResult, ids: readonly number[]) =>
    ids.forEach((w, b) => {
      for (const p of picked[w])
        for (const h of hooks) {
          const t = run.cache!.get(h);
          const width = t.shape[2];
          samples.get(h)!.push(Array.from(t.data.subarray((b * P + p) * width, (b * P + p + 1) * width)));
        }
    });
  await forEachDatasetChunk(model, ds, hooks, control, collect, sampledWindows);
  const meanKurtosis = (data: Float32Array, n: number, w: number) => {
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const k = excessKurtosis(data, i * w, w);
      if (!Number.isNaN(k)) [s, c] = [s + k, c + 1];
    }
    return c > 0 ? s / c : NaN;
  };
  const rotationsByWidth = new Map<number, Float32Array[]>();
  const random = () => rng.random();
  const result = hooks.map((hook): HookKurtosis => {
    const rows = samples.get(hook)!;
    check(rows.length > 0, 'BAD_DATASET', 'the dataset has no real tokens to measure');
    const w = rows[0].length;
    const n = rows.length;
    const x = new Float32Array(n * w);
    rows.forEach((r, i) => x.set(r, i * w));
    if (!rotationsByWidth.has(w))
      rotationsByWidth.set(
        w,
        Array.from({ length: rotations }, () => randomRotation(w, random)),
      );
    const values = rotationsByWidth.get(w)!.map((R) => meanKurtosis(model.gemm.matmul(x, R, n, w, w), n, w));
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    const excess = meanKurtosis(x, n, w);
    const max = Math.max(...values);
    return {
      hook,
      width: w,
      tokens: n,
      excess,
      rotated: { values, mean, std, min: Math.min(...values), max },
      privileged: excess > max,
    };
  });
  return { rotations, seed, hooks: result };
}
