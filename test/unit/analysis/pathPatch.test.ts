/**
 * Path patching on tiny random models, against an independent one-sender-at-a-time implementation of
 * DTI's algorithm written with plain hooks (freeze every z to clean, patch the sender, cache the
 * receivers; rerun clean with the receivers patched), and its invariants: a sender with no head after
 * it (last layer) patched to the final residual equals activation patching of the sender; a pair whose
 * corrupted window equals the clean one leaves every logit difference at the clean value; senders
 * that did not change give 1 − m = 0; typed errors for bad sender/receiver sets.
 */
import { describe, expect, it } from 'vitest';
import { metricReader } from '../../../src/analysis/causal/metrics.ts';
import { patchPair } from '../../../src/analysis/causal/patching.ts';
import {
  blockSenders,
  headInput,
  headNode,
  headSenders,
  parseReceivers,
  parseSenders,
} from '../../../src/analysis/causal/pathNodes.ts';
import { type PathNode, finalResidual, pathPatch } from '../../../src/analysis/causal/pathPatch.ts';
import { pathPatchGrid } from '../../../src/analysis/causal/pathViews.ts';
import { selectedOffsets } from '../../../src/analysis/causal/apply.ts';
import { hookRowShape } from '../../../src/analysis/causal/intervention.ts';
import { runSweep } from '../../../src/analysis/causal/sweep.ts';
import { DtlensError } from '../../../src/errors.ts';
import type { Hook } from '../../../src/model/hooks.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const arch = tinyArch({ gatedMlp: true, nLayers: 3 });
const model = randomModel(arch);
const clean = windowInputs(arch, 1, 3, 5);
const corrupted = windowInputs(arch, 1, 3, 9);
const pair = patchPair(model, clean, corrupted);
const P = pair.cleanTokens.shape[1];
const ld = metricReader(model, { kind: 'logit-diff' }, pair.clean);

/** Overwrites the node's elements (all batch rows) with `from` (a [1, ...] activation). */
function copyHook(node: PathNode, from: () => Tensor): Hook {
  const idx = selectedOffsets(
    { hook: node.hook, op: { kind: 'zero' }, where: node.where },
    hookRowShape(node.hook, arch, P),
  );
  return {
    name: node.hook,
    fn: (act) => {
      const src = from().data;
      for (const o of idx) act.data[o] = src[o];
    },
  };
}

/** DTI's path_patch for one sender, written directly with hooks on batch-1 runs. */
function naivePathPatch(sender: PathNode, receivers: PathNode[]): number {
  const freeze: Hook[] = Array.from({ length: arch.nLayers }, (_, l) => ({
    name: `blocks.${l}.attn.hook_z`,
    fn: (act) => act.data.set(pair.clean.cache!.get(`blocks.${l}.attn.hook_z`).data),
  }));
  const step2 = model.runFromTokens(pair.cleanTokens, {
    hooks: [...freeze, copyHook(sender, () => pair.corrupted.cache!.get(sender.hook))],
    cache: receivers.map((r) => r.hook),
  });
  const step3 = model.runFromTokens(pair.cleanTokens, {
    hooks: receivers.map((r) => copyHook(r, () => step2.cache!.get(r.hook))),
  });
  return ld.read(step3, 0);
}

describe('path patching', () => {
  const receiverSets: Record<string, PathNode[]> = {
    final: [finalResidual(arch)],
    'last layer q': [headInput(2, 'q')],
    'L2H1 pattern + mlp1': parseReceivers('L2H1.pattern,mlp1', arch),
    'mlp2 input': parseReceivers('mlp2.in', arch),
  };
  const senders = [
    ...headSenders(arch).nodes.filter((s) => s.hook.startsWith('blocks.0') || s.hook.startsWith('blocks.1')),
    headNode(1, 0, [4]),
    ...parseSenders('embeds,resid_pre1@3,mlp0,attn1', arch, P).nodes,
  ];
  for (const [name, receivers] of Object.entries(receiverSets))
    it(`equals the one-at-a-time algorithm: ${senders.length} senders -> ${name}`, async () => {
      const res = await pathPatch(model, pair, senders, receivers, { chunkRows: 5 });
      senders.forEach((s, i) => {
        const ld = naivePathPatch(s, receivers);
        expect(res.values[i], s.label).toBeCloseTo(ld, 5);
        expect(res.plotted[i]).toBeCloseTo(1 - res.metric[i], 12);
      });
      expect(new Set(res.values.map((v) => Math.round(v * 1e4))).size).toBeGreaterThan(2);
    });

  it('to the final residual with no head after the sender equals activation patching of the sender', async () => {
    const lastLayer = [
      ...headSenders(arch).nodes.filter((s) => s.hook.startsWith('blocks.2')),
      ...blockSenders(arch, P).nodes.filter((s) => /blocks\.2\.hook_(attn|mlp)_out/.test(s.hook)),
    ];
    const res = await pathPatch(model, pair, lastLayer, [finalResidual(arch)]);
    const act = new Float64Array(lastLayer.length);
    await runSweep(
      model,
      { tokens: pair.cleanTokens },
      lastLayer.map((s) => [{ hook: s.hook, op: { kind: 'set', source: 'corrupted' }, where: s.where }]),
      (run, rows) => rows.forEach((r, i) => (act[r] = ld.read(run, i))),
      { sources: { corrupted: pair.corrupted.cache! } },
    );
    lastLayer.forEach((s, i) => expect(res.values[i], s.label).toBeCloseTo(act[i], 6));
  });

  it('time sender: to the first block (no intermediate node) it equals activation patching of the time embedding', async () => {
    const later = { ...corrupted, timesteps: clean.timesteps.map((t) => t + 1) };
    const timePair = patchPair(model, clean, later);
    const [time] = parseSenders('time', arch, P).nodes;
    const residPre0: PathNode = { hook: 'blocks.0.hook_resid_pre', label: 'resid_pre0' };
    const res = await pathPatch(
      model,
      timePair,
      [time, ...parseSenders('embeds', arch, P).nodes],
      [residPre0],
    );
    // The clean window with the corrupted window's timesteps: only the time embedding differs.
    const patched = ld.read(model.run({ ...clean, timesteps: later.timesteps }), 0);
    expect(res.values[0]).toBeCloseTo(patched, 5);
    expect(Math.abs(patched - res.clean)).toBeGreaterThan(1e-3);
    // Patching whole token embeddings (content and time) differs from patching the time alone.
    res.values.slice(1).forEach((v) => expect(Math.abs(v - res.values[0])).toBeGreaterThan(1e-4));
  });

  it('a window without action tokens: embed:A is a one-line error naming the window', () => {
    // P = 2: [R, S] only (Dynamic-Obstacles-like models)
    expect(() => parseSenders('embed:A', arch, 2)).toThrow(
      /embed:A names no token: this model's window of 2 tokens \(R1 S1\) has no A tokens/,
    );
  });

  it('corrupted = clean leaves every path at the clean logit difference', async () => {
    const same = patchPair(model, clean, clean);
    const all = parseSenders('blocks', arch, P);
    for (const receivers of [[finalResidual(arch)], parseReceivers('L2.v,mlp1', arch)]) {
      const grid = await pathPatchGrid(model, same, all, receivers);
      expect(grid.senders.length).toBe(3 * 3 * P);
      for (const v of grid.values) expect(Math.abs(v - ld.read(same.clean, 0))).toBeLessThan(1e-5);
      expect(grid.clean).toBe(grid.corrupted);
    }
  });

  it('skipping receivers before a sender equals DTI, which patches them with their clean value', async () => {
    const receivers = parseReceivers('L1.v,mlp2', arch);
    const all = parseSenders('blocks', arch, P);
    const grid = await pathPatchGrid(model, pair, all, receivers);
    all.nodes.forEach((s, i) => expect(grid.values[i], s.label).toBeCloseTo(naivePathPatch(s, receivers), 5));
  });

  it('a sender the corruption does not reach gives 1 − m = 0', async () => {
    // Corrupt only the last RTG token: every sender at an earlier position is unchanged.
    const late = { ...clean, rtgs: clean.rtgs.map((v, t) => (t === 2 ? v + 3 : v)) };
    const p2 = patchPair(model, clean, late);
    const grid = await pathPatchGrid(model, p2, blockSenders(arch, P), [finalResidual(arch)]);
    const lastR = P - 2;
    grid.plotted.forEach((v, i) => {
      if (i % P < lastR) expect(Math.abs(v), grid.senders[i]).toBeLessThan(1e-5);
    });
    expect(Math.max(...grid.plotted.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('keeps the grid shapes of sender sets and fills senders with no path with the clean run', async () => {
    expect(parseSenders('blocks', arch, P).shape).toEqual([3, 3, P]);
    expect(parseSenders('heads@each', arch, P).shape).toEqual([3, arch.nHeads, P]);
    const grid = await pathPatchGrid(model, pair, headSenders(arch), [headInput(1, 'k')]);
    expect(grid.shape).toEqual([3, arch.nHeads]);
    for (let i = arch.nHeads; i < 3 * arch.nHeads; i++) expect(grid.plotted[i]).toBe(0);
  });

  it('rejects bad sender and receiver sets with typed errors', async () => {
    const bad = async (f: () => unknown, re: RegExp) => {
      let err: unknown;
      try {
        await f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DtlensError);
      expect((err as Error).message).toMatch(re);
    };
    await bad(() => pathPatch(model, pair, [headNode(2, 0)], [headInput(1, 'q')]), /runs before sender L2H0/);
    await bad(() => pathPatch(model, pair, [], [finalResidual(arch)]), /at least one sender/);
    await bad(() => pathPatch(model, pair, [headNode(0, 0)], []), /at least one receiver/);
    await bad(() => pathPatch(model, pair, [headNode(0, 9)], [finalResidual(arch)]), /heads index 9/);
    await bad(() => parseSenders('L0H1,foo', arch, P), /unknown sender "foo"/);
    await bad(() => parseReceivers(' , ', arch), /receiver list is empty/);
    await bad(() => parseReceivers('mlp1.out', arch), /unknown receiver/);
    await bad(
      () => patchPair(model, clean, windowInputs(arch, 1, 2, 9)),
      /must be single windows of one shape/,
    );
  });
});
