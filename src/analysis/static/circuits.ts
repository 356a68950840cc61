/**
 * OV and QK circuits (DTI `virtual_weights`, no layer norm, no biases): `W_OV = W_V W_O` and
 * `W_QK = W_Q W_Kᵀ` per head [L, H, d, d] (left = input / query side), and full circuits between
 * vocabularies: `OV(in → out)[l, h, i, o] = in_i · W_OV · out_o` and `QK(q, k)[l, h, i, j] = q_i · W_QK · k_j`,
 * each computed as two thin GEMMs through d_head.
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import { type WeightsModel, eachHead, headLabels } from './model.ts';
import { type Vocabulary, unembedVocabulary } from './vocabularies.ts';

export interface CircuitResult {
  /** `L{l}H{h}` per head */
  heads: string[];
  /** [L, H, nRows, nCols] */
  values: NdArray;
  rowName: string;
  colName: string;
  rowLabels: string[];
  colLabels: string[];
  rowGroups?: string[];
}

/** Per head, `in` [n, d] · W_X[h] [d, dh] -> [n, dh]. */
function readThrough(
  m: WeightsModel,
  l: number,
  h: number,
  which: 'W_Q' | 'W_K' | 'W_V',
  v: Vocabulary,
): Float32Array {
  const { dModel: d, dHead: dh } = m.arch;
  check(
    v.vectors.shape[1] === d,
    'BAD_SHAPE',
    `${v.name} vectors have width ${v.vectors.shape[1]}, the model's d_model is ${d}`,
  );
  const W = m.weights.blocks[l].attn[which].data.subarray(h * d * dh, (h + 1) * d * dh);
  return m.gemm.matmul(v.vectors.data, W, v.vectors.shape[0], d, dh);
}

/** Per head, W_O[h] [dh, d] · outᵀ [d, n] -> [dh, n]. */
function writeThrough(m: WeightsModel, l: number, h: number, v: Vocabulary): Float32Array {
  const { dModel: d, dHead: dh } = m.arch;
  check(
    v.vectors.shape[1] === d,
    'BAD_SHAPE',
    `${v.name} vectors have width ${v.vectors.shape[1]}, the model's d_model is ${d}`,
  );
  const W = m.weights.blocks[l].attn.W_O.data.subarray(h * dh * d, (h + 1) * dh * d);
  return m.gemm.matmul(W, v.vectors.data, dh, d, v.vectors.shape[0], { transB: true });
}

function result(m: WeightsModel, rows: Vocabulary, cols: Vocabulary, data: Float32Array): CircuitResult {
  const { nLayers: L, nHeads: H } = m.arch;
  return {
    heads: headLabels(m.arch),
    values: { shape: [L, H, rows.vectors.shape[0], cols.vectors.shape[0]], data },
    rowName: rows.name,
    colName: cols.name,
    rowLabels: rows.labels,
    colLabels: cols.labels,
    ...(rows.groups && { rowGroups: rows.groups }),
  };
}

/** Full OV circuit `input · W_OV · outputᵀ` [L, H, n_in, n_out]; output defaults to the action predictor. */
export function fullOV(
  m: WeightsModel,
  input: Vocabulary,
  output: Vocabulary = unembedVocabulary(m),
): CircuitResult {
  const { dHead: dh } = m.arch;
  const nIn = input.vectors.shape[0];
  const nOut = output.vectors.shape[0];
  const data = new Float32Array(m.arch.nLayers * m.arch.nHeads * nIn * nOut);
  eachHead(m.arch).forEach(({ l, h }, i) => {
    const x = readThrough(m, l, h, 'W_V', input);
    const y = writeThrough(m, l, h, output);
    m.gemm.matmul(x, y, nIn, dh, nOut, { out: data.subarray(i * nIn * nOut, (i + 1) * nIn * nOut) });
  });
  return result(m, input, output, data);
}

/** Full QK circuit `query · W_QK · keyᵀ` [L, H, n_q, n_k] (no 1/√d_head, no biases). */
export function fullQK(m: WeightsModel, query: Vocabulary, key: Vocabulary): CircuitResult {
  const { dHead: dh } = m.arch;
  const nq = query.vectors.shape[0];
  const nk = key.vectors.shape[0];
  const data = new Float32Array(m.arch.nLayers * m.arch.nHeads * nq * nk);
  eachHead(m.arch).forEach(({ l, h }, i) => {
    const q = readThrough(m, l, h, 'W_Q', query);
    const k = readThrough(m, l, h, 'W_K', key);
    m.gemm.matmul(q, k, nq, dh, nk, { transB: true, out: data.subarray(i * nq * nk, (i + 1) * nq * nk) });
  });
  return result(m, query, key, data);
}

/** Identity vocabulary of the residual basis (d rows), so full circuits give W_OV / W_QK themselves. */
function residualBasis(m: WeightsModel): Vocabulary {
  const d = m.arch.dModel;
  const data = new Float32Array(d * d);
  for (let i = 0; i < d; i++) data[i * d + i] = 1;
  return {
    name: 'residual',
    labels: Array.from({ length: d }, (_, i) => `d${i}`),
    vectors: { shape: [d, d], data },
  };
}

/** W_OV per head [L, H, d, d] (DTI `get_ov_circuit`). */
export const ovCircuit = (m: WeightsModel): CircuitResult => fullOV(m, residualBasis(m), residualBasis(m));

/** W_QK per head [L, H, d(query), d(key)] (DTI `get_qk_circuit`). */
export const qkCircuit = (m: WeightsModel): CircuitResult => fullQK(m, residualBasis(m), residualBasis(m));

/**
 * Sums a full QK circuit over selected keys (DTI "Select via K": [L, H, n_q, 1]) or selected queries
 * ("Select via Q" keeps each query: [L, H, |sel|, n_k], as DTI's `get_full_qk_state_state(q_filter)`).
 */
export function sumOverKeys(c: CircuitResult): NdArray {
  const [L, H, nq, nk] = c.values.shape;
  const out = new Float32Array(L * H * nq);
  for (let i = 0; i < L * H * nq; i++) {
    let s = 0;
    for (let j = 0; j < nk; j++) s += c.values.data[i * nk + j];
    out[i] = s;
  }
  return { shape: [L, H, nq], data: out };
}
