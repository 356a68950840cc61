/**
 * Gated-MLP view (DTI "GatedMLP" expander), for models with TL 1.2.2 `GatedMLP` blocks, at one token:
 * every neuron's gate `act(hook_pre)` (DTI "Gating"), its linear branch `x W_in + b_linear` and its
 * output activation `hook_post = gate · linear + b_in`; the congruence of its output with each action
 * (`W_out[l][n] · W_U[a]`, DTI "Conguence") and, per neuron, the action it is most congruent with,
 * with the gates summarised per action (DTI "Gating by Congruence").
 */
import { check } from '../../errors.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { activate } from '../../tensor/ops.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { neuronsToPredictor } from '../static/congruence.ts';
import { actionName } from './logitDirection.ts';
import { neuronReader, readValue } from './neuronReads.ts';
import { type AnalysisRun, resolveIndex, runDims } from './run.ts';

export interface GatedMlpOptions {
  batch?: number;
  /** Token position (default: the last S token; negative counts from the end). */
  position?: number;
}

export interface GatedMlpResult {
  batch: number;
  position: number;
  tokenLabel: string;
  actionNames: string[];
  /** `L{l}N{n}` of every neuron, layer-major */
  labels: string[];
  layer: number[];
  /** act(hook_pre) per neuron */
  gate: number[];
  /** x W_in + b_linear per neuron */
  linear: number[];
  /** hook_post per neuron */
  post: number[];
  /** [neuron][A] W_out[n] · W_U[a] */
  congruence: number[][];
  /** Per neuron: the action with the largest congruence */
  topAction: number[];
  /** Per action: neurons whose top action it is, their mean gate, and the largest gate */
  byAction: { action: string; neurons: number; meanGate: number; maxGate: number }[];
}

export function gatedMlpView(run: AnalysisRun, options: GatedMlpOptions = {}): GatedMlpResult {
  const { arch, weights } = run.model;
  check(
    arch.gatedMlp,
    'BAD_INPUT',
    'the gated-MLP view needs a model with gated MLPs (this one has plain MLPs)',
  );
  const { B, P } = runDims(run);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const row = b * P + p;
  const { nLayers: L, dMlp: m, nActions: A } = arch;
  const out: Omit<GatedMlpResult, 'batch' | 'position' | 'tokenLabel' | 'actionNames' | 'byAction'> = {
    labels: [],
    layer: [],
    gate: [],
    linear: [],
    post: [],
    congruence: [],
    topAction: [],
  };
  for (let l = 0; l < L; l++) {
    const pre = run.cache.get(`blocks.${l}.mlp.hook_pre`).data.slice(row * m, (row + 1) * m);
    const gates = activate(new Tensor(pre, [m]), arch.activationFn).data;
    const post = run.cache.get(`blocks.${l}.mlp.hook_post`).data;
    const cong = neuronsToPredictor(run.model, l).values.data; // [m, A]
    for (let n = 0; n < m; n++) {
      const reader = neuronReader(run.cache, arch, weights, { layer: l, index: n }, 'linear', row);
      const c = Array.from(cong.subarray(n * A, (n + 1) * A));
      out.labels.push(`L${l}N${n}`);
      out.layer.push(l);
      out.gate.push(gates[n]);
      out.linear.push(readValue(run.cache, reader, l, row));
      out.post.push(post[row * m + n]);
      out.congruence.push(c);
      out.topAction.push(c.indexOf(Math.max(...c)));
    }
  }
  const actionNames = Array.from({ length: A }, (_, a) => actionName(a));
  const byAction = actionNames.map((action, a) => {
    const g = out.gate.filter((_, i) => out.topAction[i] === a);
    return {
      action,
      neurons: g.length,
      meanGate: g.length ? g.reduce((s, v) => s + v, 0) / g.length : 0,
      maxGate: g.length ? Math.max(...g) : 0,
    };
  });
  return { batch: b, position: p, tokenLabel: run.tokenLabels[p], actionNames, ...out, byAction };
}
