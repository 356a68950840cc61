/**
 * Starting the transformer core at `blocks.L.hook_resid_pre` from a given residual (prefix reuse):
 * with the residual of a full run it gives that run's output bit for bit, earlier hooks do not fire,
 * and bad layers or shapes are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { positionAxis } from '../../../src/model/hooks.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose } from '../../support/compare.ts';
import { randomInputs, randomModel, tinyArch } from '../../support/randomModel.ts';

const archs = {
  'LN, relu': tinyArch(),
  'LN, gated': tinyArch({ gatedMlp: true }),
  'no LN, 3 layers': tinyArch({ normalization: null, nLayers: 3 }),
};

describe('DecisionTransformer.runFromResidual', () => {
  for (const [name, arch] of Object.entries(archs)) {
    it(`${name}: equals the full run from every layer`, () => {
      const model = randomModel(arch);
      const inputs = randomInputs(arch, 3, 3);
      const full = model.run(inputs, { cache: true, heads: ['action', 'reward'] });
      for (let l = 0; l <= arch.nLayers; l++) {
        const resid =
          l < arch.nLayers
            ? full.cache!.get(`blocks.${l}.hook_resid_pre`)
            : full.cache!.get(`blocks.${arch.nLayers - 1}.hook_resid_post`);
        const part = model.runFromResidual(l, resid.clone(), { cache: true, heads: ['action', 'reward'] });
        expect(part.transformerOut.data).toEqual(full.transformerOut.data);
        expect(part.actionPreds!.data).toEqual(full.actionPreds!.data);
        expect(part.rewardPreds!.data).toEqual(full.rewardPreds!.data);
        // Hook points of earlier layers neither fire nor appear in the cache.
        expect(part.cache!.has('hook_embed')).toBe(false);
        if (l > 0) expect(part.cache!.has(`blocks.${l - 1}.hook_resid_post`)).toBe(false);
        if (l < arch.nLayers) {
          expect(part.cache!.get(`blocks.${l}.attn.hook_pattern`).data).toEqual(
            full.cache!.get(`blocks.${l}.attn.hook_pattern`).data,
          );
        }
      }
    });
  }

  for (const [name, arch] of Object.entries(archs)) {
    it(`${name}: a last-position run equals the full run at the last token`, () => {
      const model = randomModel(arch);
      const inputs = randomInputs(arch, 3, 3);
      const full = model.run(inputs, { cache: true });
      const [B, P, d] = full.transformerOut.shape;
      const A = arch.nActions;
      const T = full.actionPreds!.shape[1];
      const lastOf = (x: Float32Array, n: number, stride: number) =>
        Array.from({ length: B }, (_, b) => [
          ...x.slice((b * stride + stride - 1) * n, (b * stride + stride) * n),
        ]);
      const seen = new Map<string, readonly number[] | undefined>();
      const spy = {
        name: () => true,
        fn: (_: Tensor, h: { name: string; positions?: readonly number[] }) =>
          void seen.set(h.name, h.positions),
      };
      for (let l = 0; l <= arch.nLayers; l++) {
        const resid =
          l === 0
            ? null
            : l < arch.nLayers
              ? full.cache!.get(`blocks.${l}.hook_resid_pre`)
              : full.cache!.get(`blocks.${arch.nLayers - 1}.hook_resid_post`);
        const part = resid
          ? model.runFromResidual(l, resid, { lastPositionOnly: true, hooks: [spy] })
          : model.run(inputs, { lastPositionOnly: true, hooks: [spy] });
        expect(part.transformerOut.shape).toEqual([B, 1, d]);
        expect(lastOf(part.transformerOut.data, d, 1)).toEqual(lastOf(full.transformerOut.data, d, P));
        expect(lastOf(part.actionPreds!.data, A, 1)).toEqual(lastOf(full.actionPreds!.data, A, T));
      }
      // The last block's hooks from the pattern on hold only the last position; earlier ones all.
      const lastBlock = `blocks.${arch.nLayers - 1}`;
      expect(seen.get(`${lastBlock}.attn.hook_pattern`)).toEqual([P - 1]);
      expect(seen.get(`${lastBlock}.hook_mlp_out`)).toEqual([P - 1]);
      expect(seen.get(`${lastBlock}.attn.hook_k`)).toBeUndefined();
      expect(seen.get(`blocks.0.hook_mlp_out`)).toEqual(arch.nLayers > 1 ? undefined : [P - 1]);
      expect(() => model.run(inputs, { lastPositionOnly: true, heads: ['reward'] })).toThrow(
        /only the action head/,
      );
    });
  }

  for (const [name, arch] of Object.entries(archs)) {
    it(`${name}: a last-position run caches every hook point at the full run's last token`, () => {
      const model = randomModel(arch);
      const inputs = randomInputs(arch, 3, 3);
      const full = model.run(inputs, { cache: true }).cache!;
      const last = model.run(inputs, { cache: true, lastPositionOnly: true }).cache!;
      const P = full.nTokens;
      expect(last.nTokens).toBe(P);
      expect(last.names).toEqual(full.names);
      for (const hook of full.names) {
        const want = full.get(hook).lastAlong(positionAxis(hook));
        const got = last.get(hook);
        expect(got.shape, hook).toEqual(want.shape);
        expectClose(got.data, want.data, 1e-6, { metric: 'abs', label: hook });
      }
    });
  }

  it('runs hooks at the start layer and after', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const full = model.run(randomInputs(arch, 1, 3), { cache: true });
    const seen: string[] = [];
    model.runFromResidual(1, full.cache!.get('blocks.1.hook_resid_pre'), {
      hooks: [
        {
          name: (n) => n.endsWith('hook_resid_pre') || n === 'hook_embed',
          fn: (_, h) => void seen.push(h.name),
        },
      ],
    });
    expect(seen).toEqual(['blocks.1.hook_resid_pre']);
  });

  it("never modifies the caller's tokens or residual when hooks edit in place", () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const inputs = randomInputs(arch, 1, 3);
    const tokens = model.toTokens(inputs);
    const full = model.runFromTokens(tokens, { cache: true });
    const resid = full.cache!.get('blocks.1.hook_resid_pre');
    const [t0, r0] = [tokens.data.slice(), resid.data.slice()];
    const zero = { name: ['hook_embed', 'blocks.1.hook_resid_pre'], fn: (a: Tensor) => void a.data.fill(0) };
    model.runFromTokens(tokens, { hooks: [zero] });
    model.runFromResidual(1, resid, { hooks: [zero] });
    expect(tokens.data).toEqual(t0);
    expect(resid.data).toEqual(r0);
  });

  it('rejects bad layers and shapes with typed errors', () => {
    const arch = tinyArch();
    const model = randomModel(arch);
    const resid = Tensor.zeros([1, 8, arch.dModel]);
    expect(() => model.runFromResidual(3, resid)).toThrow(/start layer 3 is outside 0..2/);
    expect(() => model.runFromResidual(-1, resid)).toThrow(DtlensError);
    expect(() => model.runFromResidual(0, Tensor.zeros([1, 8, 5]))).toThrow(/\[B, P, 8\]/);
    expect(() => model.runFromResidual(0, Tensor.zeros([1, 9, arch.dModel]))).toThrow(/context of 8/);
  });
});
