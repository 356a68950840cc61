import { describe, expect, it } from 'vitest';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import { actName } from '../../../src/model/hooks.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose } from '../../support/compare.ts';
import { randomModel, seededRandom, tinyArch } from '../../support/randomModel.ts';

function inputsFor(arch: DTArchitecture, B = 2, T = 3) {
  const rand = seededRandom(5);
  const nObs = 18;
  return {
    states: new Tensor(
      new Float32Array(B * T * nObs).map(() => (rand() < 0.4 ? 1 : 0)),
      [B, T, ...arch.obsShape],
    ),
    actions: Int32Array.from({ length: B * (T - 1) }, () => Math.floor(rand() * 4)),
    rtgs: Float32Array.from({ length: B * T }, () => rand()),
    timesteps: Int32Array.from({ length: B * T }, (_, i) => i % T),
  };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) =>
  expectClose(a, b, tol, { metric: 'abs' });

describe('hooks and cache', () => {
  const arch = tinyArch({ gatedMlp: true });
  const model = randomModel(arch);
  const inputs = inputsFor(arch);
  const { cache, transformerOut, actionPreds } = model.run(inputs, { cache: true });

  it('caches every hook point with TransformerLens shapes', () => {
    expect(cache!.names.sort()).toEqual([...model.hookNames].sort());
    const [B, P, d, H, dh, m] = [2, 8, 8, 2, 4, 12];
    expect(cache!.get('hook_embed').shape).toEqual([B, P, d]);
    expect(cache!.get('blocks.1.ln1.hook_scale').shape).toEqual([B, P, 1]);
    expect(cache!.get('blocks.0.attn.hook_q').shape).toEqual([B, P, H, dh]);
    expect(cache!.get('blocks.0.attn.hook_pattern').shape).toEqual([B, H, P, P]);
    expect(cache!.get('blocks.1.mlp.hook_post').shape).toEqual([B, P, m]);
    expect(cache!.get('ln_final.hook_normalized').shape).toEqual([B, P, d]);
    close(cache!.get('ln_final.hook_normalized').data, transformerOut.data, 0);
  });

  it('masks attention causally with -1e5 scores and rows of the pattern sum to one', () => {
    const scores = cache!.get('blocks.1.attn.hook_attn_scores');
    const pattern = cache!.get('blocks.1.attn.hook_pattern');
    const P = 8;
    for (let bh = 0; bh < 4; bh++)
      for (let i = 0; i < P; i++) {
        let s = 0;
        for (let j = 0; j < P; j++) {
          const v = pattern.data[(bh * P + i) * P + j];
          s += v;
          if (j > i) {
            expect(scores.data[(bh * P + i) * P + j]).toBe(-100000);
            expect(v).toBe(0);
          }
        }
        expect(s).toBeCloseTo(1, 6);
      }
  });

  it('caches only names matching a filter', () => {
    const r = model.run(inputs, { cache: (n) => n.endsWith('hook_z') });
    expect(r.cache!.names).toEqual(['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z']);
    expect(model.run(inputs).cache).toBeUndefined();
  });

  it('a replacing hook changes downstream activations; the cache holds the hooked value', () => {
    const name = actName('pattern', 1);
    const uniform = (t: Tensor) => {
      const P = t.shape[3];
      const out = new Float32Array(t.size);
      for (let r = 0; r < out.length / P; r++) {
        const i = r % P;
        for (let j = 0; j <= i; j++) out[r * P + j] = 1 / (i + 1);
      }
      return new Tensor(out, t.shape);
    };
    const r = model.run(inputs, {
      hooks: [{ name, fn: uniform }],
      cache: [name, 'blocks.1.hook_resid_post'],
    });
    expect(r.cache!.get(name).get(0, 0, 3, 0)).toBeCloseTo(0.25, 7);
    expect(r.actionPreds!.data).not.toEqual(actionPreds!.data);
  });

  it('zero-ablating one head through hook_z equals removing its result from attn_out', () => {
    const zName = 'blocks.0.attn.hook_z';
    const ablate = (z: Tensor) => {
      for (let r = 0; r < z.size / 8; r++) for (let e = 0; e < 4; e++) z.data[r * 8 + 1 * 4 + e] = 0; // head 1, in place
    };
    const r = model.run(inputs, { hooks: [{ name: zName, fn: ablate }], cache: ['blocks.0.hook_attn_out'] });
    const clean = cache!.get('blocks.0.hook_attn_out').data;
    const head1 = cache!.headResult(0); // [B, P, H, d]
    const expected = clean.map((v, i) => v - head1.data[(Math.floor(i / 8) * 2 + 1) * 8 + (i % 8)]);
    close(r.cache!.get('blocks.0.hook_attn_out').data, expected);
  });

  it("hooks run in order and each sees the previous one's output", () => {
    const seen: number[] = [];
    model.run(inputs, {
      hooks: [
        {
          name: 'hook_embed',
          fn: (t) =>
            new Tensor(
              t.data.map(() => 2),
              t.shape,
            ),
        },
        { name: 'hook_embed', fn: (t) => void seen.push(t.data[0]) },
      ],
    });
    expect(seen).toEqual([2]);
  });

  it('rejects a hook returning the wrong shape', () => {
    expect(() => model.run(inputs, { hooks: [{ name: 'hook_embed', fn: () => Tensor.zeros([1]) }] })).toThrow(
      /hook on hook_embed returned shape \[1\]/,
    );
  });
});

describe('ActivationCache decompositions', () => {
  for (const normalization of ['LN', null] as const) {
    const arch = tinyArch({ normalization });
    const model = randomModel(arch, { variant: 'processed' });
    const { cache } = model.run(inputsFor(arch), { cache: true });
    const c = cache!;
    const sum = (stack: Tensor) => {
      const n = stack.size / stack.shape[0];
      const out = new Float32Array(n);
      for (let k = 0; k < stack.shape[0]; k++) for (let i = 0; i < n; i++) out[i] += stack.data[k * n + i];
      return out;
    };

    it(`decomposeResid sums to the residual stream (${normalization ?? 'no norm'})`, () => {
      const { components, labels } = c.decomposeResid();
      expect(labels).toEqual(['embed', 'pos_embed', '0_attn_out', '0_mlp_out', '1_attn_out', '1_mlp_out']);
      close(sum(components), c.get('blocks.1.hook_resid_post').data, 1e-5);
      const mid = c.decomposeResid(1, { mlpInput: true });
      expect(mid.labels.at(-1)).toBe('1_attn_out');
      close(sum(mid.components), c.get('blocks.1.hook_resid_mid').data, 1e-5);
    });

    it(`getFullResidDecomposition sums exactly to the residual (${normalization ?? 'no norm'})`, () => {
      for (const expandNeurons of [true, false]) {
        const { components, labels } = c.getFullResidDecomposition(-1, { expandNeurons });
        expect(labels.slice(0, 4)).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1']);
        expect(labels.slice(-3)).toEqual(['embed', 'pos_embed', 'bias']);
        close(sum(components), c.get('blocks.1.hook_resid_post').data, 2e-5);
      }
    });

    it(`head results plus b_O give attn_out (${normalization ?? 'no norm'})`, () => {
      const heads = c.stackHeadResults(1);
      const s = sum(heads.components);
      const bO = model.weights.blocks[0].attn.b_O.data;
      close(
        s.map((v, i) => v + bO[i % 8]),
        c.get('blocks.0.hook_attn_out').data,
      );
    });

    it(`accumulatedResid lists pre/mid states and final_post (${normalization ?? 'no norm'})`, () => {
      const acc = c.accumulatedResid(-1, { inclMid: true });
      expect(acc.labels).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
      close(acc.components.at(4).data, c.get('blocks.1.hook_resid_post').data, 0);
    });

    it(`logitAttrs of the decomposition sum to the logit difference (${normalization ?? 'no norm'})`, () => {
      const { components } = c.decomposeResid(-1);
      const attrs = c.logitAttrs(components, 0, 1); // [n, B, P]
      const total = sum(attrs);
      const x = c.get(normalization ? 'ln_final.hook_normalized' : 'blocks.1.hook_resid_post');
      const dir = c.actionDirection(0, 1);
      for (let r = 0; r < total.length; r++) {
        let ld = 0;
        for (let j = 0; j < 8; j++) ld += x.data[r * 8 + j] * dir[j];
        expect(total[r]).toBeCloseTo(ld, 4);
      }
    });
  }
});
