/**
 * The play session's steering: a steering vector added to every forward pass of the played window
 * while it is on (the prediction shown and the model's greedy `act`), built from settings that live in
 * the URL (`steer=on|off`, `steer.<name>=value`).
 *
 * The vector is either the current window's AVEC (`pairSteeringVector`: `corrupted − clean` at the
 * hook, the corruption of the causal panels, rebuilt from every new window) or a saved direction
 * (`directionVector`: one `[d_model]` row of the session's saved directions, broadcast to every
 * position). At coefficient 1 on `blocks.0.hook_resid_pre` the window's AVEC turns the clean run into
 * the corrupted one: the agent plays as if the corruption were true.
 */
import {
  type SteeringVector,
  directionVector,
  pairSteeringVector,
  steeredRun,
} from '../analysis/causal/steeringVectors.ts';
import { check } from '../errors.ts';
import type { DTInputs, DecisionTransformer } from '../model/decisionTransformer.ts';
import { actName } from '../model/hooks.ts';
import { CORRUPTION_PARAMS, corrupt } from './panels/causal.ts';
import { savedDirections } from './panels/weights.ts';
import { type ParamSchema, type ParamValues, shownWhenAll } from './params.ts';
import { type Prediction, predictionFrom } from './playSession.ts';

/** Residual-stream hooks a steering vector is added to (`blocks.{layer}.hook_{hook}`). */
export const STEERING_HOOKS = ['resid_pre', 'resid_mid', 'resid_post', 'attn_out', 'mlp_out'] as const;

/** Which vector: the window's AVEC under a corruption, or a saved direction, at a hook (`playSteeringVector`). */
export const STEERING_VECTOR_PARAMS: ParamSchema = {
  source: { kind: 'choice', default: 'window', choices: ['window', 'direction'], label: 'vector from' },
  ...shownWhenAll(CORRUPTION_PARAMS, { source: ['window'] }),
  direction: {
    kind: 'int',
    default: 0,
    min: 0,
    max: 4095,
    label: 'saved direction #',
    shownWhen: { source: ['direction'] },
  },
  hook: { kind: 'choice', default: 'resid_pre', choices: STEERING_HOOKS },
  layer: { kind: 'int', default: 0, min: 0, max: 63 },
};

/** Settings of the play steering (the URL's `steer.<name>`). */
export const PLAY_STEERING_PARAMS: ParamSchema = {
  ...STEERING_VECTOR_PARAMS,
  coefficient: { kind: 'number', default: 1, min: -1000, max: 1000 },
};

/** Steering as the UI asks for it and the engine holds it: complete settings and on/off. */
export interface PlaySteering {
  on: boolean;
  params: ParamValues;
}

/** The vector the settings describe for one window of `nTokens` tokens, with a one-line description. */
export function playSteeringVector(
  model: DecisionTransformer,
  inputs: DTInputs,
  nTokens: number,
  p: ParamValues,
): { vector: SteeringVector; description: string; identical: boolean } {
  const hook = actName(p.hook as string, p.layer as number);
  check(
    (p.layer as number) < model.arch.nLayers,
    'BAD_INPUT',
    `steering layer ${p.layer} does not exist (the model has ${model.arch.nLayers} layers)`,
  );
  if (p.source === 'direction') {
    const saved = savedDirections(model);
    check(
      !!saved,
      'BAD_INPUT',
      'no saved directions: keep some first (Embeddings panel or a directions file)',
    );
    const [k, d] = saved!.vectors.shape;
    const i = p.direction as number;
    check(i < k, 'BAD_INPUT', `saved directions "${saved!.name}" have ${k} vectors, no #${i}`);
    const values = Array.from(saved!.vectors.data.subarray(i * d, (i + 1) * d));
    return {
      vector: directionVector(model, hook, values, nTokens),
      description: `saved direction ${saved!.labels[i]} (${saved!.name}) at ${hook}`,
      identical: values.every((v) => v === 0),
    };
  }
  const v = corrupt(model, inputs, p);
  return {
    vector: pairSteeringVector(model, inputs, v.corrupted, hook),
    description: `corrupted − clean at ${hook} (${v.changes.join('; ') || 'no change'})`,
    identical: v.identical,
  };
}

/** The prediction at the window's last timestep with the steering added at its coefficient. */
export function steeredPrediction(
  model: DecisionTransformer,
  inputs: DTInputs,
  nTokens: number,
  p: ParamValues,
): { prediction: Prediction; description: string; identical: boolean } {
  const { vector, description, identical } = playSteeringVector(model, inputs, nTokens, p);
  const run = steeredRun(model, inputs, vector, p.coefficient as number);
  return { prediction: predictionFrom(run.actionPreds!), description, identical };
}
