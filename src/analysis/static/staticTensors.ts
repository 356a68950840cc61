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
import type { WeightsModel } from './model.ts';
import { fullSvdValues, headSvd } from './svd.ts';
import {
  type EmbeddingVocabulary,
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

/** The golden set plus full OV of every vocabulary and full QK of every vocabulary pair. */
export function staticTensors(m: WeightsModel): Record<string, NdArray> {
  const { nLayers: L, nHeads: H, nActions: A } = m.arch;
  const [X, Y, C] = m.arch.obsShape;
  const out: Record<string, NdArray> = {};
  const comp = compositionScores(m);
  for (const t of COMPOSITION_TYPES) out[`composition_scores.${t}`] = comp.scores[t];
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
