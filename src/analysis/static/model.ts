/**
 * The weight analyses' view of a model: per-head factors as float64 matrices (TransformerLens
 * `W_Q/W_K/W_V [d, dh]`, `W_O [dh, d]`), head and neuron labels, and index checks with typed errors.
 */
import { check } from '../../errors.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DTWeights } from '../../model/weights.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { type Mat, matFrom, transpose } from './linalg.ts';

/** What every static analysis reads: architecture, (processed) weights and a GEMM backend. */
export interface WeightsModel {
  arch: DTArchitecture;
  weights: DTWeights;
  gemm: Gemm;
}

export type HeadMatrix = 'W_Q' | 'W_K' | 'W_V';

/** `L{l}H{h}` for every head, layer-major. */
export const headLabels = (arch: DTArchitecture): string[] =>
  Array.from(
    { length: arch.nLayers * arch.nHeads },
    (_, i) => `L${Math.floor(i / arch.nHeads)}H${i % arch.nHeads}`,
  );

export function checkHead(arch: DTArchitecture, layer: number, head: number): void {
  check(
    Number.isInteger(layer) && layer >= 0 && layer < arch.nLayers,
    'BAD_INPUT',
    `layer ${layer} does not exist (the model has layers 0..${arch.nLayers - 1})`,
  );
  check(
    Number.isInteger(head) && head >= 0 && head < arch.nHeads,
    'BAD_INPUT',
    `head ${head} does not exist (the model has heads 0..${arch.nHeads - 1})`,
  );
}

export function checkNeuron(arch: DTArchitecture, layer: number, neuron: number): void {
  checkHead(arch, layer, 0);
  check(
    Number.isInteger(neuron) && neuron >= 0 && neuron < arch.dMlp,
    'BAD_INPUT',
    `neuron ${neuron} does not exist (layer ${layer} has neurons 0..${arch.dMlp - 1})`,
  );
}

/** W_Q, W_K or W_V of one head [d, dh]. */
export function headIn(m: WeightsModel, layer: number, head: number, which: HeadMatrix): Mat {
  checkHead(m.arch, layer, head);
  const { dModel: d, dHead: dh } = m.arch;
  return matFrom(m.weights.blocks[layer].attn[which].data, d, dh, head * d * dh);
}

/** W_O of one head [dh, d]. */
export function headOut(m: WeightsModel, layer: number, head: number): Mat {
  checkHead(m.arch, layer, head);
  const { dModel: d, dHead: dh } = m.arch;
  return matFrom(m.weights.blocks[layer].attn.W_O.data, dh, d, head * dh * d);
}

/** W_OV = W_V · W_O as factors (input side left). */
export const ovFactors = (m: WeightsModel, l: number, h: number) => ({
  left: headIn(m, l, h, 'W_V'),
  right: headOut(m, l, h),
});

/** W_QK = W_Q · W_Kᵀ as factors (query side left). */
export const qkFactors = (m: WeightsModel, l: number, h: number) => ({
  left: headIn(m, l, h, 'W_Q'),
  right: transpose(headIn(m, l, h, 'W_K')),
});

/** Every (layer, head) pair, layer-major. */
export function eachHead(arch: DTArchitecture): { l: number; h: number; label: string }[] {
  return headLabels(arch).map((label, i) => ({ l: Math.floor(i / arch.nHeads), h: i % arch.nHeads, label }));
}
