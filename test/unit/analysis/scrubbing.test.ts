/**
 * Causal scrubbing on a tiny random model and a synthetic window set: a hypothesis naming every node
 * as depending on everything recovers exactly 100% (no intervention), one naming nothing gives exactly
 * the fully scrambled metrics (0%), a feature-dependent node resamples only among windows that agree
 * on the feature (a feature shared by all windows = a free resample = nothing; a feature unique to each
 * window = its own activation = everything), and malformed hypotheses are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { causalScrub, parseHypothesis } from '../../../src/analysis/causal/scrubbing.ts';
import type { WindowFeatures, WindowSet } from '../../../src/analysis/causal/windows.ts';
import { DtlensError } from '../../../src/errors.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const arch = tinyArch({ gatedMlp: true });
const model = randomModel(arch, { seed: 4 });
const N = 12;
const features: WindowFeatures[] = Array.from({ length: N }, (_, i) => ({
  instruction: i % 2 ? 'key' : 'ball',
  layout: 'same',
  step: i,
  lastAction: i % 3,
  rtg: 0.9,
  seed: i,
}));
const windows: WindowSet = { inputs: windowInputs(arch, N, 3, 11), features };

describe('causal scrubbing', () => {
  it('everything recovers 100%, nothing gives the fully scrambled metrics', async () => {
    const all = await causalScrub(model, windows, { name: 'all', nodes: [], rest: 'everything' });
    expect(all.logitDiff.hypothesis).toBeCloseTo(all.logitDiff.clean, 9);
    expect(all.logitDiff.recovered).toBeCloseTo(1, 9);
    expect(all.loss.recovered).toBeCloseTo(1, 9);
    expect(Math.abs(all.logitDiff.scrambled - all.logitDiff.clean)).toBeGreaterThan(1e-3);
    const none = await causalScrub(model, windows, { name: 'none', nodes: [] });
    expect(none.logitDiff.hypothesis).toBe(none.logitDiff.scrambled);
    expect(none.loss.hypothesis).toBe(none.loss.scrambled);
    expect(none.logitDiff.recovered).toBe(0);
    expect(none.loss.scrambled).not.toBe(none.loss.clean);
  });

  it('features: shared by all = nothing, unique per window = everything; per-node results', async () => {
    const shared = await causalScrub(model, windows, {
      name: 's',
      nodes: [{ node: 'heads', dependsOn: 'layout' }],
    });
    const nothing = await causalScrub(model, windows, {
      name: 'n',
      nodes: [{ node: 'heads', dependsOn: 'nothing' }],
    });
    expect(shared.logitDiff.hypothesis).toBe(nothing.logitDiff.hypothesis);
    expect(shared.logitDiff.hypothesis).not.toBe(shared.logitDiff.clean);
    const unique = await causalScrub(model, windows, {
      name: 'u',
      nodes: [
        { node: 'L1H0', dependsOn: 'seed' },
        { node: 'mlp1', dependsOn: 'everything' },
      ],
      rest: 'everything',
    });
    expect(unique.logitDiff.recovered).toBeCloseTo(1, 9);
    expect(unique.nodes.map((n) => n.label)).toEqual(['L1H0', 'mlp_out L1']);
    for (const n of unique.nodes) expect(Math.abs(n.recoveredWithout.logitDiff - 1)).toBeGreaterThan(1e-3);
    const instr = await causalScrub(model, windows, {
      name: 'i',
      nodes: [
        { node: 'L0H1', dependsOn: 'instruction' },
        { node: 'embed:S', dependsOn: 'everything' },
      ],
    });
    expect(instr.nodes).toHaveLength(2);
    expect(Number.isFinite(instr.loss.recovered)).toBe(true);
  });

  it('rejects malformed hypotheses with one-line errors', async () => {
    const bad = (json: string, re: RegExp) => {
      let err: unknown;
      try {
        parseHypothesis(json);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DtlensError);
      expect((err as Error).message).toMatch(re);
    };
    bad('{', /not valid JSON/);
    bad('[]', /expected an object/);
    bad('{"name": "x"}', /"nodes" must be a list/);
    bad('{"name": "x", "nodes": [{"node": "L0H1", "dependsOn": "colour"}]}', /depends on "colour"/);
    bad('{"name": "x", "nodes": [3]}', /nodes\[0\] must be/);
    bad('{"name": "x", "nodes": [], "rest": "all"}', /"rest" depends on/);
    expect(
      parseHypothesis('{"name": "x", "nodes": [{"node": "L0H1", "dependsOn": "rtg"}]}').nodes,
    ).toHaveLength(1);
    await expect(
      causalScrub(model, windows, { name: 'x', nodes: [{ node: 'time', dependsOn: 'rtg' }] }),
    ).rejects.toThrow(/time is a path-patching sender/);
    await expect(
      causalScrub(model, windows, { name: 'x', nodes: [{ node: 'L5H0', dependsOn: 'rtg' }] }),
    ).rejects.toThrow(/unknown hook point/);
  });
});
