/**
 * Logit lens (DTI "Logit Lens → Accumulated", TL semantics): the residual stream after each half-layer,
 * `accumulatedResid(-1, {inclMid: true, applyLn: true})` (centred and divided by the cached ln_final scale
 * of the real run), projected on the logit direction and on the full action predictor.
 */
import { type AnalysisRun, type NdArray, dot, projectAt, resolveIndex, runDims } from './run.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import {
  DEFAULT_LOGIT_DIRECTION,
  type LogitDirectionSpec,
  actionName,
  logitDirection,
} from './logitDirection.ts';

export interface LogitLensOptions {
  direction?: LogitDirectionSpec;
  batch?: number;
  /** Token position read for the logit difference (default: the last S token; negative counts from the end). */
  position?: number;
}

export interface LogitLensResult {
  direction: { positive: number; negative: number | null; label: string };
  batch: number;
  position: number;
  tokenLabels: string[];
  actionNames: string[];
  /** `0_pre, 0_mid, 1_pre, ..., final_post` */
  layers: string[];
  /** [n_layers_labels]: each normalised state at `position` · direction */
  logitDiff: number[];
  /** [n, P, A]: each normalised state at every position through the action predictor (bias included) */
  actionLogits: NdArray;
  /** The model's logit difference at `position` (transformer output · direction) */
  actualLogitDiff: number;
}

export function logitLens(run: AnalysisRun, options: LogitLensOptions = {}): LogitLensResult {
  const { B, P, d } = runDims(run);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const dir = logitDirection(run.cache, options.direction ?? DEFAULT_LOGIT_DIRECTION);
  const acc = run.cache.accumulatedResid(-1, { inclMid: true, applyLn: true });
  const n = acc.labels.length;
  const { W, b: bias } = run.model.weights.actionPredictor;
  const A = W.shape[0];
  const logits = new Float32Array(n * P * A);
  for (let i = 0; i < n; i++)
    for (let q = 0; q < P; q++) {
      const off = ((i * B + b) * P + q) * d;
      for (let a = 0; a < A; a++)
        logits[(i * P + q) * A + a] =
          dot(acc.components.data, off, W.data.subarray(a * d, (a + 1) * d)) + (bias ? bias.data[a] : 0);
    }
  return {
    direction: { positive: dir.positive, negative: dir.negative, label: dir.label },
    batch: b,
    position: p,
    tokenLabels: run.tokenLabels,
    actionNames: Array.from({ length: A }, (_, a) => actionName(a)),
    layers: acc.labels,
    logitDiff: projectAt(acc, b, p, dir.vector),
    actionLogits: { shape: [n, P, A], data: logits },
    actualLogitDiff: dot(run.transformerOut.data, (b * P + p) * d, dir.vector),
  };
}
