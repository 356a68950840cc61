/**
 * Direct logit attribution (DTI "Logit Lens" Layerwise / Component / Head / Neuron tabs, TL 1.2.2
 * semantics): each residual component at one position, centred and divided by the cached ln_final scale
 * (`applyLn`), dotted with the logit direction. The sum of the components is checked against the
 * model's logit difference and the residual error is returned. Also DTI's own 14-component
 * `get_residual_decomp` (no LN scaling), checked against the final residual stream · direction.
 */
import { check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import { type AnalysisRun, dot, positionOffset, resolveIndex, runDims, sum } from './run.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { DEFAULT_LOGIT_DIRECTION, type LogitDirectionSpec, logitDirection } from './logitDirection.ts';

export interface DecompositionOptions {
  direction?: LogitDirectionSpec;
  batch?: number;
  /** Token position (default: the last S token, which predicts the next action; negative counts from the end). */
  position?: number;
  /** Attribute every MLP neuron too (`getFullResidDecomposition(expandNeurons)`; default true). */
  neurons?: boolean;
}

export interface Attribution {
  labels: string[];
  values: number[];
}

/** `sum` of the components against the `target` they should add up to; `error = sum − target`. */
export interface SumCheck {
  sum: number;
  target: number;
  error: number;
}

export interface DecompositionResult {
  direction: { positive: number; negative: number | null; label: string };
  batch: number;
  position: number;
  tokenLabel: string;
  /** The model's logit difference at `position`: transformer output · direction (no bias). */
  logitDiff: number;
  /** `decomposeResid(-1, {applyLn})`: embed, pos_embed, {l}_attn_out, {l}_mlp_out */
  layers: Attribution & { check: SumCheck };
  /** `stackHeadResults(-1, {applyLn})`, values [L*H], also as a grid [L][H] */
  heads: Attribution & { grid: number[][] };
  /** `getFullResidDecomposition(-1, {applyLn, expandNeurons: false})`: heads, {l}_mlp_out, embed, pos_embed, bias */
  components: Attribution & { check: SumCheck };
  /** The same with every neuron (`L{l}N{n}`) instead of {l}_mlp_out */
  neurons?: Attribution & { check: SumCheck };
  /** DTI `get_residual_decomp(include_attention_bias=True)`, no LN scaling; target = final resid_post · direction */
  dti: Attribution & { check: SumCheck };
  /** Caveats on the checks (e.g. an unfolded final LayerNorm). */
  notes: string[];
}

const sumCheck = (values: number[], target: number): SumCheck => {
  const s = sum(values);
  return { sum: s, target, error: s - target };
};

export function decomposeLogitDiff(
  run: AnalysisRun,
  options: DecompositionOptions = {},
): DecompositionResult {
  const { B, P, d } = runDims(run);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const dir = logitDirection(run.cache, options.direction ?? DEFAULT_LOGIT_DIRECTION);
  const { nLayers: L, nHeads: H, normalization } = run.model.arch;
  const logitDiff = dot(run.transformerOut.data, (b * P + p) * d, dir.vector);
  const withNeurons = (options.neurons ?? true) && L > 0;
  const levels: DecompositionLevel[] = withNeurons
    ? ['layers', 'components', 'neurons']
    : ['layers', 'components'];
  const rows = logitDiffAttributions(run.cache, run.model, p, dir.vector, { applyLn: true, levels });
  const at = (level: DecompositionLevel): Attribution => ({
    labels: rows[level]!.labels,
    values: rows[level]!.values.map((v) => v[b]),
  });
  const layers = at('layers');
  const components = at('components');
  const heads = { labels: components.labels.slice(0, L * H), values: components.values.slice(0, L * H) };
  const neurons = withNeurons ? at('neurons') : undefined;

  const notes: string[] = [];
  if (normalization === 'LN')
    notes.push(
      "ln_final's weight and bias are not folded into the direction (TL applies only its centring and scale), so the " +
        'components do not sum to the logit difference; load processed or dti-compat weights for exact attributions',
    );
  return {
    direction: { positive: dir.positive, negative: dir.negative, label: dir.label },
    batch: b,
    position: p,
    tokenLabel: run.tokenLabels[p],
    logitDiff,
    layers: { ...layers, check: sumCheck(layers.values, logitDiff) },
    heads: {
      ...heads,
      grid: Array.from({ length: L }, (_, l) => heads.values.slice(l * H, (l + 1) * H)),
    },
    components: { ...components, check: sumCheck(components.values, logitDiff) },
    ...(neurons && { neurons: { ...neurons, check: sumCheck(neurons.values, logitDiff) } }),
    dti: dtiResidualDecomposition(run, b, p, dir.vector),
    notes,
  };
}

/**
 * Decomposition levels of the logit difference (TL names): `layers` = `decompose_resid` (embed,
 * pos_embed, {l}_attn_out, {l}_mlp_out); `components` = `get_full_resid_decomposition(expand_neurons=False)`
 * (L{l}H{h}, {l}_mlp_out, embed, pos_embed, bias); `neurons` = the same with every neuron L{l}N{n}
 * instead of {l}_mlp_out (bias then includes every b_out).
 */
export type DecompositionLevel = 'layers' | 'components' | 'neurons';
export const DECOMPOSITION_LEVELS: readonly DecompositionLevel[] = ['layers', 'components', 'neurons'];

/** One level's attributions for every batch row: `values[component][row]`. */
export interface RowAttributions {
  labels: string[];
  values: number[][];
}

export interface AttributionOptions {
  /** TL `apply_ln=True`: centre each component and divide by the cached ln_final scale (default true). */
  applyLn?: boolean;
  /** Levels to compute (default all three). */
  levels?: readonly DecompositionLevel[];
}

/**
 * The logit difference at token position `p` of every batch row, attributed to the residual
 * components at the requested levels, without materialising the [n, B, P, d] stacks. Centring is
 * linear, so TL's `apply_ln_to_stack(c) · dir = c · (dir − mean(dir)) / scale[b, p]`; a head contributes
 * `z[b, p, h] · (W_O[h] dir')` (TL `hook_result`, no bias) and a neuron `post[b, p, n] · (W_out[n] · dir')`.
 * Without `applyLn` (or without normalisation) `dir' = dir` and the scale is 1. The cache must hold
 * hook_embed, hook_pos_embed, every hook_attn_out / hook_mlp_out (layers, components), hook_z
 * (components, neurons), mlp.hook_post (neurons) and ln_final.hook_scale (applyLn). The cache may come
 * from a last-position run (its activations hold only the last token; p must be that token).
 */
export function logitDiffAttributions(
  cache: ActivationCache,
  model: DecisionTransformer,
  p: number,
  dir: Float32Array,
  options: AttributionOptions = {},
): Partial<Record<DecompositionLevel, RowAttributions>> {
  const { nLayers: L, nHeads: H, dHead: dh, dMlp: m, dModel: d, normalization } = model.arch;
  const levels = options.levels ?? DECOMPOSITION_LEVELS;
  const lnScaled = (options.applyLn ?? true) && normalization !== null;
  const B = cache.get('hook_embed').shape[0];
  const P = cache.nTokens;
  check(p >= 0 && p < P, 'BAD_INPUT', `token position ${p} is outside 0..${P - 1}`);
  const mean = lnScaled ? dir.reduce((a, v) => a + v, 0) / d : 0;
  const dirC = dir.map((v) => v - mean);
  const scale = lnScaled ? cache.get('ln_final.hook_scale') : null;
  const inv = Float64Array.from({ length: B }, (_, b) =>
    scale ? 1 / scale.data[positionOffset(scale, b, p, P)] : 1,
  );
  const resid = (name: string) => {
    const x = cache.get(name);
    return Array.from({ length: B }, (_, b) => dot(x.data, positionOffset(x, b, p, P), dirC) * inv[b]);
  };
  const constant = (bias: Float32Array) => {
    const v = dot(bias, 0, dirC);
    return Array.from(inv, (s) => v * s);
  };
  const embeds = () => [resid('hook_embed'), resid('hook_pos_embed')];
  const heads = (): number[][] => {
    const out: number[][] = [];
    for (let l = 0; l < L; l++) {
      const z = cache.get(`blocks.${l}.attn.hook_z`); // [B, P, H, dh]
      const WO = model.weights.blocks[l].attn.W_O.data; // [H, dh, d]
      for (let h = 0; h < H; h++) {
        const u = Float64Array.from({ length: dh }, (_, e) => dot(WO, (h * dh + e) * d, dirC));
        out.push(
          Array.from({ length: B }, (_, b) => dot(z.data, positionOffset(z, b, p, P) + h * dh, u) * inv[b]),
        );
      }
    }
    return out;
  };
  const result: Partial<Record<DecompositionLevel, RowAttributions>> = {};
  const layerLabels = Array.from({ length: L }, (_, l) => l);
  if (levels.includes('layers')) {
    result.layers = {
      labels: ['embed', 'pos_embed', ...layerLabels.flatMap((l) => [`${l}_attn_out`, `${l}_mlp_out`])],
      values: [
        ...embeds(),
        ...layerLabels.flatMap((l) => [
          resid(`blocks.${l}.hook_attn_out`),
          resid(`blocks.${l}.hook_mlp_out`),
        ]),
      ],
    };
  }
  const needHeads = levels.includes('components') || levels.includes('neurons');
  const headValues = needHeads ? heads() : [];
  const headLabels = layerLabels.flatMap((l) => Array.from({ length: H }, (_, h) => `L${l}H${h}`));
  if (levels.includes('components')) {
    result.components = {
      labels: [...headLabels, ...layerLabels.map((l) => `${l}_mlp_out`), 'embed', 'pos_embed', 'bias'],
      values: [
        ...headValues,
        ...layerLabels.map((l) => resid(`blocks.${l}.hook_mlp_out`)),
        ...embeds(),
        constant(cache.accumulatedBias(L, false, false).data.subarray(0, d)),
      ],
    };
  }
  if (levels.includes('neurons')) {
    const labels = [...headLabels];
    const values = [...headValues];
    for (let l = 0; l < L; l++) {
      const post = cache.get(`blocks.${l}.mlp.hook_post`); // [B, P, m]
      const Wout = model.weights.blocks[l].mlp.W_out.data; // [m, d]
      const rows = Array.from({ length: B }, (_, b) => positionOffset(post, b, p, P));
      for (let n = 0; n < m; n++) {
        const w = dot(Wout, n * d, dirC);
        labels.push(`L${l}N${n}`);
        values.push(rows.map((o, b) => post.data[o + n] * w * inv[b]));
      }
    }
    labels.push('embed', 'pos_embed', 'bias');
    values.push(...embeds(), constant(cache.accumulatedBias(L, false, true).data.subarray(0, d)));
    result.neurons = { labels, values };
  }
  return result;
}

/**
 * DTI `analysis.get_residual_decomp(..., include_attention_bias=True)`: "Input Tokens" (resid_pre 0 −
 * pos_embed = hook_embed), "Positional Embedding", then per layer each head's z @ W_O, the attention bias b_O and
 * the MLP output, all dotted with the direction without LN scaling.
 */
function dtiResidualDecomposition(
  run: AnalysisRun,
  b: number,
  p: number,
  dir: Float32Array,
): Attribution & { check: SumCheck } {
  const { cache, model } = run;
  const { P, d } = runDims(run);
  const { nLayers: L, nHeads: H } = model.arch;
  const at = (name: string) => dot(cache.get(name).data, (b * P + p) * d, dir);
  const labels = ['Input Tokens', 'Positional Embedding'];
  const values = [at('hook_embed'), at('hook_pos_embed')];
  for (let l = 0; l < L; l++) {
    const r = cache.headResult(l); // [B, P, H, d]
    for (let h = 0; h < H; h++) {
      labels.push(`Attention Layer ${l} Head ${h}`);
      values.push(dot(r.data, ((b * P + p) * H + h) * d, dir));
    }
    labels.push(`Attention Bias Layer ${l}`);
    values.push(dot(model.weights.blocks[l].attn.b_O.data, 0, dir));
    labels.push(`MLP Layer ${l}`);
    values.push(at(`blocks.${l}.hook_mlp_out`));
  }
  const target = at(`blocks.${L - 1}.hook_resid_post`);
  return { labels, values, check: sumCheck(values, target) };
}
