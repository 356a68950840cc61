import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import {
  DecisionTransformer,
  type DTInputs,
  invalidateDerivedWeights,
} from '../../../src/model/decisionTransformer.ts';
import { repeatWindow } from '../../../src/model/inputs.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { randomInputs, randomModel, randomStateDict, tinyArch } from '../../support/randomModel.ts';
import { expectClose, expectDiffer } from '../../support/compare.ts';
import { referenceTransformer } from '../../support/referenceForward.ts';

describe('DecisionTransformer forward', () => {
  const variants: [string, Partial<DTArchitecture>][] = [
    ['LN, relu MLP', {}],
    ['LN, gated MLP', { gatedMlp: true }],
    ['no normalization', { normalization: null }],
    ['LNPre', { normalization: 'LNPre' }],
  ];
  for (const [label, overrides] of variants) {
    it(`matches a naive float64 restatement of the spec (${label})`, () => {
      const arch = tinyArch(overrides);
      const model = randomModel(arch, { seed: 3 });
      const inputs = randomInputs(arch, 2, 3);
      const tokens = model.toTokens(inputs);
      const out = model.runFromTokens(tokens).transformerOut;
      const sd = randomStateDict(arch, 3);
      const [B, P, d] = tokens.shape;
      for (let b = 0; b < B; b++) {
        const rows = Array.from({ length: P }, (_, p) =>
          Array.from(tokens.data.subarray((b * P + p) * d, (b * P + p + 1) * d)),
        );
        const expected = referenceTransformer(sd, arch, rows).flat();
        expectClose(out.data.subarray(b * P * d, (b + 1) * P * d), expected, 2e-5, { metric: 'abs' });
      }
    });
  }

  it('lays tokens out as R, s, a with time added and the last action omitted', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const inputs = randomInputs(arch, 1, 3);
    const tokens = model.toTokens(inputs);
    expect(tokens.shape).toEqual([1, 8, 8]);
    const w = model.weights;
    const d = arch.dModel;
    const time = (t: number) => (w.timeEmbedding as Tensor).data.subarray(t * d, (t + 1) * d);
    // R_2 = rtg_2 * w_R + time(t_2): hand-computed per component.
    for (let j = 0; j < d; j++) {
      expect(tokens.get(0, 3, j)).toBeCloseTo(
        inputs.rtgs[1] * w.rtgEmbedding.data[j] + time(inputs.timesteps[1])[j],
        5,
      );
      const a = inputs.actions![1];
      expect(tokens.get(0, 5, j)).toBeCloseTo(
        w.actionEmbedding.data[a * d + j] + time(inputs.timesteps[1])[j],
        5,
      );
    }
    // s_1: the (c, x, y)-flattened observation times W_state^T.
    const [X, Y, C] = arch.obsShape;
    const nObs = X * Y * C;
    for (let j = 0; j < d; j++) {
      let s = time(inputs.timesteps[0])[j];
      for (let x = 0; x < X; x++)
        for (let y = 0; y < Y; y++)
          for (let c = 0; c < C; c++)
            s +=
              inputs.states.data[(x * Y + y) * C + c] *
              w.stateEmbedding.data[j * nObs + c * X * Y + x * Y + y];
      expect(tokens.get(0, 1, j)).toBeCloseTo(s, 5);
    }
  });

  it('reads actions at S tokens and state/reward at A tokens, copying the last R token (get_logits)', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const inputs = randomInputs(arch, 1, 3);
    const res = model.run(inputs, { heads: ['action', 'state', 'reward'] });
    expect(res.actionPreds!.shape).toEqual([1, 3, 3]);
    const x = res.transformerOut;
    const d = arch.dModel;
    const lin = (W: Tensor, b: Tensor | null, pos: number, o: number) => {
      let s = b ? b.data[o] : 0;
      for (let j = 0; j < d; j++) s += W.data[o * d + j] * x.get(0, pos, j);
      return s;
    };
    const { actionPredictor: ap, rewardPredictor: rp } = model.weights;
    for (let t = 0; t < 3; t++)
      for (let a = 0; a < 3; a++)
        expect(res.actionPreds!.get(0, t, a)).toBeCloseTo(lin(ap.W, ap.b, 3 * t + 1, a), 5);
    expect(res.rewardPreds!.get(0, 0, 0)).toBeCloseTo(lin(rp!.W, rp!.b, 2, 0), 5);
    // Final timestep: the fake A slot is a copy of x[:, -2], the last R token (position 6 of 8).
    expect(res.rewardPreds!.get(0, 2, 0)).toBeCloseTo(lin(rp!.W, rp!.b, 6, 0), 5);
  });

  it('distinguishes actions=None from empty actions on one timestep', () => {
    const arch = tinyArch({ nCtx: 2 });
    const model = randomModel(arch);
    const base = randomInputs(arch, 2, 1);
    const none = model.run({ ...base, actions: null }, { heads: ['action'] });
    const empty = model.run(
      { ...base, actions: new Int32Array(0) },
      { heads: ['action', 'state', 'reward'] },
    );
    expect(none.transformerOut.shape).toEqual([2, 2, 8]);
    expectClose(none.actionPreds!.data, empty.actionPreds!.data, 0, { metric: 'abs' });
    expect(empty.statePreds!.shape).toEqual([2, 1, 18]);
    // DTI returns no state predictions without actions (and no action predictions unless asked)
    const stateOnly = model.run({ ...base, actions: null }, { heads: ['state'] });
    expect(stateOnly.statePreds).toBeUndefined();
    expect(stateOnly.actionPreds).toBeUndefined();
    expectClose(stateOnly.transformerOut.data, none.transformerOut.data, 0, { metric: 'abs' });
  });

  it('is batch-independent: a batch equals its items run alone', () => {
    const arch = tinyArch({ gatedMlp: true });
    const model = randomModel(arch);
    const inputs = randomInputs(arch, 3, 3);
    const all = model.run(inputs).actionPreds!;
    const nObs = 18;
    const one = model.run({
      states: new Tensor(inputs.states.data.slice(2 * 3 * nObs), [1, 3, ...arch.obsShape]),
      actions: inputs.actions!.slice(4),
      rtgs: inputs.rtgs.slice(6),
      timesteps: (inputs.timesteps as Int32Array).slice(6),
    }).actionPreds!;
    expectClose(all.data.subarray(2 * 9), one.data, 1e-6, { metric: 'abs' });
  });

  it('variant tokens of one window equal toTokens of the repeated window, bit for bit', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    for (const actions of ['some', 'none'] as const) {
      const T = actions === 'none' ? 1 : 3;
      const base = randomInputs(arch, 1, T);
      const window = actions === 'none' ? { ...base, actions: null } : base;
      const n = 4;
      const rtgs = Float32Array.from({ length: n * T }, (_, i) => i / 7 - 0.5);
      const timesteps = Int32Array.from({ length: n * T }, (_, i) => (i * 5) % 7);
      const repeated = {
        ...repeatWindow(window, n),
        rtgs,
        timesteps,
      };
      expectClose(model.variantTokens(window, rtgs, timesteps).data, model.toTokens(repeated).data, 0, {
        metric: 'abs',
      });
    }
    const window = randomInputs(arch, 1, 3);
    expect(() => model.variantTokens(window, new Float32Array(5), new Int32Array(5))).toThrow(/\[n, 3\]/);
    expect(() => model.variantTokens(window, new Float32Array(3), Int32Array.of(0, 1, 99))).toThrow(
      /timestep 99/,
    );
    expect(() =>
      model.variantTokens(randomInputs(arch, 2, 3), new Float32Array(3), new Int32Array(3)),
    ).toThrow(/one window/);
  });

  it('a hook running another forward mid-layer leaves the outer run unchanged (scratch buffers)', () => {
    const model = randomModel(tinyArch({ gatedMlp: true }));
    const inputs = randomInputs(model.arch, 2, 3);
    const plain = model.run(inputs).transformerOut;
    const nested = (name: string) => ({ name, fn: () => void model.run(randomInputs(model.arch, 3, 3, 11)) });
    const hooks = ['blocks.0.attn.hook_q', 'blocks.0.attn.hook_v', 'blocks.1.mlp.hook_pre'].map(nested);
    expectClose(model.run(inputs, { hooks }).transformerOut.data, plain.data, 0, { metric: 'abs' });
  });

  it('the fused gated-MLP path equals the hooked one', () => {
    const model = randomModel(tinyArch({ gatedMlp: true }), { variant: 'processed' });
    const inputs = randomInputs(model.arch, 2, 3);
    const fused = model.run(inputs).actionPreds!;
    const hooked = model.run(inputs, { cache: (n) => n.endsWith('mlp.hook_pre') }).actionPreds!;
    expectClose(fused.data, hooked.data, 1e-6, { metric: 'abs' });
  });

  it('sees in-place weight updates after invalidateDerivedWeights', () => {
    const arch = tinyArch({ gatedMlp: true });
    const model = randomModel(arch);
    const inputs = randomInputs(arch, 2, 3);
    const before = model.run(inputs).actionPreds!;
    model.weights.stateEmbedding.data.forEach((v, i, a) => (a[i] = v * 1.5));
    model.weights.blocks[0].mlp.W_gate!.data.forEach((v, i, a) => (a[i] = -v));
    const stale = model.run(inputs).actionPreds!;
    expectClose(stale.data, before.data, 0, { metric: 'abs' });
    invalidateDerivedWeights(model.weights);
    const fresh = new DecisionTransformer(model.arch, model.weights, new TsGemm()).run(inputs).actionPreds!;
    expectClose(model.run(inputs).actionPreds!.data, fresh.data, 1e-6, { metric: 'abs' });
    expectDiffer(fresh.data, before.data, 1e-3);
  });

  it('embeds states identically through the sparse gather and the dense GEMM path', () => {
    const arch = tinyArch();
    const [B, T, nObs] = [3, 3, 18];
    /** TsGemm claiming `macsPerMicrosecond`, recording the [B*T, nObs] @ [nObs, d] state products. */
    const recording = (macsPerMicrosecond: number) => {
      const ts = new TsGemm();
      const stateProducts: number[][] = [];
      const gemm = {
        ...ts,
        name: 'recording',
        macsPerMicrosecond,
        matmul: (...args: Parameters<TsGemm['matmul']>) => {
          const [, , m, k, n] = args;
          if (k === nObs) stateProducts.push([m, k, n]);
          return ts.matmul(...args);
        },
        bmm: ts.bmm.bind(ts),
      };
      return { gemm, stateProducts };
    };
    const slow = recording(1);
    const fast = recording(1e12);
    const sparse = randomModel(arch, { gemm: slow.gemm });
    const dense = randomModel(arch, { gemm: fast.gemm });
    const inputs = randomInputs(arch, B, T);
    const viaGather = sparse.toTokens(inputs).data;
    const viaGemm = dense.toTokens(inputs).data;
    // a slow backend leaves the states to the sparse gather; a fast one gets one dense product
    expect(slow.stateProducts).toEqual([]);
    expect(fast.stateProducts).toEqual([[B * T, nObs, arch.dModel]]);
    expectClose(viaGather, viaGemm, 1e-6, { metric: 'abs' });
    expectDiffer(viaGemm, new Float32Array(viaGemm.length), 1e-2);
  });

  it('rejects bad inputs with typed errors naming the problem', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const good = randomInputs(arch, 1, 3);
    const cases: [Partial<DTInputs>, RegExp][] = [
      [{ states: Tensor.zeros([1, 3, 3, 3, 5]) }, /states must have shape \[B, T, 3, 3, 2\]/],
      [{ rtgs: new Float32Array(2) }, /rtgs must have B\*T = 3/],
      [{ actions: Int32Array.of(0) }, /actions must have shape/],
      [{ actions: Int32Array.of(0, 9) }, /action 9 is outside 0..3/],
      [{ timesteps: Int32Array.of(0, 1, 21) }, /timestep 21 is outside .* 0..20/],
      [{ rtgs: Float32Array.of(0, NaN, 1) }, /non-finite/],
      [{ actions: null }, /only one timestep/],
    ];
    for (const [patch, message] of cases) {
      let caught: unknown;
      try {
        model.run({ ...good, ...patch });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(DtlensError);
      expect((caught as Error).message).toMatch(message);
    }
    const tooLong = randomInputs(arch, 1, 4);
    expect(() => model.run(tooLong)).toThrow(/more than the context of 8/);
  });
});
