/**
 * Activations of a set of windows at chosen hook points, read at one token of each window (the last
 * S, R or A token), collected in chunks through `forEachChunk`. Only hook points with one vector per
 * position are readable: residual-like `[batch, pos, dModel]`, per-head `[batch, pos, head, dHead]`
 * (flattened to head-major `nHeads·dHead`) and MLP neurons `[batch, pos, dMlp]`.
 */
import { DtlensError, check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { hookLayout, hookRowShape } from '../causal/intervention.ts';
import { numelOf } from '../../tensor/tensor.ts';

/** Which token of the window is read: the last S (the one predicting the action), its R, or the A before it. */
export type PositionKind = 'S' | 'R' | 'A';
export const POSITION_KINDS: readonly PositionKind[] = ['S', 'R', 'A'];

/** Windows to read: `n` rows and their inputs by row range. */
export interface WindowSource {
  n: number;
  inputs(start: number, end: number): DTInputs;
}

/** [n, width] activations of one hook point at one token per window. */
export interface ActivationTable {
  hook: string;
  width: number;
  data: Float32Array;
}

/** Hook points of the model with one vector per position, in forward order. */
export function vectorHooks(model: DecisionTransformer): string[] {
  return model.hookNames.filter((h) => ['resid', 'heads', 'neurons'].includes(hookLayout(h)));
}

/** `residual` (resid_pre of layer 0, then resid_mid and resid_post of every layer), `all`, or names. */
export function selectHooks(model: DecisionTransformer, value: string): string[] {
  if (value === 'all') return vectorHooks(model);
  if (value === 'residual')
    return [
      'blocks.0.hook_resid_pre',
      ...Array.from({ length: model.arch.nLayers }, (_, l) => [
        `blocks.${l}.hook_resid_mid`,
        `blocks.${l}.hook_resid_post`,
      ]).flat(),
    ];
  return value.split(',').map((s) => s.trim());
}

/** Checks that every name is a vector hook point of the model (typed one-line error otherwise). */
export function checkVectorHooks(model: DecisionTransformer, hooks: readonly string[]): void {
  check(hooks.length > 0, 'BAD_INPUT', 'at least one hook point is needed');
  const all = model.hookNames;
  const readable = new Set(vectorHooks(model));
  for (const h of hooks) {
    if (!all.includes(h))
      throw new DtlensError('BAD_INPUT', `hook point "${h}" does not exist in this model (see dtlens info)`);
    check(
      readable.has(h),
      'BAD_INPUT',
      `hook point "${h}" has no vector per position (attention patterns and LN scales cannot be read)`,
    );
  }
}

/** Vector width of a hook point per position (per-head hooks flattened). */
export const hookWidth = (model: DecisionTransformer, hook: string): number =>
  numelOf(hookRowShape(hook, model.arch, 1).slice(1));

/** Token position of `kind` in a window of P tokens. */
export function positionOf(kind: PositionKind, P: number): number {
  const s = lastStatePosition(P);
  const p = kind === 'S' ? s : kind === 'R' ? s - 1 : s - 2;
  check(p >= 0, 'BAD_INPUT', `a window of ${P} tokens has no ${kind} token before its last state`);
  return p;
}

/**
 * Runs the windows in chunks with a cache of `hooks` and keeps each hook's vector at `kind`. The last
 * S token is the window's last token, so for `S` the last block runs at that token only
 * (`RunOptions.lastPositionOnly`; its cache then holds that one position).
 */
export async function collectActivations(
  model: DecisionTransformer,
  windows: WindowSource,
  hooks: readonly string[],
  kind: PositionKind,
  control?: JobControl,
): Promise<ActivationTable[]> {
  checkVectorHooks(model, hooks);
  check(windows.n > 0, 'BAD_INPUT', 'no windows to read');
  const tables: ActivationTable[] = [];
  const wanted = new Set(hooks);
  await forEachChunk(windows.n, control, (start, end) => {
    const inputs = windows.inputs(start, end);
    const tokens = model.toTokens(inputs);
    const P = tokens.shape[1];
    const p = positionOf(kind, P);
    const { cache } = model.runFromTokens(tokens, {
      cache: (name) => wanted.has(name),
      noActions: inputs.actions === null,
      lastPositionOnly: p === P - 1,
    });
    hooks.forEach((hook, i) => {
      const act = cache!.get(hook);
      const [B, kept] = act.shape;
      const width = act.size / (B * kept);
      if (!tables[i]) tables[i] = { hook, width, data: new Float32Array(windows.n * width) };
      // A hook holding only the last positions: index from its end.
      const at = p - (P - kept);
      for (let b = 0; b < B; b++) {
        const src = (b * kept + at) * width;
        tables[i].data.set(act.data.subarray(src, src + width), (start + b) * width);
      }
    });
  });
  return tables;
}
