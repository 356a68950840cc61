import { describe, expect, it } from 'vitest';
import type { RawTensor } from '../../../src/io/rawTensor.ts';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import type { DTInputs } from '../../../src/model/decisionTransformer.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { backward } from '../../../src/train/backward.ts';
import { randomModel, randomStateDict, seededRandom, tinyArch } from '../../support/randomModel.ts';
import { referenceTransformer } from '../../support/referenceForward.ts';
import { expectGradient, randomArray } from './support.ts';

/**
 * Whole-model gradient check: an arbitrary linear functional of the action logits and of the
 * transformer output, differentiated by `backward` (float32, from the cached forward) and by central
 * differences of the independent float64 reference forward (test/support/referenceForward.ts) with
 * embeddings and the action head written out here from dti_spec.md §1.4/§1.6.
 */
function inputsFor(arch: DTArchitecture, B: number, T: number, rand: () => number): DTInputs {
  const [X, Y, C] = arch.obsShape;
  const states = new Float32Array(B * T * X * Y * C).map(() => (rand() < 0.3 ? Math.floor(rand() * 3) : 0));
  return {
    states: new Tensor(states, [B, T, X, Y, C]),
    actions: Int32Array.from({ length: B * (T - 1) }, () => Math.floor(rand() * (arch.nActions + 1))),
    rtgs: Float32Array.from({ length: B * T }, () => rand() * 2 - 0.5),
    timesteps: Int32Array.from({ length: B * T }, () => Math.floor(rand() * 20)),
  };
}

/** The state dict as float64 arrays (the reference reads `.data` by index only). */
function float64StateDict(sd: Map<string, RawTensor>): Map<string, Float64Array> {
  return new Map([...sd].map(([k, v]) => [k, Float64Array.from(v.data as Float32Array)]));
}

function referenceObjective(
  arch: DTArchitecture,
  sd: Map<string, Float64Array>,
  inputs: DTInputs,
  cLogits: Float64Array,
  cOut: Float64Array,
  tokenDelta?: Float64Array,
): number {
  const { dModel: d, nActions: A } = arch;
  const [X, Y, C] = arch.obsShape;
  const nObs = X * Y * C;
  const [B, T] = inputs.states.shape;
  const P = 3 * T - 1;
  const get = (n: string) => sd.get(n)!;
  const Ws = get('state_embedding.weight');
  const wR = get('reward_embedding.0.weight');
  const Ea = get('action_embedding.0.weight');
  const Et = get('time_embedding.weight');
  const asRaw = new Map(
    [...sd].map(([k, v]) => [k, { dtype: 'F32', shape: [], data: v } as unknown as RawTensor]),
  );
  let total = 0;
  for (let b = 0; b < B; b++) {
    const tokens: number[][] = [];
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const ts = inputs.timesteps[bt];
      const time = (j: number) => Et[ts * d + j];
      tokens.push(Array.from({ length: d }, (_, j) => inputs.rtgs[bt] * wR[j] + time(j)));
      tokens.push(
        Array.from({ length: d }, (_, j) => {
          let s = time(j);
          for (let x = 0; x < X; x++)
            for (let y = 0; y < Y; y++)
              for (let c = 0; c < C; c++)
                s +=
                  Ws[j * nObs + c * X * Y + x * Y + y] * inputs.states.data[bt * nObs + (x * Y + y) * C + c];
          return s;
        }),
      );
      if (t < T - 1) {
        const a = inputs.actions![b * (T - 1) + t];
        tokens.push(Array.from({ length: d }, (_, j) => Ea[a * d + j] + time(j)));
      }
    }
    if (tokenDelta)
      tokens.forEach((row, p) => row.forEach((_, j) => (row[j] += tokenDelta[(b * P + p) * d + j])));
    const out = referenceTransformer(asRaw, arch, tokens);
    const Wa = get('action_predictor.weight');
    const ba = get('action_predictor.bias');
    for (let t = 0; t < T; t++)
      for (let a = 0; a < A; a++) {
        let logit = ba[a];
        for (let j = 0; j < d; j++) logit += Wa[a * d + j] * out[3 * t + 1][j];
        total += cLogits[(b * T + t) * A + a] * logit;
      }
    out.forEach((row, p) => row.forEach((v, j) => (total += cOut[(b * P + p) * d + j] * v)));
  }
  return total;
}

/** relu only: the reference forward implements relu (other activations: test/unit/train/ops.test.ts). */
const VARIANTS: Array<[string, Partial<DTArchitecture>]> = [
  ['LN, relu MLP', {}],
  ['LN, gated relu MLP', { gatedMlp: true }],
  ['LNPre, relu MLP', { normalization: 'LNPre' }],
  ['no normalization, gated relu MLP', { normalization: null, gatedMlp: true }],
];

describe('backward (whole model) vs float64 finite differences', () => {
  for (const [label, overrides] of VARIANTS) {
    it(`matches for ${label}`, () => {
      const arch = tinyArch(overrides);
      const rand = seededRandom(7);
      const B = 2;
      const T = 3;
      const P = 3 * T - 1;
      const model = randomModel(arch, { seed: 3 });
      const sd = float64StateDict(randomStateDict(arch, 3));
      const inputs = inputsFor(arch, B, T, rand);
      const cLogits = randomArray(rand, B * T * arch.nActions);
      const cOut = randomArray(rand, B * P * arch.dModel, 0.3);
      const run = model.run(inputs, { cache: true });
      const { weightGrads, activationGrads } = backward(
        model,
        run.cache!,
        {
          actionPreds: new Tensor(Float32Array.from(cLogits), run.actionPreds!.shape),
          transformerOut: new Tensor(Float32Array.from(cOut), run.transformerOut.shape),
        },
        { inputs },
      );
      const f = () => referenceObjective(arch, sd, inputs, cLogits, cOut);
      const pick = rand;
      for (const [name, grad] of weightGrads) {
        if (name.startsWith('state_predictor') || name.startsWith('reward_predictor')) {
          expect(grad.every((v) => v === 0)).toBe(true);
          continue;
        }
        const x = sd.get(name)!;
        const idx = Array.from({ length: Math.min(6, x.length) }, () => Math.floor(pick() * x.length));
        // the gradient is non-zero only at rows the inputs touch: always check those too
        if (name === 'time_embedding.weight') idx.push(inputs.timesteps[0] * arch.dModel + 1);
        if (name === 'action_embedding.0.weight') idx.push(inputs.actions![0] * arch.dModel + 2);
        expectGradient(grad, f, x, name, undefined, idx);
      }
      const delta = new Float64Array(B * P * arch.dModel);
      const embedGrad = activationGrads.get('hook_embed')!.data;
      const idx = Array.from({ length: 12 }, () => Math.floor(pick() * delta.length));
      expectGradient(
        embedGrad,
        () => referenceObjective(arch, sd, inputs, cLogits, cOut, delta),
        delta,
        'hook_embed',
        undefined,
        idx,
      );
    });
  }
});
