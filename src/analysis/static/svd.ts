/**
 * SVD of heads. `headSvd` is exact from the d_head factors (TransformerLens `FactoredMatrix` S, U, V):
 * for W = U diag(S) Vᵀ, U's columns are the *input* singular directions (OV: what the head reads; QK:
 * query directions) and V's columns the *output* ones (OV: what it writes; QK: key directions), i.e.
 * torch's `Vh` rows; signs follow svd_flip (largest |entry| of each U column positive). `fullSvdValues`
 * is DTI's `torch.linalg.svd` of the explicit d×d matrix (only the first d_head values are non-zero).
 * `svdReadout` projects the top-k directions of one side onto a vocabulary.
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import type { CircuitResult } from './circuits.ts';
import { type Factored, factoredSvd, matFrom, singularValues } from './linalg.ts';
import { type WeightsModel, eachHead, headLabels, ovFactors, qkFactors } from './model.ts';
import type { Vocabulary } from './vocabularies.ts';

export type HeadCircuit = 'OV' | 'QK';

export interface HeadSvd {
  circuit: HeadCircuit;
  heads: string[];
  /** [L, H, dh] descending */
  S: NdArray;
  /** [L, H, d, dh]: column i = input-side singular direction i */
  U: NdArray;
  /** [L, H, d, dh]: column i = output-side singular direction i (torch's Vh row i) */
  V: NdArray;
}

const factorsOf = (m: WeightsModel, c: HeadCircuit, l: number, h: number): Factored =>
  c === 'OV' ? ovFactors(m, l, h) : qkFactors(m, l, h);

export function headSvd(m: WeightsModel, circuit: HeadCircuit): HeadSvd {
  const { nLayers: L, nHeads: H, dModel: d, dHead: dh } = m.arch;
  const S = new Float32Array(L * H * dh);
  const U = new Float32Array(L * H * d * dh);
  const V = new Float32Array(L * H * d * dh);
  eachHead(m.arch).forEach(({ l, h }, i) => {
    const svd = factoredSvd(factorsOf(m, circuit, l, h));
    S.set(svd.S, i * dh);
    U.set(svd.U.data, i * d * dh);
    V.set(svd.V.data, i * d * dh);
  });
  return {
    circuit,
    heads: headLabels(m.arch),
    S: { shape: [L, H, dh], data: S },
    U: { shape: [L, H, d, dh], data: U },
    V: { shape: [L, H, d, dh], data: V },
  };
}

/** Singular values of each explicit [d, d] circuit matrix [L, H, d] (DTI's full SVD). */
export function fullSvdValues(c: CircuitResult): NdArray {
  const [L, H, n, k] = c.values.shape;
  const r = Math.min(n, k);
  const out = new Float32Array(L * H * r);
  for (let i = 0; i < L * H; i++) out.set(singularValues(matFrom(c.values.data, n, k, i * n * k)), i * r);
  return { shape: [L, H, r], data: out };
}

export interface SvdReadout {
  circuit: HeadCircuit;
  side: 'in' | 'out';
  heads: string[];
  /** `D0..D{k-1}` */
  directions: string[];
  vocabulary: string;
  labels: string[];
  groups?: string[];
  /** [L, H, k, n]: direction · vocabulary vector */
  values: NdArray;
}

/** The top-k singular directions of one side of every head, dotted with each vocabulary vector. */
export function svdReadout(
  m: WeightsModel,
  svd: HeadSvd,
  side: 'in' | 'out',
  vocab: Vocabulary,
  k = 3,
): SvdReadout {
  const [L, H, d, dh] = svd.U.shape;
  check(Number.isInteger(k) && k >= 1 && k <= dh, 'BAD_INPUT', `k must be in 1..${dh} (d_head), got ${k}`);
  check(
    vocab.vectors.shape[1] === d,
    'BAD_SHAPE',
    `${vocab.name} vectors have width ${vocab.vectors.shape[1]}, expected ${d}`,
  );
  const n = vocab.vectors.shape[0];
  const src = side === 'in' ? svd.U : svd.V;
  const out = new Float32Array(L * H * k * n);
  for (let i = 0; i < L * H; i++) {
    const dirs = new Float32Array(k * d);
    for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) dirs[c * d + j] = src.data[(i * d + j) * dh + c];
    m.gemm.matmul(dirs, vocab.vectors.data, k, d, n, {
      transB: true,
      out: out.subarray(i * k * n, (i + 1) * k * n),
    });
  }
  return {
    circuit: svd.circuit,
    side,
    heads: svd.heads,
    directions: Array.from({ length: k }, (_, c) => `D${c}`),
    vocabulary: vocab.name,
    labels: vocab.labels,
    ...(vocab.groups && { groups: vocab.groups }),
    values: { shape: [L, H, k, n], data: out },
  };
}

/** The output-side directions of every head's OV as a vocabulary (rows `L{l}H{h}D{i}`), for reading by later heads. */
export function svdDirectionsVocabulary(svd: HeadSvd, side: 'in' | 'out', k: number): Vocabulary {
  const [L, H, d, dh] = svd.U.shape;
  check(Number.isInteger(k) && k >= 1 && k <= dh, 'BAD_INPUT', `k must be in 1..${dh} (d_head), got ${k}`);
  const src = side === 'in' ? svd.U : svd.V;
  const data = new Float32Array(L * H * k * d);
  const labels: string[] = [];
  const groups: string[] = [];
  for (let i = 0; i < L * H; i++)
    for (let c = 0; c < k; c++) {
      labels.push(`${svd.heads[i]}D${c}`);
      groups.push(svd.heads[i]);
      for (let j = 0; j < d; j++) data[(i * k + c) * d + j] = src.data[(i * d + j) * dh + c];
    }
  return {
    name: `${svd.circuit} ${side === 'in' ? 'input' : 'output'} directions`,
    labels,
    groups,
    vectors: { shape: [L * H * k, d], data },
  };
}
