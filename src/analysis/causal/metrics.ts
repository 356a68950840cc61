/**
 * Metrics of an intervened run, each a raw scalar per batch row plus DTI's normalisation. For patching,
 * with `v_run` the unpatched run's value and `v_src` the value of the run the activations come from:
 *
 *   score = (v_patched − v_run) / (v_src − v_run)       (0 = unpatched, 1 = fully the source run)
 *
 * which is exactly DTI's `logit_diff_recovery_metric` in both modes (`dti_spec.md` §5.4): noise runs
 * the clean window with corrupted activations, `(LD − LD_clean) / (LD_corrupt − LD_clean)`; denoise runs
 * the corrupted window with clean activations, `(LD − LD_corrupt) / (LD_clean − LD_corrupt)`.
 *
 * - `logit-diff`: `x[b, −1] · (W_U[pos] − W_U[neg])` on the final residual after ln_final (no bias).
 * - `action-prob`: softmax of the action logits at the last S token, probability of `action`.
 * - `kl`: KL(p_clean ‖ p_run) of the action distributions at the last S token (0 for the clean run).
 * - `neuron`: DTI's neuron metric, `blocks.{layer}.mlp.hook_pre[b, −1, neuron]`.
 * - `rtg`: for a pair that differs only in RTG tokens, the share of the RTG-induced change in the logit
 *   difference a patch restores (the logit-diff score), plus the reward prediction at the last
 *   timestep for models with a reward head (`extra`).
 */
import { check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DecisionTransformer, PredictionHead, RunResult } from '../../model/decisionTransformer.ts';
import {
  type LogitDirectionSpec,
  DEFAULT_LOGIT_DIRECTION,
  logitDirection,
} from '../dynamic/logitDirection.ts';
import { dot } from '../dynamic/run.ts';
import { lastStatePosition } from '../../model/tokens.ts';

export type MetricSpec =
  | { kind: 'logit-diff'; direction?: LogitDirectionSpec }
  | { kind: 'action-prob'; action: number }
  | { kind: 'kl' }
  | { kind: 'neuron'; layer: number; neuron: number }
  | { kind: 'rtg'; direction?: LogitDirectionSpec };

export const METRIC_KINDS = ['logit-diff', 'action-prob', 'kl', 'neuron', 'rtg'] as const;

/** Reads a metric's raw value from batch row `i` of a run. */
export interface MetricReader {
  spec: MetricSpec;
  /** e.g. "logit difference left − right" */
  label: string;
  /** What the runs must cache / compute for `read`. */
  cache: string[];
  heads: PredictionHead[];
  read(run: RunResult, i: number): number;
  /** A second raw value per row (the reward prediction for `rtg`), if any. */
  extra?: { label: string; read(run: RunResult, i: number): number };
}

/**
 * The `runSweep` read-out a metric needs on windows of P tokens: `last` when it reads only the last
 * token and that is an S token (every metric but the reward prediction), else `all`.
 */
export const metricReadout = (reader: MetricReader, P: number): 'all' | 'last' =>
  reader.heads.length === 1 && lastStatePosition(P) === P - 1 ? 'last' : 'all';

/** Softmax of a logit row (float64). */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}

/** Action logits at the last S token of row i: [A]. */
function lastActionLogits(run: RunResult, i: number): Float32Array {
  const preds = run.actionPreds!;
  const [, T, A] = preds.shape;
  return preds.data.subarray((i * T + T - 1) * A, (i * T + T) * A);
}

/**
 * The reader of a metric for `model`; `clean` is the clean window's cached run (for the logit direction
 * and the reference distribution of `kl`).
 */
export function metricReader(model: DecisionTransformer, spec: MetricSpec, clean: RunResult): MetricReader {
  const { arch } = model;
  switch (spec.kind) {
    case 'logit-diff':
    case 'rtg': {
      const dir = logitDirection(clean.cache as ActivationCache, spec.direction ?? DEFAULT_LOGIT_DIRECTION);
      const d = arch.dModel;
      const read = (run: RunResult, i: number) => {
        const P = run.transformerOut.shape[1];
        return dot(run.transformerOut.data, (i * P + P - 1) * d, dir.vector);
      };
      const hasReward = spec.kind === 'rtg' && model.weights.rewardPredictor !== undefined;
      return {
        spec,
        label: `logit difference ${dir.label}`,
        cache: [],
        heads: hasReward ? ['action', 'reward'] : ['action'],
        read,
        ...(hasReward && {
          extra: {
            label: 'reward prediction',
            read: (run: RunResult, i: number) => {
              const r = run.rewardPreds!;
              const T = r.shape[1];
              return r.data[i * T + T - 1];
            },
          },
        }),
      };
    }
    case 'action-prob':
      check(
        Number.isInteger(spec.action) && spec.action >= 0 && spec.action < arch.nActions,
        'BAD_INPUT',
        `action ${spec.action} is outside 0..${arch.nActions - 1}`,
      );
      return {
        spec,
        label: `P(action ${spec.action})`,
        cache: [],
        heads: ['action'],
        read: (run, i) => softmax(lastActionLogits(run, i))[spec.action],
      };
    case 'kl': {
      const p = softmax(lastActionLogits(clean, 0));
      return {
        spec,
        label: 'KL(clean ‖ run)',
        cache: [],
        heads: ['action'],
        read: (run, i) => {
          const q = softmax(lastActionLogits(run, i));
          return p.reduce((s, pj, j) => (pj > 0 ? s + pj * Math.log(pj / q[j]) : s), 0);
        },
      };
    }
    case 'neuron': {
      check(
        Number.isInteger(spec.layer) && spec.layer >= 0 && spec.layer < arch.nLayers,
        'BAD_INPUT',
        `layer ${spec.layer} is outside 0..${arch.nLayers - 1}`,
      );
      check(
        Number.isInteger(spec.neuron) && spec.neuron >= 0 && spec.neuron < arch.dMlp,
        'BAD_INPUT',
        `neuron ${spec.neuron} is outside 0..${arch.dMlp - 1}`,
      );
      const hook = `blocks.${spec.layer}.mlp.hook_pre`;
      const m = arch.dMlp;
      return {
        spec,
        label: `L${spec.layer}N${spec.neuron} pre-activation`,
        cache: [hook],
        heads: ['action'],
        read: (run, i) => {
          const pre = run.cache!.get(hook);
          const P = pre.shape[1];
          return pre.data[(i * P + P - 1) * m + spec.neuron];
        },
      };
    }
  }
}

/**
 * A one-line warning when the corruption barely moves the metric (|clean − corrupted| < 1e-3): every
 * normalised score (recovery, faithfulness, 1 − m) divides by that difference and means little; null
 * otherwise.
 */
export function weakCorruptionWarning(label: string, clean: number, corrupted: number): string | null {
  return Math.abs(clean - corrupted) < 1e-3
    ? `the corruption barely changes the ${label} (clean ${clean.toPrecision(4)}, corrupted ${corrupted.toPrecision(4)}): normalised scores divide by that difference and mean little; choose a corruption that moves it`
    : null;
}

/** DTI's normalisation: (v − v_run) / (v_src − v_run). */
export const recovery = (v: number, vRun: number, vSource: number): number => (v - vRun) / (vSource - vRun);
