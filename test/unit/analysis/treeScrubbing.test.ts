/**
 * Treeified causal scrubbing on a tiny random model and a synthetic window set. Independent truth: a
 * plain recursive evaluation of each tree (depth first, one run per node instance: a node's input is
 * the sum of its parents' writes, each evaluated on its own resampled window) with the same draws
 * (`pathUniform` of the path from the output, `pickWindow`), against the staged, batched
 * implementation; a hypothesis of `everything` recomputes the clean run (the writes of the cover and
 * the attention biases sum to the residual stream); nodes that are not whole cover nodes are refused.
 */
import { describe, expect, it } from 'vitest';
import { crossEntropy, greedyTargets, pickWindow } from '../../../src/analysis/causal/scrubbing.ts';
import { metricReader } from '../../../src/analysis/causal/metrics.ts';
import { pathUniform, treeifiedScrub } from '../../../src/analysis/causal/treeScrubbing.ts';
import type { WindowFeatures, WindowSet } from '../../../src/analysis/causal/windows.ts';
import { DtlensError } from '../../../src/errors.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { Tensor as T } from '../../../src/tensor/tensor.ts';
import { expectClose } from '../../support/compare.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const arch = tinyArch({ gatedMlp: true });
const model = randomModel(arch, { seed: 4 });
const N = 4;
const features: WindowFeatures[] = Array.from({ length: N }, (_, i) => ({
  instruction: i % 2 ? 'key' : 'ball',
  layout: 'same',
  step: i,
  lastAction: 0,
  rtg: 0.9,
  seed: i,
}));
const windows: WindowSet = { inputs: windowInputs(arch, N, 3, 11), features };

/** Node i of the cover in treeScrubbing's order: embeddings R, S, A, pos; heads L×H; MLPs. */
type Dep = 'everything' | 'nothing' | 'instruction';

/** Mean logit difference and loss of the trees of every window, evaluated recursively. */
function reference(deps: (node: number) => Dep, seed: number) {
  const { nLayers: L, nHeads: H, dHead: dh, dModel: d } = arch;
  const base = model.run(windows.inputs, { cache: ['hook_embed', 'hook_pos_embed'] });
  const P = base.transformerOut.shape[1];
  const kinds = ['R', 'S', 'A'];
  const cover = [
    ...kinds.map((k) => ({ stage: 0, write: (w: number) => embed(w, 'hook_embed', kinds.indexOf(k)) })),
    { stage: 0, write: (w: number) => embed(w, 'hook_pos_embed', -1) },
    ...Array.from({ length: L * H }, (_, i) => ({ stage: 2 * Math.floor(i / H) + 1, head: i })),
    ...Array.from({ length: L }, (_, l) => ({ stage: 2 * l + 2, mlp: l })),
  ] as { stage: number; write?: (w: number) => Float32Array; head?: number; mlp?: number }[];
  function embed(w: number, hook: string, kind: number): Float32Array {
    const src = base.cache!.get(hook).data;
    const out = new Float32Array(P * d);
    for (let p = 0; p < P; p++)
      if (kind < 0 || p % 3 === kind) for (let j = 0; j < d; j++) out[p * d + j] = src[(w * P + p) * d + j];
    return out;
  }
  function inputOf(stage: number, window: number, path: number[]): Float32Array {
    const r = new Float32Array(P * d);
    for (let l = 0; 2 * l + 1 < stage; l++)
      for (let p = 0; p < P; p++)
        for (let j = 0; j < d; j++) r[p * d + j] += model.weights.blocks[l].attn.b_O.data[j];
    cover.forEach((n, k) => {
      if (n.stage >= stage) return;
      const at = [...path, k];
      const v = evaluate(k, pickWindow(windows, deps(k), window, pathUniform(seed, at)), at);
      for (let i = 0; i < v.length; i++) r[i] += v[i];
    });
    return r;
  }
  function evaluate(k: number, window: number, path: number[]): Float32Array {
    const n = cover[k];
    if (n.write) return n.write(window);
    const resid = new T(inputOf(n.stage, window, path), [1, P, d]);
    if (n.mlp !== undefined) {
      const hook = `blocks.${n.mlp}.hook_mlp_out`;
      const run = model.runFromResidual(n.mlp, resid, {
        cache: [hook],
        hooks: [{ name: `blocks.${n.mlp}.hook_resid_mid`, fn: (a: Tensor) => void a.data.set(resid.data) }],
      });
      return run.cache!.get(hook).data;
    }
    const l = Math.floor(n.head! / H);
    const h = n.head! % H;
    const z = model
      .runFromResidual(l, resid, { cache: [`blocks.${l}.attn.hook_z`] })
      .cache!.get(`blocks.${l}.attn.hook_z`).data;
    const W = model.weights.blocks[l].attn.W_O.data;
    const out = new Float32Array(P * d);
    for (let p = 0; p < P; p++)
      for (let e = 0; e < dh; e++)
        for (let j = 0; j < d; j++) out[p * d + j] += z[(p * H + h) * dh + e] * W[(h * dh + e) * d + j];
    return out;
  }
  const reader = metricReader(model, { kind: 'logit-diff' }, base);
  const { target } = greedyTargets(base, arch.nActions);
  let ld = 0;
  let loss = 0;
  for (let w = 0; w < N; w++) {
    const run = model.runFromResidual(L, new T(inputOf(2 * L + 1, w, [w]), [1, P, d]));
    ld += reader.read(run, 0) / N;
    const Tp = run.actionPreds!.shape[1];
    loss += crossEntropy(run.actionPreds!.data, (Tp - 1) * arch.nActions, arch.nActions, target[w]) / N;
  }
  return { ld, loss };
}

describe('treeified causal scrubbing', () => {
  it('equals a recursive evaluation of each tree with the same draws (hypothesis and scrambled)', async () => {
    const H = arch.nHeads;
    const hyp = {
      name: 'h',
      nodes: [
        { node: 'L0H1', dependsOn: 'instruction' as const },
        { node: 'mlp0', dependsOn: 'everything' as const },
      ],
      rest: 'nothing' as const,
    };
    const got = await treeifiedScrub(model, windows, hyp, { seed: 7, chunkRows: 3 });
    const mlp0 = 4 + arch.nLayers * H;
    const want = reference((k) => (k === 4 + 1 ? 'instruction' : k === mlp0 ? 'everything' : 'nothing'), 7);
    expectClose([got.logitDiff.hypothesis, got.loss.hypothesis], [want.ld, want.loss], 1e-5);
    const scrambled = reference(() => 'nothing', 7);
    expectClose([got.logitDiff.scrambled, got.loss.scrambled], [scrambled.ld, scrambled.loss], 1e-5);
    expect(got.nodes.map((n) => n.label)).toEqual(['L0H1', 'mlp_out L0']);
    expect(Math.abs(got.loss.hypothesis - got.loss.scrambled)).toBeGreaterThan(1e-3);
  });

  it('everything recomputes the clean run; partial nodes are refused', async () => {
    const all = await treeifiedScrub(model, windows, { name: 'all', nodes: [], rest: 'everything' });
    expectClose(
      [all.logitDiff.hypothesis, all.loss.hypothesis],
      [all.logitDiff.clean, all.loss.clean],
      1e-5,
      { metric: 'abs' },
    );
    await expect(
      treeifiedScrub(model, windows, { name: 'p', nodes: [{ node: 'L0H1@2', dependsOn: 'nothing' }] }),
    ).rejects.toThrow(
      new DtlensError(
        'BAD_INPUT',
        'treeified scrubbing takes whole heads, MLPs and embeddings, each named once; "L0H1@2" is not one',
      ),
    );
  });
});
