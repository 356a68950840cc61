/**
 * Congruence (DTI "Congruence"): raw dot products between what one component writes and what another
 * reads, `C[i, j] = writer_i · reader_j` for two vocabularies (no normalisation, as DTI). Presets:
 * embeddings -> MLP W_in per layer (the correct `Σ_d W_in[l, d, n] W_E[d, e]`, any d_mlp), embeddings ->
 * action predictor, neurons W_out -> action predictor, MLP -> later MLP, and position / time embeddings
 * against the action predictor and against each head's Q/K/V inputs (‖e · W_X[h]‖, the length of
 * what the head reads from e).
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import { type HeadMatrix, type WeightsModel, eachHead, headLabels } from './model.ts';
import { type Vocabulary, neuronVocabulary, unembedVocabulary } from './vocabularies.ts';

export interface CongruenceResult {
  writer: string;
  reader: string;
  writerLabels: string[];
  readerLabels: string[];
  writerGroups?: string[];
  /** [n_writer, n_reader] */
  values: NdArray;
}

/** `writer_i · reader_j` for every pair [n_w, n_r] (one GEMM). */
export function congruence(m: WeightsModel, writer: Vocabulary, reader: Vocabulary): CongruenceResult {
  const d = m.arch.dModel;
  for (const v of [writer, reader])
    check(
      v.vectors.shape[1] === d,
      'BAD_SHAPE',
      `${v.name} vectors have width ${v.vectors.shape[1]}, the model's d_model is ${d}`,
    );
  const [nw] = writer.vectors.shape;
  const [nr] = reader.vectors.shape;
  return {
    writer: writer.name,
    reader: reader.name,
    writerLabels: writer.labels,
    readerLabels: reader.labels,
    ...(writer.groups && { writerGroups: writer.groups }),
    values: {
      shape: [nw, nr],
      data: m.gemm.matmul(writer.vectors.data, reader.vectors.data, nw, d, nr, { transB: true }),
    },
  };
}

/** Congruence of a vocabulary with the action predictor rows [n, A]. */
export const congruenceWithPredictor = (m: WeightsModel, v: Vocabulary): CongruenceResult =>
  congruence(m, v, unembedVocabulary(m));

/** Congruence of a vocabulary with layer l's neuron inputs (W_in columns) [n, d_mlp]. */
export const congruenceWithMlpIn = (m: WeightsModel, v: Vocabulary, layer: number): CongruenceResult =>
  congruence(m, v, neuronVocabulary(m, layer, 'in'));

/** Neuron outputs of layer l (W_out rows) against the action predictor [d_mlp, A]. */
export const neuronsToPredictor = (m: WeightsModel, layer: number): CongruenceResult =>
  congruence(m, neuronVocabulary(m, layer, 'out'), unembedVocabulary(m));

/** Neuron outputs of layer lOut against neuron inputs of a later layer lIn [d_mlp, d_mlp]. */
export function mlpToMlp(m: WeightsModel, lOut: number, lIn: number): CongruenceResult {
  check(lOut < lIn, 'BAD_INPUT', `an MLP only writes to later MLPs: layer ${lOut} -> ${lIn} is not forward`);
  return congruence(m, neuronVocabulary(m, lOut, 'out'), neuronVocabulary(m, lIn, 'in'));
}

export interface HeadInputCongruence {
  heads: string[];
  inputs: HeadMatrix[];
  labels: string[];
  vocabulary: string;
  /** [L, H, 3, n]: ‖v_i · W_X[l, h]‖ for X = Q, K, V */
  values: NdArray;
}

/** How much each head's Q, K and V inputs read each vector of a vocabulary: ‖v · W_X‖ [L, H, 3, n]. */
export function headInputCongruence(m: WeightsModel, v: Vocabulary): HeadInputCongruence {
  const { nLayers: L, nHeads: H, dModel: d, dHead: dh } = m.arch;
  check(
    v.vectors.shape[1] === d,
    'BAD_SHAPE',
    `${v.name} vectors have width ${v.vectors.shape[1]}, the model's d_model is ${d}`,
  );
  const n = v.vectors.shape[0];
  const inputs: HeadMatrix[] = ['W_Q', 'W_K', 'W_V'];
  const out = new Float32Array(L * H * 3 * n);
  eachHead(m.arch).forEach(({ l, h }, i) =>
    inputs.forEach((which, x) => {
      const W = m.weights.blocks[l].attn[which].data.subarray(h * d * dh, (h + 1) * d * dh);
      const p = m.gemm.matmul(v.vectors.data, W, n, d, dh);
      for (let r = 0; r < n; r++) out[(i * 3 + x) * n + r] = Math.hypot(...p.subarray(r * dh, (r + 1) * dh));
    }),
  );
  return {
    heads: headLabels(m.arch),
    inputs,
    labels: v.labels,
    vocabulary: v.name,
    values: { shape: [L, H, 3, n], data: out },
  };
}
