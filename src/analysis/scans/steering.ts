/**
 * Activation steering (AVEC, DTI `dti_spec.md` §5.4) and its coefficient scan. A steering is the causal
 * layer's `add` intervention at one hook point (all or chosen positions) with a coefficient c: from a
 * clean/corrupted pair the vector is `corrupted − clean` at the hook (DTI: `blocks.l.hook_resid_pre`),
 * so c = 0 is the clean run and c = 1 puts the corrupted activation there; a literal vector (a saved
 * direction) is added at every steered position. The scan runs `linspace(min, max, n)` coefficients as
 * one sweep (`runSweep`, chunked) read by the RTG scan's `ScanReader` (decomposition and clustergram).
 */
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { check } from '../../errors.ts';
import type { SourceCaches } from '../causal/apply.ts';
import type { Intervention, InterventionOp } from '../causal/intervention.ts';
import { runSweep } from '../causal/sweep.ts';
import type { JobControl } from '../jobs.ts';
import { type ScanReadout, type ScanRows, ScanReader, scanCacheFilter } from './batchedScan.ts';
import { type ClusterMethod, type CorrelationResult, responseCorrelation } from './correlation.ts';
import { linspace } from './grid.ts';

/** The hook points AVEC steers (`blocks.<layer>.hook_<point>`). */
export const STEERING_HOOKS = ['resid_pre', 'resid_mid', 'resid_post', 'attn_out', 'mlp_out'] as const;
export type SteeringHook = (typeof STEERING_HOOKS)[number];

/** A steering addition: `hook` += c · vector at `positions` (default all). */
export interface Steering {
  /** Full hook name, e.g. `blocks.0.hook_resid_pre` */
  hook: string;
  /** A literal vector (broadcast along the hook's last axis) or `source − minus` of named caches */
  vector: Extract<InterventionOp, { kind: 'add' }>['vector'];
  positions?: number[];
  /** The caches a pair vector reads */
  sources?: SourceCaches;
}

/** The steering's intervention at coefficient `c` (an exact no-op at c = 0). */
export function steeringIntervention(s: Steering, coefficient: number): Intervention {
  return {
    hook: s.hook,
    op: { kind: 'add', coefficient, vector: s.vector },
    ...(s.positions && { where: { positions: s.positions } }),
  };
}

/** DTI's AVEC steering from a pair of single windows: `corrupted − clean` at `hook`. */
export function pairSteering(
  model: DecisionTransformer,
  clean: DTInputs,
  corrupted: DTInputs,
  hook: string,
  positions?: number[],
): Steering {
  check(model.hookNames.includes(hook), 'BAD_INPUT', `unknown hook point "${hook}"`);
  const cached = (inputs: DTInputs) => model.run(inputs, { cache: [hook] }).cache!;
  const sources = { clean: cached(clean), corrupted: cached(corrupted) };
  const [a, b] = [sources.clean.get(hook), sources.corrupted.get(hook)];
  check(
    a.shape[0] === 1 && a.shape.join() === b.shape.join(),
    'BAD_SHAPE',
    `the clean and corrupted windows must be single windows of the same length, got [${a.shape}] and [${b.shape}]`,
  );
  return { hook, vector: { source: 'corrupted', minus: 'clean' }, positions, sources };
}

/** L2 norm of the steering vector over the steered elements of one window of `P` positions. */
export function steeringNorm(s: Steering, P: number): number {
  const positions = s.positions ?? Array.from({ length: P }, (_, p) => p);
  if (Array.isArray(s.vector)) return Math.sqrt(positions.length * s.vector.reduce((a, v) => a + v * v, 0));
  const { source, minus } = s.vector;
  const plus = s.sources![source].get(s.hook);
  const sub = minus ? s.sources![minus].get(s.hook).data : null;
  const width = plus.size / P;
  let sum = 0;
  for (const p of positions)
    for (let j = 0; j < width; j++) sum += (plus.data[p * width + j] - (sub ? sub[p * width + j] : 0)) ** 2;
  return Math.sqrt(sum);
}

export interface CoefficientScanOptions extends ScanReadout {
  /** Coefficient range (default −1..2, DTI's AVEC golden) and number of values (default 128). */
  min?: number;
  max?: number;
  n?: number;
  cluster?: ClusterMethod;
}

export interface CoefficientScanResult extends ScanRows {
  hook: string;
  /** [n] coefficients */
  coeff: number[];
  /** L2 norm of the steering vector over the steered positions */
  vectorNorm: number;
  correlation: CorrelationResult | null;
}

/** Runs `window` (a batch of one) steered with each coefficient of the range. */
export async function coefficientScan(
  model: DecisionTransformer,
  window: DTInputs,
  steering: Steering,
  options: CoefficientScanOptions = {},
  control?: JobControl,
): Promise<CoefficientScanResult> {
  const coeff = linspace(options.min ?? -1, options.max ?? 2, options.n ?? 128, 'coefficient range');
  const tokens = model.toTokens(window);
  check(tokens.shape[0] === 1, 'BAD_SHAPE', `expected one window, got a batch of ${tokens.shape[0]}`);
  const reader = new ScanReader(model, coeff.length, options);
  await runSweep(
    model,
    { tokens, noActions: window.actions === null },
    coeff.map((c) => [steeringIntervention(steering, c)]),
    (run, rows) => reader.read(run, rows),
    // The decomposition reads every layer's outputs, so every row runs from the tokens.
    {
      ...control,
      sources: steering.sources,
      cache: scanCacheFilter(options),
      prefixReuse: false,
      readout: reader.readsLastTokenOnly(tokens.shape[1]) ? 'last' : 'all',
    },
  );
  const rows = reader.result();
  const components = rows.decomposition.components;
  return {
    ...rows,
    hook: steering.hook,
    coeff,
    vectorNorm: steeringNorm(steering, tokens.shape[1]),
    correlation: components ? responseCorrelation(components, { method: options.cluster }) : null,
  };
}
