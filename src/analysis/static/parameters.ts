/**
 * Parameters and neurons (DTI "Parameter Distributions", "Neuron Directions"). For every parameter
 * (DTI state-dict names): mean, std (shown as −log std against DTI's reference −log 0.02) and norm
 * (mean L2 norm along dim 1 for tensors of rank >= 2, else the L2 norm). Neuron directions: W_in
 * columns and W_out rows of selected neurons, compared by cosine similarity in the residual stream and
 * after projection onto the unit-normalised action predictor rows (action space).
 */
import type { NdArray } from '../dynamic/run.ts';
import { isLinearTimeEmbedding } from '../../model/weights.ts';
import { type WeightsModel, checkNeuron } from './model.ts';
import { similarityMatrix, type SimilarityResult, prepareVocabulary } from './embeddings.ts';
import { type Vocabulary, unembedVocabulary } from './vocabularies.ts';

/** −log(0.02): DTI's reference line for −log std (the initialisation std). */
export const DTI_STD_REFERENCE = -Math.log(0.02);

export interface ParameterStats {
  name: string;
  shape: number[];
  /** weight | bias | embedding | other (DTI's colours) */
  kind: 'weight' | 'bias' | 'embedding' | 'other';
  mean: number;
  std: number;
  negLogStd: number;
  norm: number;
}

/** Every parameter of the (processed) model with its DTI state-dict name. */
export function namedParameters(m: WeightsModel): { name: string; t: NdArray }[] {
  const w = m.weights;
  const out: { name: string; t: NdArray }[] = [
    { name: 'state_embedding.weight', t: w.stateEmbedding },
    { name: 'reward_embedding.0.weight', t: w.rtgEmbedding },
    { name: 'action_embedding.0.weight', t: w.actionEmbedding },
  ];
  const time = w.timeEmbedding;
  if (isLinearTimeEmbedding(time)) {
    out.push({ name: 'time_embedding.weight', t: time.W });
    if (time.b) out.push({ name: 'time_embedding.bias', t: time.b });
  } else out.push({ name: 'time_embedding.weight', t: time });
  out.push({ name: 'transformer.pos_embed.W_pos', t: w.W_pos });
  const ln = (name: string, l: { w: Float32Array; b: Float32Array } | undefined) =>
    l &&
    out.push(
      { name: `${name}.w`, t: { shape: [l.w.length], data: l.w } },
      { name: `${name}.b`, t: { shape: [l.b.length], data: l.b } },
    );
  w.blocks.forEach((b, l) => {
    const p = `transformer.blocks.${l}`;
    ln(`${p}.ln1`, b.ln1);
    for (const k of ['W_Q', 'W_K', 'W_V', 'W_O', 'b_Q', 'b_K', 'b_V', 'b_O'] as const)
      out.push({ name: `${p}.attn.${k}`, t: b.attn[k] });
    ln(`${p}.ln2`, b.ln2);
    for (const k of ['W_in', 'W_gate', 'b_gate', 'b_linear', 'b_in', 'W_out', 'b_out'] as const) {
      const t = b.mlp[k];
      if (t) out.push({ name: `${p}.mlp.${k}`, t });
    }
  });
  ln('transformer.ln_final', w.lnFinal);
  for (const [name, p] of [
    ['action_predictor', w.actionPredictor],
    ['state_predictor', w.statePredictor],
    ['reward_predictor', w.rewardPredictor],
  ] as const) {
    if (!p) continue;
    out.push({ name: `${name}.weight`, t: p.W });
    if (p.b) out.push({ name: `${name}.bias`, t: p.b });
  }
  return out;
}

const kindOf = (name: string): ParameterStats['kind'] =>
  name.includes('embed')
    ? 'embedding'
    : /weight|W_/.test(name)
      ? 'weight'
      : /bias|b_/.test(name)
        ? 'bias'
        : 'other';

/** Mean, std (unbiased, as torch), −log std and norm of every parameter. */
export function parameterStats(m: WeightsModel): ParameterStats[] {
  return namedParameters(m).map(({ name, t }) => {
    const n = t.data.length;
    let mean = 0;
    for (const v of t.data) mean += v / n;
    let ss = 0;
    for (const v of t.data) ss += (v - mean) ** 2;
    const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    let norm: number;
    if (t.shape.length >= 2) {
      // mean over all other indices of the L2 norm along dim 1
      const [a, b] = t.shape;
      const rest = n / (a * b);
      let total = 0;
      for (let i = 0; i < a; i++)
        for (let r = 0; r < rest; r++) {
          let s = 0;
          for (let j = 0; j < b; j++) s += t.data[(i * b + j) * rest + r] ** 2;
          total += Math.sqrt(s);
        }
      norm = total / (a * rest);
    } else norm = Math.hypot(...t.data);
    return { name, shape: [...t.shape], kind: kindOf(name), mean, std, negLogStd: -Math.log(std), norm };
  });
}

export interface NeuronRef {
  layer: number;
  neuron: number;
  /** in: W_in column; out: W_out row */
  side: 'in' | 'out';
}

export interface NeuronDirectionsResult {
  labels: string[];
  /** Cosine similarity in the residual stream [k, k] */
  residual: SimilarityResult;
  /** [k, A]: each direction · unit-normalised W_U rows */
  actionProjection: NdArray;
  actions: string[];
  /** Cosine similarity of the action-space vectors [k, k] */
  actionSpace: SimilarityResult;
}

/** The selected neurons' input / output directions (labels `L0N5 in`). */
export function neuronDirections(
  m: WeightsModel,
  refs: readonly NeuronRef[],
  cluster = true,
): NeuronDirectionsResult {
  const d = m.arch.dModel;
  const data = new Float32Array(refs.length * d);
  refs.forEach(({ layer, neuron, side }, r) => {
    checkNeuron(m.arch, layer, neuron);
    const { W_in, W_out } = m.weights.blocks[layer].mlp;
    for (let j = 0; j < d; j++)
      data[r * d + j] = side === 'in' ? W_in.data[j * m.arch.dMlp + neuron] : W_out.data[neuron * d + j];
  });
  const labels = refs.map((r) => `L${r.layer}N${r.neuron} ${r.side}`);
  const dirs: Vocabulary = { name: 'neuron directions', labels, vectors: { shape: [refs.length, d], data } };
  const U = prepareVocabulary(unembedVocabulary(m));
  const A = U.vectors.shape[0];
  const proj = m.gemm.matmul(data, U.vectors.data, refs.length, d, A, { transB: true });
  const actionVocab: Vocabulary = {
    name: 'action space',
    labels,
    vectors: { shape: [refs.length, A], data: proj },
  };
  return {
    labels,
    residual: similarityMatrix(dirs, 'cosine', cluster),
    actionProjection: { shape: [refs.length, A], data: proj },
    actions: U.labels,
    actionSpace: similarityMatrix(actionVocab, 'cosine', cluster),
  };
}
