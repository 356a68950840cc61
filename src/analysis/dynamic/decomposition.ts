/**
 * Direct logit attribution (DTI "Logit Lens" Layerwise / Component / Head / Neuron tabs, TL 1.2.2
 * semantics): each residual component at one position, centred and divided by the cached ln_final scale
 * (`applyLn`), dotted with the logit direction. The sum of the components is checked against the
 * model's logit difference and the residual error is returned. Also DTI's own 14-component
 * `get_residual_decomp` (no LN scaling), checked against the final residual stream · direction.
 */
import type { ComponentStack } from '../../model/activationCache.ts';
import { type AnalysisRun, dot, projectAt, resolveIndex, runDims, sum } from './run.ts';
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
  const { cache, model } = run;
  const { nLayers: L, nHeads: H, normalization } = model.arch;
  const logitDiff = dot(run.transformerOut.data, (b * P + p) * d, dir.vector);
  const attribute = (stack: ComponentStack): Attribution => ({
    labels: stack.labels,
    values: projectAt(stack, b, p, dir.vector),
  });

  const layers = attribute(cache.decomposeResid(-1, { applyLn: true }));
  const heads = attribute(cache.stackHeadResults(-1, { applyLn: true }));
  const components = attribute(cache.getFullResidDecomposition(-1, { applyLn: true, expandNeurons: false }));
  const neurons =
    (options.neurons ?? true) && L > 0 ? neuronDecomposition(run, b, p, dir.vector, components) : undefined;

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

/**
 * `getFullResidDecomposition(-1, {applyLn, expandNeurons: true})` projected at one position, without
 * materialising the [L·d_mlp, B, P, d] stack: since centring is linear,
 * `applyLn(c) · dir = c · (dir − mean(dir)) / scale`, so neuron n of layer l contributes
 * `post[n] · (W_out[n] · dir_c) / scale`. Heads, embed and pos_embed are those of the non-expanded
 * decomposition; the bias also includes every b_out (TL `accumulated_bias(include_mlp_biases)`).
 */
function neuronDecomposition(
  run: AnalysisRun,
  b: number,
  p: number,
  dir: Float32Array,
  components: Attribution,
): Attribution {
  const { cache, model } = run;
  const { P, d } = runDims(run);
  const { nLayers: L, nHeads: H, dMlp: m, normalization } = model.arch;
  const dirMean = normalization ? dir.reduce((a, v) => a + v, 0) / d : 0;
  const dirC = dir.map((v) => v - dirMean);
  const scale = normalization ? cache.get('ln_final.hook_scale').data[b * P + p] : 1;
  const labels = components.labels.slice(0, L * H);
  const values = components.values.slice(0, L * H);
  for (let l = 0; l < L; l++) {
    const post = cache.get(`blocks.${l}.mlp.hook_post`).data;
    const Wout = model.weights.blocks[l].mlp.W_out.data;
    for (let n = 0; n < m; n++) {
      labels.push(`L${l}N${n}`);
      values.push((post[(b * P + p) * m + n] * dot(Wout, n * d, dirC)) / scale);
    }
  }
  const [embed, posEmbed] = components.values.slice(-3, -1); // components end with embed, pos_embed, bias
  const bias = cache.accumulatedBias(L, false, true).data;
  labels.push('embed', 'pos_embed', 'bias');
  values.push(embed, posEmbed, dot(bias, 0, dirC) / scale);
  return { labels, values };
}
