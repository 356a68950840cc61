/**
 * Neuron activation analysis (DTI "Neuron Activation Analysis", fixed for gated MLPs): what one neuron
 * `L{l}N{n}` reads at one token, decomposed exactly over the residual components that feed its MLP.
 *
 * For every read of the neuron (`neuronReads.ts`: `pre` for a plain MLP; `gate` and `linear` for a
 * gated one) the components of TL `get_full_resid_decomposition(layer=l, mlp_input=True,
 * expand_neurons=True)` (heads `L{l'}H{h}` for l' <= l, neurons `L{l'}N{k}` for l' < l, embed,
 * pos_embed, bias) are projected on the read's LN-scaled weight column; with the read's constant
 * (LN bias · w + the read's bias) they sum to the read's value: `mlp.hook_pre` for `pre` and `gate`.
 * DTI instead always read W_in and added b_in, and compared that with `hook_pre`: right for a plain
 * MLP, wrong for a gated one, where `hook_pre` is the gate (`dti` keeps its estimate for comparison).
 *
 * Also per read: the lens into the MLP input (`decompose_resid` and `accumulated_resid(incl_mid)`
 * at the MLP input, projected the same way) and, at an S token, the observation features present in
 * the observation (each active state-embedding column × its value) and the time embedding, which
 * together make the `embed` component's contribution (the S token has no other embedding term).
 */
import { check } from '../../errors.ts';
import { SPARSE_CHANNEL_NAMES, DENSE_CHANNEL_NAMES, stateFeatureLabel } from '../../env/features.ts';
import { activate } from '../../tensor/ops.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import type { Attribution, SumCheck } from './decomposition.ts';
import {
  type NeuronReadKind,
  type NeuronRef,
  neuronReadKinds,
  neuronReader,
  readValue,
} from './neuronReads.ts';
import { checkNeuron } from '../static/model.ts';
import { timeEmbedding } from './observation.ts';
import { type AnalysisRun, projectAt, resolveIndex, runDims, sum } from './run.ts';

export interface NeuronActivationOptions {
  neuron: NeuronRef;
  batch?: number;
  /** Token position (default: the last S token; negative counts from the end). */
  position?: number;
}

/** One observation feature's contribution (an active cell of one channel). */
export interface FeatureContribution {
  /** DTI `STATE_EMBEDDING_LABELS` label, e.g. "key, (2,6)" */
  label: string;
  channel: string;
  value: number;
  contribution: number;
}

export interface NeuronObservation {
  features: FeatureContribution[];
  /** Σ features (DTI "Activation Contribution of State Features") */
  state: number;
  /** The time embedding's contribution */
  time: number;
  /** state + time: equals the `embed` component's contribution */
  total: number;
}

export interface NeuronReadAnalysis {
  kind: NeuronReadKind;
  weight: 'W_in' | 'W_gate';
  /** The read's value: `hook_pre` for pre and gate, the linear branch for linear */
  value: number;
  /** Components feeding the MLP input, plus `constant` (LN bias · w + the read's bias) last */
  components: Attribution & { check: SumCheck };
  /** [(l+1)][H] head contributions (DTI "Head" tab) */
  heads: number[][];
  /** `decompose_resid(l, mlp_input)`: embed, pos_embed, {l'}_attn_out, {l'}_mlp_out (l' < l), {l}_attn_out */
  layers: Attribution;
  /** `accumulated_resid(l, incl_mid, mlp_input)` projected (+ constant: the last equals `value`) */
  accumulated: Attribution;
  /** At an S token: the observation features and time embedding; null at R and A tokens */
  observation: NeuronObservation | null;
}

export interface NeuronActivationResult {
  neuron: NeuronRef & { label: string };
  batch: number;
  position: number;
  tokenLabel: string;
  gated: boolean;
  reads: NeuronReadAnalysis[];
  /** `mlp.hook_post` of the neuron */
  post: number;
  /** act(hook_pre): the neuron's activation (plain) or its gate (gated) */
  activation: number;
  /** Gated only: post = act(gate) · linear + b_in; `b_in` and the rebuilt post */
  gatedPost?: { bIn: number; rebuilt: number };
  /**
   * DTI's "(estimated)": the components of the W_in read (without its constant) + b_in, against its
   * "(cache)" hook_pre; on processed weights (what DTI's app loads) exactly DTI's number.
   */
  dti: { estimate: number; cache: number };
}

export function neuronActivation(run: AnalysisRun, options: NeuronActivationOptions): NeuronActivationResult {
  const { B, P } = runDims(run);
  const { arch, weights } = run.model;
  const { layer: l, index: n } = options.neuron;
  checkNeuron(arch, l, n);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const row = b * P + p;
  const { cache } = run;
  const m = arch.dMlp;
  const hookPre = cache.get(`blocks.${l}.mlp.hook_pre`).data[row * m + n];
  const post = cache.get(`blocks.${l}.mlp.hook_post`).data[row * m + n];
  const full = cache.getFullResidDecomposition(l, { mlpInput: true, expandNeurons: true });
  const layers = cache.decomposeResid(l, { mlpInput: true });
  const accumulated = cache.accumulatedResid(l, { mlpInput: true, inclMid: true });
  const H = arch.nHeads;

  const reads = neuronReadKinds(arch).map((kind): NeuronReadAnalysis => {
    const r = neuronReader(cache, arch, weights, options.neuron, kind, row);
    const dir = Float32Array.from(r.reader);
    const values = [...projectAt(full, b, p, dir), r.constant];
    const value = kind === 'linear' ? readValue(cache, r, l, row) : hookPre;
    const s = sum(values);
    return {
      kind,
      weight: r.weight,
      value,
      components: {
        labels: [...full.labels, 'constant'],
        values,
        check: { sum: s, target: value, error: s - value },
      },
      heads: Array.from({ length: l + 1 }, (_, i) => values.slice(i * H, (i + 1) * H)),
      layers: { labels: layers.labels, values: projectAt(layers, b, p, dir) },
      accumulated: {
        labels: accumulated.labels,
        values: projectAt(accumulated, b, p, dir).map((v) => v + r.constant),
      },
      observation: observationContributions(run, b, p, dir),
    };
  });
  const activation = activate(new Tensor(Float32Array.of(hookPre), [1]), arch.activationFn).data[0];
  const bIn = weights.blocks[l].mlp.b_in.data[n];
  const linear = reads.find((r) => r.kind === 'linear');
  // DTI's estimate: the W_in read's components (without its constant) + b_in
  const wIn = reads.find((r) => r.weight === 'W_in')!;
  const dtiEstimate = sum(wIn.components.values.slice(0, -1)) + bIn;
  return {
    neuron: { layer: l, index: n, label: `L${l}N${n}` },
    batch: b,
    position: p,
    tokenLabel: run.tokenLabels[p],
    gated: arch.gatedMlp,
    reads,
    post,
    activation,
    ...(linear && { gatedPost: { bIn, rebuilt: activation * linear.value + bIn } }),
    dti: { estimate: dtiEstimate, cache: hookPre },
  };
}

/**
 * At an S token: each active observation feature's share of the state embedding (`W_state[:, f] ·
 * obs[f]`) and the time embedding of its timestep, projected on `dir`.
 */
function observationContributions(
  run: AnalysisRun,
  b: number,
  p: number,
  dir: Float32Array,
): NeuronObservation | null {
  if (run.tokenLabels[p][0] !== 'S') return null;
  const { model, inputs } = run;
  const [X, Y, C] = model.arch.obsShape;
  check(X === Y, 'BAD_INPUT', `observation view ${X}x${Y} is not square`);
  const d = model.arch.dModel;
  const T = inputs.states.shape[1];
  const t = (p - 1) / 3;
  const nObs = X * Y * C;
  const W = model.weights.stateEmbedding.data; // [d, nObs], column (c, x, y)
  const obs = inputs.states.data.subarray((b * T + t) * nObs, (b * T + t + 1) * nObs); // [x][y][c]
  const channels = C === 20 ? SPARSE_CHANNEL_NAMES : C === 3 ? DENSE_CHANNEL_NAMES : [];
  const features: FeatureContribution[] = [];
  let stateDot = 0;
  for (let c = 0; c < C; c++)
    for (let x = 0; x < X; x++)
      for (let y = 0; y < Y; y++) {
        const v = obs[(x * Y + y) * C + c];
        if (v === 0) continue;
        const f = c * X * Y + x * Y + y;
        let s = 0;
        for (let j = 0; j < d; j++) s += W[j * nObs + f] * dir[j];
        const channel = channels[c] ?? `channel ${c}`;
        const label = channels.length ? stateFeatureLabel(f, X, channels) : `${channel}, (${x},${y})`;
        features.push({ label, channel, value: v, contribution: s * v });
        stateDot += s * v;
      }
  const time = timeEmbedding(run, Number(inputs.timesteps[b * T + t]));
  let timeDot = 0;
  for (let j = 0; j < d; j++) timeDot += time[j] * dir[j];
  return { features, state: stateDot, time: timeDot, total: stateDot + timeDot };
}
