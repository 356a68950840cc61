/**
 * Closed-loop interventions on features: the model plays N seeds (`closedLoopRollouts`, episode i of
 * every condition on env seed `seed + i`) while a feature is intervened on at every step, with controls,
 * and a verdict per intervention of whether behaviour follows. Interventions act at every token of
 * the feature's kind (the token the probe or SAE was trained on) in each step's window:
 * - probe direction: add `c · meanNorm · u` (u: `classDirection`, the unit direction raising the target
 *   class) as a steering experiment (`steeringConditions`: none, steer c, random equal-norm c, flipped c);
 * - SAE latent `add v`: exactly the steering vector `v · W_dec[i]` (decoding is linear), same controls;
 * - SAE latent `zero` / `clamp v`: input-dependent edits (`saeHook` edit mode on the condition's batch
 *   rows, reconstruction error kept); control: the same edit of a seeded random other latent.
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { repeatWindow } from '../../model/inputs.ts';
import { tokenKind } from '../../model/tokens.ts';
import { type SourceCaches, interventionHooks } from '../causal/apply.ts';
import { softmax } from '../causal/metrics.ts';
import {
  type ClosedLoopCondition,
  type ClosedLoopOptions,
  type ClosedLoopResult,
  closedLoopRollouts,
} from '../causal/closedLoop.ts';
import type { Interval } from '../causal/stats.ts';
import { seededUniforms } from '../causal/stats.ts';
import { type SteeringVector, directionVector, steeringConditions } from '../causal/steeringVectors.ts';
import type { PositionKind } from './activations.ts';
import type { ProbeDirection } from './probe.ts';
import { classDirection } from './probeSteering.ts';
import type { Sae } from './sae.ts';
import { saeHook } from './saeSplice.ts';

/** Closed-loop conditions, the caches they read, and which condition controls which intervention. */
export interface FeatureExperiment {
  conditions: ClosedLoopCondition[];
  sources: SourceCaches;
  /** [intervention label, its control's label (null: none)] */
  compared: [string, string | null][];
}

/** Whether behaviour follows one intervention: its success rate against `none` and its control's. */
export interface Verdict {
  condition: string;
  control: string | null;
  successRate: Interval;
  /** Success rate minus the unintervened one. */
  delta: number;
  controlDelta: number | null;
  /**
   * The intervention's Wilson interval is disjoint from `none`'s while its control's is not (or there is
   * no control): the intervention, not any change of that size, moves behaviour.
   */
  follows: boolean;
}

export interface FeatureRolloutResult extends ClosedLoopResult {
  verdicts: Verdict[];
}

/** Token positions of `kind` in a window of P tokens. */
export function kindPositions(kind: PositionKind, P: number): number[] {
  return Array.from({ length: P }, (_, p) => p).filter((p) => tokenKind(p) === kind);
}

/** `meanNorm · u` (u: unit direction raising `target`) at every `kind` token of the model's full window. */
export function probeSteeringVector(
  model: DecisionTransformer,
  probe: ProbeDirection,
  target: string,
  kind: PositionKind,
): SteeringVector {
  const c = probe.classes.indexOf(target);
  check(c >= 0, 'BAD_INPUT', `"${target}" is not a class of ${probe.label} (${probe.classes.join(', ')})`);
  const P = 3 * model.maxLen - 1;
  const u = classDirection(probe, c);
  return directionVector(
    model,
    probe.hook,
    Array.from(u, (v) => v * probe.meanNorm),
    P,
    kindPositions(kind, P),
  );
}

/** The decoder direction `W_dec[latent]` at every `kind` token: adding v of it = `add v` on the latent. */
export function saeDecoderVector(
  model: DecisionTransformer,
  sae: Sae,
  hook: string,
  latent: number,
  kind: PositionKind,
): SteeringVector {
  checkLatent(sae, latent);
  const P = 3 * model.maxLen - 1;
  const { dOut } = sae.config;
  return directionVector(
    model,
    hook,
    Array.from(sae.W_dec.subarray(latent * dOut, (latent + 1) * dOut)),
    P,
    kindPositions(kind, P),
  );
}

function checkLatent(sae: Sae, latent: number): void {
  const m = sae.config.latents;
  check(
    Number.isInteger(latent) && latent >= 0 && latent < m,
    'BAD_INPUT',
    `feature ${latent} is outside the SAE's 0..${m - 1}`,
  );
}

/** A steering vector at each coefficient with its controls (random equal-norm, sign-flipped). */
export function steeringExperiment(
  model: DecisionTransformer,
  steering: SteeringVector,
  coefficients: readonly number[],
  options: { controls?: boolean; seed?: number } = {},
): FeatureExperiment {
  const { conditions, sources } = steeringConditions(model, steering, coefficients, options);
  const controls = options.controls ?? true;
  return {
    conditions,
    sources,
    compared: coefficients.flatMap((c): [string, string | null][] => [
      [`steer ${c}`, controls ? `random ${c}` : null],
      ...(controls ? [[`flipped ${c}`, `random ${c}`] as [string, string]] : []),
    ]),
  };
}

/**
 * Zeroing (`values` ignored) or clamping latent `latent` of an SAE at `hook` (at each value), at
 * every `kind` token, and with `controls` the same edit of a seeded random other latent.
 */
export function saeEditExperiment(
  model: DecisionTransformer,
  sae: Sae,
  hook: string,
  latent: number,
  op: 'zero' | 'clamp',
  values: readonly number[],
  kind: PositionKind,
  options: { controls?: boolean; seed?: number } = {},
): FeatureExperiment {
  checkLatent(sae, latent);
  check(
    model.hookNames.includes(hook),
    'BAD_INPUT',
    `hook point "${hook}" does not exist in this model (see dtlens info)`,
  );
  check(op === 'zero' || values.length > 0, 'BAD_INPUT', 'clamping needs at least one value');
  values.forEach((v) => check(Number.isFinite(v), 'BAD_INPUT', `clamp value ${v} is not a finite number`));
  check(sae.config.latents > 1 || options.controls === false, 'BAD_INPUT', 'a control needs a second latent');
  const positions = kindPositions(kind, 3 * model.maxLen - 1);
  const other = Math.floor(seededUniforms(options.seed ?? 0)() * (sae.config.latents - 1));
  const control = other >= latent ? other + 1 : other;
  const edit = (f: number, value: number | undefined): ClosedLoopCondition['hooks'] => {
    const edits = [{ latent: f, op, value }];
    return (rows) => [saeHook(model.gemm, sae, hook, { mode: 'edit', edits, positions, rows })];
  };
  const conditions: ClosedLoopCondition[] = [{ label: 'none', row: [] }];
  const compared: [string, string | null][] = [];
  for (const value of op === 'zero' ? [undefined] : values) {
    const name = (f: number) => (op === 'zero' ? `zero ${f}` : `clamp ${f}=${value}`);
    conditions.push({ label: name(latent), row: [], hooks: edit(latent, value) });
    if (options.controls ?? true)
      conditions.push({ label: `control ${name(control)}`, row: [], hooks: edit(control, value) });
    compared.push([name(latent), (options.controls ?? true) ? `control ${name(control)}` : null]);
  }
  return { conditions, sources: {}, compared };
}

/** What can be done to one SAE latent: add `v · W_dec[i]`, zero it, or clamp it to v. */
export const LATENT_OPS = ['add', 'zero', 'clamp'] as const;
export type LatentOp = (typeof LATENT_OPS)[number];

/**
 * The experiment of one latent edit of an SAE spliced in at `hook` (read at every `kind` token): `add`
 * is the steering experiment of its decoder row (`saeDecoderVector`), `zero` / `clamp` the SAE edit
 * experiment (`saeEditExperiment`); `values` are the added or clamped values (ignored by `zero`).
 */
export function saeLatentExperiment(
  model: DecisionTransformer,
  sae: Sae,
  site: { hook: string; kind: PositionKind },
  latent: number,
  op: LatentOp,
  values: readonly number[],
  options: { controls?: boolean; seed?: number } = {},
): FeatureExperiment {
  return op === 'add'
    ? steeringExperiment(model, saeDecoderVector(model, sae, site.hook, latent, site.kind), values, options)
    : saeEditExperiment(model, sae, site.hook, latent, op, values, site.kind, options);
}

/**
 * The experiment's conditions on one window (a batch of one): the action probabilities at its last S
 * token under each condition (`[conditions][A]`), from one batched forward on the hooked core whose row
 * k is condition k (its intervention row and its own hooks).
 */
export function windowUnderConditions(
  model: DecisionTransformer,
  window: DTInputs,
  experiment: FeatureExperiment,
): { labels: string[]; probabilities: number[][] } {
  const { conditions } = experiment;
  const K = conditions.length;
  const P = model.toTokens(window).shape[1];
  const hooks = [
    ...interventionHooks(
      conditions.map((c) => c.row),
      model.arch,
      P,
      experiment.sources,
    ),
    ...conditions.flatMap((c, k) => c.hooks?.([k]) ?? []),
  ];
  const preds = model.run(repeatWindow(window, K), { hooks, core: 'hooked' }).actionPreds!;
  const [, T, A] = preds.shape;
  return {
    labels: conditions.map((c) => c.label),
    probabilities: conditions.map((_, k) =>
      softmax(preds.data.subarray((k * T + T - 1) * A, (k * T + T) * A)),
    ),
  };
}

/** Plays the experiment's conditions in closed loop and judges whether behaviour follows each intervention. */
export async function featureRollouts(
  model: DecisionTransformer,
  experiment: FeatureExperiment,
  options: Omit<ClosedLoopOptions, 'sources'>,
): Promise<FeatureRolloutResult> {
  const result = await closedLoopRollouts(model, experiment.conditions, {
    ...options,
    sources: experiment.sources,
  });
  return { ...result, verdicts: verdicts(result, experiment.compared) };
}

const disjoint = (a: Interval, b: Interval) => a.low > b.high || b.low > a.high;

/** Verdicts of the compared conditions against the `none` condition. */
export function verdicts(result: ClosedLoopResult, compared: readonly [string, string | null][]): Verdict[] {
  const by = new Map(result.conditions.map((c) => [c.label, c.successRate]));
  const none = by.get('none');
  check(none !== undefined, 'BAD_INPUT', 'verdicts need a condition without intervention ("none")');
  return compared.map(([condition, control]) => {
    const rate = by.get(condition)!;
    const ctrl = control === null ? null : by.get(control)!;
    return {
      condition,
      control,
      successRate: rate,
      delta: rate.estimate - none!.estimate,
      controlDelta: ctrl ? ctrl.estimate - none!.estimate : null,
      follows: disjoint(rate, none!) && !(ctrl && disjoint(ctrl, none!)),
    };
  });
}
