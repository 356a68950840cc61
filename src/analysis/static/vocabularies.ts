/**
 * Vocabularies: named sets of residual-stream vectors [n, d] with one label each. The input ones are
 * the embeddings (state features, actions, RTG, timesteps, positions) and saved directions; the output
 * one is the action predictor W_U; neurons give W_in columns and W_out rows. Every full circuit,
 * congruence and SVD read-out is a product of two vocabularies through some weights.
 */
import { check } from '../../errors.ts';
import { DENSE_CHANNEL_NAMES, SPARSE_CHANNEL_NAMES } from '../../env/features.ts';
import { tokenLabels } from '../../model/tokens.ts';
import { isLinearTimeEmbedding } from '../../model/weights.ts';
import type { NdArray } from '../dynamic/run.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import type { WeightsModel } from './model.ts';
import { checkHead } from './model.ts';

export interface Vocabulary {
  name: string;
  labels: string[];
  /** [n, d] */
  vectors: NdArray;
  /** Per-row group used for colouring (state channel, layer, ...); absent = one group. */
  groups?: string[];
}

export const VOCABULARY_NAMES = ['state', 'action', 'rtg', 'time', 'position'] as const;
export type EmbeddingVocabulary = (typeof VOCABULARY_NAMES)[number];

/** Channel names of an observation with C channels (20: one-hot, 3: dense). */
export const channelNames = (C: number): readonly string[] =>
  C === SPARSE_CHANNEL_NAMES.length
    ? SPARSE_CHANNEL_NAMES
    : C === DENSE_CHANNEL_NAMES.length
      ? DENSE_CHANNEL_NAMES
      : Array.from({ length: C }, (_, c) => `channel ${c}`);

/** Transposes W [d, n] to rows [n, d]. */
function rowsOf(W: NdArray): Float32Array {
  const [d, n] = W.shape;
  const out = new Float32Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) out[i * d + j] = W.data[j * n + i];
  return out;
}

/**
 * State features: the columns of state_embedding.weight [d, X·Y·C] in DTI's (c, x, y) order, labelled
 * `"key, (2,6)"` and grouped by channel.
 */
export function stateVocabulary(m: WeightsModel): Vocabulary {
  const W = m.weights.stateEmbedding;
  const [X, Y, C] = m.arch.obsShape;
  const names = channelNames(C);
  const n = W.shape[1];
  const labels: string[] = [];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / (X * Y));
    const x = Math.floor((i % (X * Y)) / Y);
    labels.push(`${names[c]}, (${x},${i % Y})`);
    groups.push(names[c]);
  }
  return { name: 'state', labels, groups, vectors: { shape: [n, W.shape[0]], data: rowsOf(W) } };
}

/** Action embeddings without the padding row [A, d] (as DTI's `action_embedding[:-1]`). */
export function actionVocabulary(m: WeightsModel): Vocabulary {
  const A = m.arch.nActions;
  const d = m.arch.dModel;
  return {
    name: 'action',
    labels: Array.from({ length: A }, (_, a) => actionName(a)),
    vectors: { shape: [A, d], data: m.weights.actionEmbedding.data.slice(0, A * d) },
  };
}

/** The RTG embedding direction w_R [1, d] (an RTG token is rtg · w_R). */
export const rtgVocabulary = (m: WeightsModel): Vocabulary => ({
  name: 'rtg',
  labels: ['RTG'],
  vectors: { shape: [1, m.arch.dModel], data: m.weights.rtgEmbedding.data.slice() },
});

/** Positional embeddings W_pos [n_ctx, d], labelled R1 S1 A1 ... */
export const positionVocabulary = (m: WeightsModel): Vocabulary => ({
  name: 'position',
  labels: tokenLabels(m.arch.nCtx),
  vectors: { shape: [m.arch.nCtx, m.arch.dModel], data: m.weights.W_pos.data.slice() },
});

/**
 * Time embeddings for timesteps 0..maxTimestep (default all rows of the Embedding); a linear time
 * embedding gives its single direction `w` ("time (linear)").
 */
export function timeVocabulary(m: WeightsModel, maxTimestep?: number): Vocabulary {
  const t = m.weights.timeEmbedding;
  const d = m.arch.dModel;
  if (isLinearTimeEmbedding(t))
    return {
      name: 'time',
      labels: ['time (linear)'],
      vectors: { shape: [1, d], data: t.W.data.slice(0, d) },
    };
  const rows = t.shape[0];
  const n = maxTimestep === undefined ? rows : maxTimestep + 1;
  check(
    Number.isInteger(n) && n >= 1 && n <= rows,
    'BAD_INPUT',
    `timestep ${maxTimestep} is outside the time embedding's range 0..${rows - 1}`,
  );
  return {
    name: 'time',
    labels: Array.from({ length: n }, (_, i) => `t=${i}`),
    vectors: { shape: [n, d], data: t.data.slice(0, n * d) },
  };
}

/** One of the embedding vocabularies by name. */
export function embeddingVocabulary(m: WeightsModel, name: EmbeddingVocabulary): Vocabulary {
  switch (name) {
    case 'state':
      return stateVocabulary(m);
    case 'action':
      return actionVocabulary(m);
    case 'rtg':
      return rtgVocabulary(m);
    case 'time':
      return timeVocabulary(m);
    case 'position':
      return positionVocabulary(m);
  }
}

/** The action predictor's rows W_U [A, d] (the unembedding; no bias). */
export function unembedVocabulary(m: WeightsModel): Vocabulary {
  const W = m.weights.actionPredictor.W;
  return {
    name: 'action predictor',
    labels: Array.from({ length: W.shape[0] }, (_, a) => actionName(a)),
    vectors: { shape: [...W.shape], data: W.data },
  };
}

/** Neurons of layer l: input directions (W_in columns) or output directions (W_out rows) [d_mlp, d]. */
export function neuronVocabulary(m: WeightsModel, layer: number, side: 'in' | 'out'): Vocabulary {
  checkHead(m.arch, layer, 0);
  const { W_in, W_out } = m.weights.blocks[layer].mlp;
  const n = m.arch.dMlp;
  return {
    name: `L${layer} neurons (${side === 'in' ? 'W_in' : 'W_out'})`,
    labels: Array.from({ length: n }, (_, i) => `L${layer}N${i}`),
    vectors: { shape: [n, m.arch.dModel], data: side === 'in' ? rowsOf(W_in) : W_out.data },
  };
}

/** Rows `selection` of a vocabulary (BAD_INPUT naming the bad index). */
export function selectRows(v: Vocabulary, selection: readonly number[]): Vocabulary {
  const [n, d] = v.vectors.shape;
  const data = new Float32Array(selection.length * d);
  selection.forEach((i, r) => {
    check(Number.isInteger(i) && i >= 0 && i < n, 'BAD_INPUT', `${v.name} index ${i} is outside 0..${n - 1}`);
    data.set(v.vectors.data.subarray(i * d, (i + 1) * d), r * d);
  });
  return {
    name: v.name,
    labels: selection.map((i) => v.labels[i]),
    ...(v.groups && { groups: selection.map((i) => v.groups![i]) }),
    vectors: { shape: [selection.length, d], data },
  };
}

/** Index of every label in `wanted` (BAD_INPUT for an unknown label). */
export function indicesOf(v: Vocabulary, wanted: readonly string[]): number[] {
  return wanted.map((w) => {
    const i = v.labels.indexOf(w);
    check(i >= 0, 'BAD_INPUT', `"${w}" is not a ${v.name} label (e.g. "${v.labels[0]}")`);
    return i;
  });
}
