/**
 * L2 norms of the residual stream (DTI issue #44): of each accumulated state
 * (`accumulatedResid(-1, {inclMid: true})`) and of each component (`decomposeResid(-1)`), no LN,
 * at every batch item and position.
 */
import type { ComponentStack } from '../../model/activationCache.ts';
import type { AnalysisRun, NdArray } from './run.ts';

export interface NormStack {
  labels: string[];
  /** [n, B, P] */
  norms: NdArray;
}

export interface ResidNormsResult {
  tokenLabels: string[];
  accumulated: NormStack;
  decomposed: NormStack;
}

export function residNorms(run: AnalysisRun): ResidNormsResult {
  return {
    tokenLabels: run.tokenLabels,
    accumulated: normsOf(run.cache.accumulatedResid(-1, { inclMid: true })),
    decomposed: normsOf(run.cache.decomposeResid(-1)),
  };
}

function normsOf(stack: ComponentStack): NormStack {
  const { shape, data } = stack.components;
  const d = shape[shape.length - 1];
  const out = new Float32Array(data.length / d);
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[r * d + j] ** 2;
    out[r] = Math.sqrt(s);
  }
  return { labels: stack.labels, norms: { shape: shape.slice(0, -1), data: out } };
}
