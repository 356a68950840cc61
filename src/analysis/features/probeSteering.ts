/**
 * Intervening along a probe direction: at the probe's hook point and token, add `c · meanNorm · u`
 * where u is the unit direction that raises the target class's logit against the mean of the others
 * (raw activation units), for a range of coefficients c, as one batched coefficient scan
 * (`scans/steering.ts`). Behaviour follows when the predicted action changes with c; the probe's own
 * read-out of the steered activation is reported alongside (it must move toward the target).
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { hookLayout } from '../causal/intervention.ts';
import type { JobControl } from '../jobs.ts';
import { coefficientScan } from '../scans/steering.ts';
import { type PositionKind, positionOf } from './activations.ts';
import type { ProbeDirection } from './probe.ts';

export interface ProbeSteeringOptions {
  /** Coefficient range in units of the mean activation norm (default −2..2) and count (default 21). */
  min?: number;
  max?: number;
  n?: number;
}

export interface ProbeSteeringResult {
  hook: string;
  label: string;
  target: string;
  position: number;
  coeff: number[];
  actionNames: string[];
  /** [n, A] action probabilities at the last S token */
  probabilities: number[][];
  /** [n] argmax action */
  actions: number[];
  /** [n] the probe's probability of the target class on the steered activation */
  probeTarget: number[];
  /** The predicted action differs from the unsteered one for some coefficient. */
  behaviourFollows: boolean;
}

/** Unit direction [d] raising class `c` against the mean of the others. */
export function classDirection(probe: ProbeDirection, c: number): Float32Array {
  const C = probe.classes.length;
  const d = probe.W.length / C;
  const u = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let k = 0; k < C; k++) mean += probe.W[j * C + k];
    u[j] = probe.W[j * C + c] - mean / C;
  }
  const norm = Math.hypot(...u);
  check(norm > 0, 'BAD_INPUT', `the probe for ${probe.label} has no direction for class ${probe.classes[c]}`);
  return u.map((v) => v / norm);
}

export async function probeSteering(
  model: DecisionTransformer,
  window: DTInputs,
  probe: ProbeDirection,
  target: string,
  kind: PositionKind,
  options: ProbeSteeringOptions = {},
  control?: JobControl,
): Promise<ProbeSteeringResult> {
  const c = probe.classes.indexOf(target);
  check(c >= 0, 'BAD_INPUT', `"${target}" is not a class of ${probe.label} (${probe.classes.join(', ')})`);
  const u = classDirection(probe, c);
  const d = u.length;
  check(
    hookLayout(probe.hook) !== 'heads',
    'UNSUPPORTED',
    `steering adds one vector per position; ${probe.hook} holds one per head (probe a residual or MLP hook)`,
  );
  const P = model.toTokens(window).shape[1];
  const position = positionOf(kind, P);
  const min = options.min ?? -2;
  const max = options.max ?? 2;
  const n = options.n ?? 21;
  const steered: Float32Array[] = [];
  const scan = await coefficientScan(
    model,
    window,
    { hook: probe.hook, vector: Array.from(u, (v) => v * probe.meanNorm), positions: [position] },
    { min, max, n, levels: [] },
    control,
  );
  const base = model.run(window, { cache: [probe.hook], core: 'hooked' }).cache!.get(probe.hook);
  const at = base.data.subarray(position * d, (position + 1) * d);
  for (const k of scan.coeff) steered.push(at.map((v, j) => v + k * probe.meanNorm * u[j]));
  const A = scan.actionNames.length;
  const probabilities = scan.coeff.map((_, i) =>
    Array.from(scan.probabilities.data.subarray(i * A, (i + 1) * A)),
  );
  const actions = probabilities.map((p) => p.indexOf(Math.max(...p)));
  // On the hooked core, as the steered runs: coefficient 0 reproduces it.
  const unsteered = model.run(window, { core: 'hooked' }).actionPreds!;
  const last = unsteered.data.subarray(unsteered.size - A);
  const baseAction = Array.from(last).indexOf(Math.max(...last));
  return {
    hook: probe.hook,
    label: probe.label,
    target,
    position,
    coeff: scan.coeff,
    actionNames: scan.actionNames,
    probabilities,
    actions,
    probeTarget: steered.map((x) => probeProbabilities(probe, x)[c]),
    behaviourFollows: actions.some((a) => a !== baseAction),
  };
}

/** Softmax of the probe's logits on one raw activation vector. */
export function probeProbabilities(probe: ProbeDirection, x: ArrayLike<number>): number[] {
  const C = probe.classes.length;
  const z = Array.from(probe.b, (b, k) => {
    let s = b;
    for (let j = 0; j < x.length; j++) s += x[j] * probe.W[j * C + k];
    return s;
  });
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}
