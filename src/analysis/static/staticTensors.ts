/**
 * Every weights-only result as named tensors (what `dtlens static` writes). The names and shapes of
 * the first group follow the golden file of DTI's static analyses (`static_<variant>.safetensors`):
 * `composition_scores.Q|K|V`, `ov_circuit`, `qk_circuit`, `ov_svd.S`, `qk_svd.S` (full d×d SVD),
 * `ov_factored.S`, `qk_factored.S`, `full_ov.state_action|action_action|rtg_action|pos_action`,
 * `full_qk.state_rtg` and the app's default `full_qk.state_state.k265|q258_335` selections.
 * `full_ov.action_action` is DTI's product `W_U · W_OV · W_Eaᵀ` [action_out, action_in], which reads the
 * action predictor through the head's input side; `full_ov.action_in_out` is the corrected circuit
 * `W_Ea · W_OV · W_Uᵀ` [action_in, action_out].
 */
import type { NdArray } from '../dynamic/run.ts';
import { fullOV, fullQK, ovCircuit, qkCircuit } from './circuits.ts';
import { COMPOSITION_TYPES, compositionScores } from './composition.ts';
import { isLinearTimeEmbedding } from '../../model/weights.ts';
import {
  congruenceWithMlpIn,
  congruenceWithPredictor,
  headInputCongruence,
  mlpToMlp,
  neuronsToPredictor,
} from './congruence.ts';
import { similarityMatrix, vectorNorms } from './embeddings.ts';
import { metaComposition } from './metaComposition.ts';
import { mlpComposition } from './mlpComposition.ts';
import type { WeightsModel } from './model.ts';
import { parameterStats } from './parameters.ts';
import { fullSvdValues, headSvd } from './svd.ts';
import {
  type EmbeddingVocabulary,
  VOCABULARY_NAMES,
  actionVocabulary,
  embeddingVocabulary,
  positionVocabulary,
  rtgVocabulary,
  selectRows,
  stateVocabulary,
  timeVocabulary,
  unembedVocabulary,
} from './vocabularies.ts';

/** DTI's app defaults for QK(state, state): key feature 265 ("key, (2,6)"), query features 258 and 335. */
export const DTI_QK_KEY_SELECTION = [265];
export const DTI_QK_QUERY_SELECTION = [258, 335];

const reshape = (a: NdArray, shape: number[]): NdArray => ({ shape, data: a.data });

/** Timesteps covered by the time-embedding maps in the static file (t = 0..100). */
export const TIME_MAP_STEPS = 101;

export interface StaticOptions {
  /** Random samples of every baseline (default: each analysis's own default) */
  baselineSamples?: number;
}

export interface StaticResults {
  tensors: Record<string, NdArray>;
  /** Row labels of tensors whose rows are not self-explanatory (meta-composition writers, ...) */
  labels: Record<string, string[]>;
}

/** The golden set plus every other weights-only result (see the module comment and docs/static-analyses.md). */
export function staticResults(m: WeightsModel, options: StaticOptions = {}): StaticResults {
  const tensors = staticTensors(m, options);
  const labels: Record<string, string[]> = {};
  const put = (name: string, t: NdArray, rowLabels?: string[]) => {
    tensors[name] = t;
    if (rowLabels) labels[name] = rowLabels;
  };
  for (const t of COMPOSITION_TYPES) labels[`composition_baseline.${t}`] = ['mean', 'lo 2.5%', 'hi 97.5%'];
  for (const c of ['OV', 'QK'] as const) {
    const svd = headSvd(m, c);
    put(`${c.toLowerCase()}_factored.U`, svd.U);
    put(`${c.toLowerCase()}_factored.V`, svd.V);
  }
  const meta = metaComposition(m, options);
  const writers = meta.writers.map((w) => w.label);
  put('meta_composition.scores', meta.scores, writers);
  put('meta_composition.later', meta.later, writers);
  put(
    'meta_composition.baseline_mean',
    { shape: meta.scores.shape, data: Float32Array.from(meta.baselines, (b) => b.mean) },
    writers,
  );
  put(
    'meta_composition.total_influence',
    { shape: [writers.length], data: Float32Array.from(meta.totalInfluence) },
    writers,
  );
  labels['meta_composition.readers'] = meta.readers.map((r) => r.label);
  const state = stateVocabulary(m);
  const pos = positionVocabulary(m);
  const time = timeVocabulary(
    m,
    isLinearTimeEmbedding(m.weights.timeEmbedding)
      ? undefined
      : Math.min(TIME_MAP_STEPS, m.weights.timeEmbedding.shape[0]) - 1,
  );
  for (let l = 0; l < m.arch.nLayers; l++) {
    const mc = mlpComposition(m, l, options);
    put(`mlp_composition.L${l}.into`, mc.into.values, mc.into.labels);
    put(`mlp_composition.L${l}.out`, mc.out.values, mc.out.labels);
    for (const later of mc.toLaterMlps) put(`mlp_composition.L${l}.to_L${later.layer}`, later.values);
    put(`congruence.state_mlp_in.L${l}`, congruenceWithMlpIn(m, state, l).values);
    put(`congruence.neurons_predictor.L${l}`, neuronsToPredictor(m, l).values);
    for (let l2 = l + 1; l2 < m.arch.nLayers; l2++)
      put(`congruence.mlp_mlp.L${l}_L${l2}`, mlpToMlp(m, l, l2).values);
  }
  put('congruence.state_predictor', congruenceWithPredictor(m, state).values);
  for (const [name, v] of [
    ['position', pos],
    ['time', time],
  ] as const) {
    put(`congruence.${name}_predictor`, congruenceWithPredictor(m, v).values, v.labels);
    put(`congruence.${name}_heads`, headInputCongruence(m, v).values);
    put(`embeddings.${name}_dot`, similarityMatrix(v, 'dot', false).values, v.labels);
    put(`embeddings.${name}_cosine`, similarityMatrix(v, 'cosine', false).values, v.labels);
  }
  for (const name of VOCABULARY_NAMES) {
    const v = embeddingVocabulary(m, name);
    put(
      `embeddings.${name}_norms`,
      { shape: [v.labels.length], data: Float32Array.from(vectorNorms(v)) },
      v.labels,
    );
  }
  const params = parameterStats(m);
  put(
    'parameters.stats',
    {
      shape: [params.length, 3],
      data: Float32Array.from(params.flatMap((p) => [p.mean, p.std, p.norm])),
    },
    params.map((p) => p.name),
  );
  labels['parameters.stats.columns'] = ['mean', 'std', 'norm'];
  return { tensors, labels };
}

/** The golden set plus full OV of every vocabulary and full QK of every vocabulary pair. */
export function staticTensors(m: WeightsModel, options: StaticOptions = {}): Record<string, NdArray> {
  const { nLayers: L, nHeads: H, nActions: A } = m.arch;
  const [X, Y, C] = m.arch.obsShape;
  const out: Record<string, NdArray> = {};
  const comp = compositionScores(m, options);
  for (const t of COMPOSITION_TYPES) {
    out[`composition_scores.${t}`] = comp.scores[t];
    const b = comp.baseline[t];
    out[`composition_baseline.${t}`] = { shape: [3], data: Float32Array.of(b.mean, b.lo, b.hi) };
  }
  const ov = ovCircuit(m);
  const qk = qkCircuit(m);
  out.ov_circuit = ov.values;
  out.qk_circuit = qk.values;
  out['ov_svd.S'] = fullSvdValues(ov);
  out['qk_svd.S'] = fullSvdValues(qk);
  out['ov_factored.S'] = headSvd(m, 'OV').S;
  out['qk_factored.S'] = headSvd(m, 'QK').S;
  const state = stateVocabulary(m);
  const nObs = state.vectors.shape[0];
  out['full_ov.state_action'] = reshape(fullOV(m, state).values, [L, H, C, X, Y, A]);
  out['full_ov.action_action'] = fullOV(m, unembedVocabulary(m), actionVocabulary(m)).values;
  out['full_ov.action_in_out'] = fullOV(m, actionVocabulary(m)).values;
  out['full_ov.rtg_action'] = reshape(fullOV(m, rtgVocabulary(m)).values, [L, H, A]);
  out['full_ov.pos_action'] = fullOV(m, positionVocabulary(m)).values;
  out['full_ov.time_action'] = fullOV(m, timeVocabulary(m)).values;
  out['full_qk.state_rtg'] = reshape(fullQK(m, state, rtgVocabulary(m)).values, [L, H, C, X, Y]);
  if (nObs > Math.max(...DTI_QK_KEY_SELECTION, ...DTI_QK_QUERY_SELECTION)) {
    out['full_qk.state_state.k265'] = fullQK(m, state, selectRows(state, DTI_QK_KEY_SELECTION)).values;
    out['full_qk.state_state.q258_335'] = fullQK(m, selectRows(state, DTI_QK_QUERY_SELECTION), state).values;
  }
  const small: EmbeddingVocabulary[] = ['action', 'rtg', 'position'];
  for (const q of small)
    for (const k of small)
      out[`full_qk.${q}_${k}`] = fullQK(m, embeddingVocabulary(m, q), embeddingVocabulary(m, k)).values;
  for (const v of small) {
    // full_qk.state_rtg keeps the golden [L, H, C, X, Y] shape (set above)
    if (v !== 'rtg') out[`full_qk.state_${v}`] = fullQK(m, state, embeddingVocabulary(m, v)).values;
    out[`full_qk.${v}_state`] = fullQK(m, embeddingVocabulary(m, v), state).values;
  }
  return out;
}
