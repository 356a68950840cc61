/**
 * Activation steering (AVEC, DTI `dti_spec.md` §5.4) and its coefficient scan: a steering vector
 * `[P, width]` added with coefficient c at a hook point, at all or chosen positions. From a pair of
 * windows it is `corrupted − clean` at the hook (DTI: `blocks.l.hook_resid_pre`), so c = 0 is the
 * clean run and c = 1 puts the corrupted activation there. The scan runs `linspace(min, max, n)`
 * coefficients as one batched scan (`runScan`) with the decomposition and clustergram of the RTG scan.
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Hook } from '../../model/hooks.ts';
import { repeatWindow } from '../../model/inputs.ts';
import { Tensor, shapeString } from '../../tensor/tensor.ts';
import type { JobControl } from '../jobs.ts';
import { type ScanReadout, type ScanRows, runScan } from './batchedScan.ts';
import { type ClusterMethod, type CorrelationResult, responseCorrelation } from './correlation.ts';
import { linspace } from './grid.ts';

export interface SteeringVector {
  /** Full hook name, e.g. `blocks.0.hook_resid_pre` */
  hook: string;
  /** [P, ...per-position shape] the vector added per position */
  vector: Tensor;
  /** Token positions steered (default: all) */
  positions?: readonly number[];
}

/** `corrupted − clean` at `hook` ([P, ...]): DTI's AVEC `act_diff` from a clean/corrupted pair of windows. */
export function pairSteeringVector(
  model: DecisionTransformer,
  clean: DTInputs,
  corrupted: DTInputs,
  hook: string,
): SteeringVector {
  check(model.hookNames.includes(hook), 'BAD_INPUT', `unknown hook point "${hook}"`);
  const at = (inputs: DTInputs) => model.run(inputs, { cache: [hook] }).cache!.get(hook);
  const a = at(clean);
  const b = at(corrupted);
  check(
    a.shape[0] === 1 && shapeString(a.shape) === shapeString(b.shape),
    'BAD_SHAPE',
    `the clean and corrupted windows must be single windows of the same shape, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`,
  );
  const diff = b.data.map((v, i) => v - a.data[i]);
  return { hook, vector: new Tensor(diff, a.shape.slice(1)) };
}

/**
 * A hook adding `coeff(row) · vector` at the steered positions of every batch row. Coefficient 0 adds
 * nothing (the row is left bit-identical). Throws BAD_SHAPE if the vector's width does not match.
 */
export function steeringHook(steering: SteeringVector, coeff: (row: number) => number): Hook {
  return {
    name: steering.hook,
    fn: (act) => {
      const [B, P] = act.shape;
      const width = act.size / (B * P);
      const v = steering.vector;
      check(
        v.size === P * width && v.shape[0] === P,
        'BAD_SHAPE',
        () =>
          `steering vector ${shapeString(v.shape)} does not fit ${steering.hook} ${shapeString(act.shape)} (need [${P}, ${act.shape.slice(2).join(', ')}])`,
      );
      const positions = steering.positions ?? Array.from({ length: P }, (_, p) => p);
      for (const p of positions)
        check(
          Number.isInteger(p) && p >= 0 && p < P,
          'BAD_INPUT',
          `steered position ${p} is outside 0..${P - 1}`,
        );
      for (let b = 0; b < B; b++) {
        const c = coeff(b);
        if (c === 0) continue;
        for (const p of positions) {
          const o = (b * P + p) * width;
          for (let j = 0; j < width; j++) act.data[o + j] += c * v.data[p * width + j];
        }
      }
    },
  };
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
  /** L2 norm of the whole steering vector */
  vectorNorm: number;
  correlation: CorrelationResult | null;
}

/** Runs `window` (a batch of one) steered with each coefficient of the range. */
export async function coefficientScan(
  model: DecisionTransformer,
  window: DTInputs,
  steering: SteeringVector,
  options: CoefficientScanOptions = {},
  control?: JobControl,
): Promise<CoefficientScanResult> {
  const coeff = linspace(options.min ?? -1, options.max ?? 2, options.n ?? 128, 'coefficient range');
  const rows = await runScan(
    model,
    {
      n: coeff.length,
      inputs: (start, end) => repeatWindow(window, end - start),
      hooks: (start) => [steeringHook(steering, (b) => coeff[start + b])],
    },
    options,
    control,
  );
  const components = rows.decomposition.components;
  return {
    ...rows,
    hook: steering.hook,
    coeff,
    vectorNorm: Math.sqrt(steering.vector.data.reduce((a, v) => a + v * v, 0)),
    correlation: components ? responseCorrelation(components, { method: options.cluster }) : null,
  };
}
