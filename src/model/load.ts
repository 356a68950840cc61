/**
 * From a loaded checkpoint (already validated by the loader) to a runnable model: architecture from
 * the configs, weights from the state dict, then the chosen weight processing.
 */
import type { Checkpoint } from '../io/checkpoint.ts';
import type { Gemm } from '../tensor/gemm.ts';
import type { DTArchitecture } from './architecture.ts';
import { DecisionTransformer } from './decisionTransformer.ts';
import type { FusedCore } from './transformer.ts';
import { type WeightVariant, processWeights } from './processing.ts';
import { weightsFromStateDict } from './weights.ts';

export interface CreateModelOptions {
  /** Weight processing (default `raw`, the trained weights). */
  weights?: WeightVariant;
  gemm: Gemm;
  /** Runs hook-free forwards in one backend call (see `DecisionTransformer`). */
  fusedCore?: FusedCore;
}

/** The forward pass's view of a checkpoint's configs. */
export function architectureOf(ckpt: Checkpoint): DTArchitecture {
  const m = ckpt.model;
  return {
    dModel: m.dModel,
    nHeads: m.nHeads,
    dHead: m.dHead,
    dMlp: m.dMlp,
    nLayers: m.nLayers,
    nCtx: m.nCtx,
    normalization: m.layerNorm,
    gatedMlp: m.gatedMlp,
    activationFn: m.activationFn,
    nActions: ckpt.nActions,
    obsShape: ckpt.obsShape,
  };
}

export function createModel(ckpt: Checkpoint, options: CreateModelOptions): DecisionTransformer {
  const arch = architectureOf(ckpt);
  const weights = weightsFromStateDict(ckpt.weights, {
    nLayers: arch.nLayers,
    layerNorm: arch.normalization,
    gatedMlp: arch.gatedMlp,
    soluLn: arch.activationFn === 'solu_ln',
  });
  const processed = processWeights(arch, weights, options.weights ?? 'raw');
  return new DecisionTransformer(processed.arch, processed.weights, options.gemm, options.fusedCore);
}
