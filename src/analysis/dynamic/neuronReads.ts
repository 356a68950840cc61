/**
 * What one MLP neuron reads from the residual stream, as linear functionals of `resid_mid` at one
 * (batch, position): shared by the neuron activation analysis and the gated-MLP view.
 *
 * A read is `x · W[:, n] + b` where x is the MLP input: `ln2(resid_mid)` (centred, divided by the
 * cached `ln2.hook_scale`, then `· ln2.w + ln2.b` on raw LN weights), or `resid_mid` without
 * normalisation. A plain MLP has one read, `pre` (W_in, b_in: `mlp.hook_pre`); a gated MLP (TL 1.2.2
 * `GatedMLP`: `post = act(x W_gate + b_gate) · (x W_in + b_linear) + b_in`) has two: `gate` (W_gate,
 * b_gate: `mlp.hook_pre`) and `linear` (W_in, b_linear; TL's `hook_pre_linear`). `b_gate` and
 * `b_linear` exist only on dtlens's exactly folded `processed` weights (absent = 0).
 */
import { check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DTWeights } from '../../model/weights.ts';
import { checkNeuron } from '../static/model.ts';

export type NeuronReadKind = 'pre' | 'gate' | 'linear';

/** A neuron `L{layer}N{index}`. */
export interface NeuronRef {
  layer: number;
  index: number;
}

/** `L{l}N{n}` -> {layer, index}, checked against the architecture (BAD_INPUT otherwise). */
export function parseNeuron(label: string, arch: DTArchitecture): NeuronRef {
  const m = /^L(\d+)N(\d+)$/.exec(label.trim());
  check(m !== null, 'BAD_INPUT', `neuron "${label}" is not L{layer}N{index} (e.g. L1N88)`);
  const ref = { layer: Number(m[1]), index: Number(m[2]) };
  checkNeuron(arch, ref.layer, ref.index);
  return ref;
}

/** The reads of a neuron of this architecture: `pre`, or `gate` and `linear` for gated MLPs. */
export const neuronReadKinds = (arch: DTArchitecture): NeuronReadKind[] =>
  arch.gatedMlp ? ['gate', 'linear'] : ['pre'];

/**
 * One read as an affine functional of the residual stream at (b, p): `value = resid_mid · reader +
 * constant`, where `reader` [d] = `(w ⊙ γ − mean(w ⊙ γ)) / scale` (centring and the cached LN scale folded in;
 * γ = 1 without a raw LN weight; no centring or scale without normalisation) and `constant = β · w + b`.
 * Because it is linear in the residual stream, any decomposition of `resid_mid` projected on `reader`
 * sums (with `constant`) to the read's value.
 */
export interface NeuronReader {
  kind: NeuronReadKind;
  /** The weight column read: W_in or W_gate */
  weight: 'W_in' | 'W_gate';
  reader: Float64Array;
  constant: number;
}

export function neuronReader(
  cache: ActivationCache,
  arch: DTArchitecture,
  weights: DTWeights,
  neuron: NeuronRef,
  kind: NeuronReadKind,
  row: number,
): NeuronReader {
  const { dModel: d, dMlp: m } = arch;
  check(
    neuronReadKinds(arch).includes(kind),
    'BAD_INPUT',
    `a ${arch.gatedMlp ? 'gated' : 'plain'} MLP has no ${kind} read`,
  );
  const { layer: l, index: n } = neuron;
  const mlp = weights.blocks[l].mlp;
  const W = kind === 'gate' ? mlp.W_gate! : mlp.W_in;
  const bias = kind === 'pre' ? mlp.b_in : kind === 'gate' ? mlp.b_gate : mlp.b_linear;
  const ln = weights.blocks[l].ln2;
  const w = Float64Array.from({ length: d }, (_, j) => W.data[j * m + n] * (ln ? ln.w[j] : 1));
  let constant = bias ? bias.data[n] : 0;
  if (ln) for (let j = 0; j < d; j++) constant += ln.b[j] * W.data[j * m + n];
  if (arch.normalization) {
    const mean = w.reduce((a, v) => a + v, 0) / d;
    const scale = cache.get(`blocks.${l}.ln2.hook_scale`).data[row];
    for (let j = 0; j < d; j++) w[j] = (w[j] - mean) / scale;
  }
  return { kind, weight: kind === 'gate' ? 'W_gate' : 'W_in', reader: w, constant };
}

/** The read's value at cache row `row` (= b·P + p): `resid_mid[row] · reader + constant`. */
export function readValue(cache: ActivationCache, r: NeuronReader, layer: number, row: number): number {
  const d = r.reader.length;
  const x = cache.get(`blocks.${layer}.hook_resid_mid`).data;
  let s = r.constant;
  for (let j = 0; j < d; j++) s += x[row * d + j] * r.reader[j];
  return s;
}
