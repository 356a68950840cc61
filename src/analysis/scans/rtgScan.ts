/**
 * RTG scan (DTI `dti_spec.md` §5.3, fixed and extended): the window run with n target returns-to-go
 * `linspace(min, max, n)`, set on every RTG token (DTI) or on the current one only, with optional
 * timestep noise that really reaches the model (DTI computed it and then ignored it). One batched scan
 * (`runScan`): logits and probabilities, the logit difference and its decomposition at three levels
 * vs RTG, and the clustergram of the components' responses.
 */
import { check } from '../../errors.ts';
import { npRandom } from '../../env/rng/generator.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { JobControl } from '../jobs.ts';
import { type ScanReadout, type ScanRows, runScan } from './batchedScan.ts';
import { type ClusterMethod, type CorrelationResult, responseCorrelation } from './correlation.ts';
import { linspace } from './grid.ts';

export type RtgTokens = 'all' | 'current';

export interface RtgScanOptions extends ScanReadout {
  /** Range of target RTGs (default 0..1) and number of values (default 128). */
  min?: number;
  max?: number;
  n?: number;
  /** Set every RTG token (DTI, default) or only the current (last) one. */
  tokens?: RtgTokens;
  /** Each row's timesteps shifted by a uniform integer offset in [−noise, noise] (clamped to the embedding's range); default 0. */
  timestepNoise?: number;
  /** Seed of the timestep noise (numpy PCG64 stream); default 0. */
  seed?: number;
  /** Clustergram method (default average linkage on 1 − correlation; `dti` = DTI's single linkage). */
  cluster?: ClusterMethod;
}

export interface RtgScanResult extends ScanRows {
  /** [n] the scanned RTG values */
  rtg: number[];
  tokens: RtgTokens;
  timestepNoise: number;
  /** [n] timestep offset of each row (all 0 without noise) */
  timestepOffsets: number[];
  /** Clustergram of the `components` level (null when that level was not computed) */
  correlation: CorrelationResult | null;
}

/** Scans the return-to-go of one window (`window`: a batch of one). */
export async function rtgScan(
  model: DecisionTransformer,
  window: DTInputs,
  options: RtgScanOptions = {},
  control?: JobControl,
): Promise<RtgScanResult> {
  const rtg = linspace(options.min ?? 0, options.max ?? 1, options.n ?? 128, 'RTG range');
  const tokens = options.tokens ?? 'all';
  check(
    tokens === 'all' || tokens === 'current',
    'BAD_INPUT',
    `RTG tokens must be all or current, got '${tokens}'`,
  );
  const noise = options.timestepNoise ?? 0;
  check(
    Number.isInteger(noise) && noise >= 0,
    'BAD_INPUT',
    `timestep noise must be a non-negative integer, got ${noise}`,
  );
  const rng = npRandom(options.seed ?? 0);
  const offsets = rtg.map(() => (noise > 0 ? rng.integers(-noise, noise + 1) : 0));
  const T = window.states.shape[1];
  const maxT = model.maxTimestep;
  const rows = await runScan(
    model,
    {
      n: rtg.length,
      noActions: window.actions === null,
      tokens: (start, end) => {
        const rtgs = new Float32Array((end - start) * T);
        const timesteps = new Int32Array((end - start) * T);
        for (let b = 0; b < end - start; b++) {
          for (let t = 0; t < T; t++) {
            rtgs[b * T + t] = tokens === 'all' || t === T - 1 ? rtg[start + b] : window.rtgs[t];
            timesteps[b * T + t] = Math.min(maxT, Math.max(0, window.timesteps[t] + offsets[start + b]));
          }
        }
        return model.variantTokens(window, rtgs, timesteps);
      },
    },
    options,
    control,
  );
  const components = rows.decomposition.components;
  return {
    ...rows,
    rtg,
    tokens,
    timestepNoise: noise,
    timestepOffsets: offsets,
    correlation: components ? responseCorrelation(components, { method: options.cluster }) : null,
  };
}
