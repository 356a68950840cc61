/**
 * One forward pass with a full activation cache, shared by every dynamic analysis of a window, plus the
 * index helpers they use (batch item, token position, timestep; negative indices count from the end).
 */
import { check } from '../../errors.ts';
import type { ActivationCache, ComponentStack } from '../../model/activationCache.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Hook } from '../../model/hooks.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { tokenLabels } from '../../model/tokens.ts';

/** A dense row-major array: what results carry (a Tensor fits; survives structured clone as plain data). */
export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface AnalysisRun {
  model: DecisionTransformer;
  inputs: DTInputs;
  /** Transformer output after ln_final [B, P, d] (DTI's "logits" x) */
  transformerOut: Tensor;
  /** [B, T', A] action logits */
  actionPreds: Tensor;
  cache: ActivationCache;
  /** Label of every token position (`R1 S1 A1 ...`) */
  tokenLabels: string[];
}

/** Runs the model once on `inputs`, caching every hook point (after `hooks`, if any, e.g. an ablation). */
export function analysisRun(
  model: DecisionTransformer,
  inputs: DTInputs,
  hooks?: readonly Hook[],
): AnalysisRun {
  const res = model.run(inputs, { cache: true, hooks });
  const P = res.transformerOut.shape[1];
  return {
    model,
    inputs,
    transformerOut: res.transformerOut,
    actionPreds: res.actionPreds!,
    cache: res.cache!,
    tokenLabels: tokenLabels(P),
  };
}

/** Resolves an index into 0..n-1 (negative counts from the end); BAD_INPUT when out of range. */
export function resolveIndex(i: number, n: number, what: string): number {
  const r = i < 0 ? n + i : i;
  check(
    Number.isInteger(i) && r >= 0 && r < n,
    'BAD_INPUT',
    () => `${what} ${i} is outside 0..${n - 1} (or -${n}..-1)`,
  );
  return r;
}

/** Batch size and token count of a run. */
export function runDims(run: AnalysisRun): { B: number; P: number; d: number } {
  const [B, P, d] = run.transformerOut.shape;
  return { B, P, d };
}

/**
 * Offset of (batch row b, token position p) in an activation [B, Pt, ...] that holds the last Pt of the
 * window's P positions: Pt = P in a full run, 1 in the last block of a last-position run
 * (`RunOptions.lastPositionOnly`). BAD_INPUT when p is not among them.
 */
export function positionOffset(t: Tensor, b: number, p: number, P: number): number {
  const [, Pt] = t.shape;
  const q = p - (P - Pt);
  check(
    q >= 0 && q < Pt,
    'BAD_INPUT',
    () => `position ${p} is not among the last ${Pt} this activation holds`,
  );
  return (b * Pt + q) * (t.size / (t.shape[0] * Pt));
}

/** Dot product (float64 accumulation) of every component of a stack [n, B, P, d] at (b, p) with `dir`. */
export function projectAt(stack: ComponentStack, b: number, p: number, dir: Float32Array): number[] {
  const [n, B, P, d] = stack.components.shape;
  check(b < B && p < P, 'BAD_INPUT', `(batch ${b}, position ${p}) is outside the stack`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(dot(stack.components.data, ((i * B + b) * P + p) * d, dir));
  return out;
}

/** dir · data[offset : offset + dir.length], accumulated in float64. */
export function dot(data: Float32Array, offset: number, dir: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < dir.length; j++) s += data[offset + j] * dir[j];
  return s;
}

/** Sum of a list (float64). */
export const sum = (values: readonly number[]): number => values.reduce((a, v) => a + v, 0);
