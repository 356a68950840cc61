/**
 * Neuron activation analysis, projection analysis and the gated-MLP view on tiny random models,
 * against values computed by hand from the cache and the weights: a read rebuilt from resid_mid, the
 * gated product rebuilt from gate and linear branch, dot products and congruences recomputed.
 */
import { describe, expect, it } from 'vitest';
import {
  analysisRun,
  gatedMlpView,
  neuronActivation,
  parseNeuron,
  projectionAnalysis,
} from '../../../src/analysis/dynamic/index.ts';
import type { WeightVariant } from '../../../src/model/processing.ts';
import { expectClose, expectDiffer } from '../../support/compare.ts';
import { expectDtlensError } from '../../support/errors.ts';
import {
  GATED_MLP_FIGURES,
  NEURON_FIGURES,
  PROJECTION_FIGURES,
  gatedMlpFigure,
  neuronFigure,
  projectionFigure,
} from '../../../src/analysis/figures/neuronFigures.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const P = 8;
const setup = (variant: WeightVariant, gatedMlp: boolean) => {
  const arch = tinyArch({ gatedMlp });
  return analysisRun(randomModel(arch, { variant }), windowInputs(arch));
};

/** x · W[:, n] + b with x = ln2(resid_mid) computed from the raw LN weights by hand. */
function readByHand(
  run: ReturnType<typeof setup>,
  l: number,
  n: number,
  W: Float32Array,
  bias: number,
  row: number,
): number {
  const { dModel: d, dMlp: m } = run.model.arch;
  const ln = run.model.weights.blocks[l].ln2!;
  const r = run.cache.get(`blocks.${l}.hook_resid_mid`).data.subarray(row * d, (row + 1) * d);
  const mean = r.reduce((a, v) => a + v, 0) / d;
  const variance = r.reduce((a, v) => a + (v - mean) ** 2, 0) / d;
  const scale = Math.sqrt(variance + 1e-5);
  let s = bias;
  for (let j = 0; j < d; j++) s += (((r[j] - mean) / scale) * ln.w[j] + ln.b[j]) * W[j * m + n];
  return s;
}

describe('neuron activation analysis', () => {
  it('decomposes a plain neuron’s hook_pre exactly (heads, earlier neurons, embeddings, bias, constant)', () => {
    const run = setup('raw', false);
    const r = neuronActivation(run, { neuron: parseNeuron('L1N3', run.model.arch) });
    expect(r.reads.map((x) => x.kind)).toEqual(['pre']);
    const [pre] = r.reads;
    const mlp = run.model.weights.blocks[1].mlp;
    const row = P - 1; // batch 0, last S token
    const byHand = readByHand(run, 1, 3, mlp.W_in.data, mlp.b_in.data[3], row);
    expectClose([pre.value], [byHand], 1e-5);
    expectClose([pre.components.check.sum], [byHand], 1e-5);
    // labels: heads of layers 0 and 1, layer-0 neurons, embed, pos_embed, bias, constant
    expect(pre.components.labels.slice(0, 4)).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1']);
    expect(pre.components.labels.slice(4, 4 + 12)).toEqual(Array.from({ length: 12 }, (_, k) => `L0N${k}`));
    expect(pre.components.labels.slice(-4)).toEqual(['embed', 'pos_embed', 'bias', 'constant']);
    expect(pre.heads).toEqual([pre.components.values.slice(0, 2), pre.components.values.slice(2, 4)]);
    // the lens ends at the read's value; the layers sum (with the bias terms) to the same
    expectClose([pre.accumulated.values.at(-1)!], [byHand], 1e-5);
    expect(pre.accumulated.labels).toEqual(['0_pre', '0_mid', '1_pre', '1_mid']);
    // the activation is relu(pre), which is hook_post for a plain MLP
    expectClose([r.post], [Math.max(0, byHand)], 1e-5);
    // on processed weights DTI's estimate is right for a plain MLP
    const processed = setup('processed', false);
    const rp = neuronActivation(processed, { neuron: { layer: 1, index: 3 } });
    expectClose([rp.dti.estimate], [rp.dti.cache], 1e-5);
    expectClose([rp.reads[0].value], [byHand], 1e-4);
  });

  it('decomposes a gated neuron’s gate with W_gate and its linear branch with W_in; DTI’s estimate is wrong', () => {
    for (const variant of ['raw', 'processed', 'dti-compat'] as const) {
      const run = setup(variant, true);
      const r = neuronActivation(run, { neuron: { layer: 1, index: 5 } });
      expect(r.reads.map((x) => x.kind)).toEqual(['gate', 'linear']);
      const [gate, linear] = r.reads;
      expect([gate.weight, linear.weight]).toEqual(['W_gate', 'W_in']);
      expectClose([gate.components.check.sum], [gate.value], 1e-5);
      expectClose([linear.components.check.sum], [linear.value], 1e-5);
      // post = relu(gate) · linear + b_in, read from the cache
      expectClose([r.gatedPost!.rebuilt], [r.post], 1e-5);
      expectClose([r.activation], [Math.max(0, gate.value)], 0, { metric: 'abs' });
      expectDiffer([r.dti.estimate], [r.dti.cache], 1e-3);
      if (variant === 'raw') {
        const mlp = run.model.weights.blocks[1].mlp;
        expectClose([gate.value], [readByHand(run, 1, 5, mlp.W_gate!.data, 0, P - 1)], 1e-5);
        expectClose([linear.value], [readByHand(run, 1, 5, mlp.W_in.data, 0, P - 1)], 1e-5);
      }
    }
  });

  it('splits the embed contribution at an S token into observation features and time', () => {
    const run = setup('raw', false);
    const r = neuronActivation(run, { neuron: { layer: 0, index: 2 }, batch: 1, position: 4 });
    const [pre] = r.reads;
    const obs = pre.observation!;
    const embed = pre.components.values[pre.components.labels.indexOf('embed')];
    expectClose([obs.total], [embed], 1e-5);
    const nObs = 3 * 3 * 2;
    const active = Array.from(run.inputs.states.data.subarray((1 * 3 + 1) * nObs, (1 * 3 + 2) * nObs)).filter(
      (v) => v !== 0,
    ).length;
    expect(obs.features.length).toBe(active);
    expect(
      neuronActivation(run, { neuron: { layer: 0, index: 2 }, position: 3 }).reads[0].observation,
    ).toBeNull();
    // layer 0: no earlier neurons feed it
    expect(pre.components.labels.some((l) => /N/.test(l))).toBe(false);
  });

  it('rejects neurons outside the model and reads a plain MLP lacks', () => {
    const arch = tinyArch();
    expectDtlensError(() => parseNeuron('L2N0', arch), 'BAD_INPUT', /layer 2 does not exist/);
    expectDtlensError(() => parseNeuron('L0N12', arch), 'BAD_INPUT', /neuron 12 does not exist/);
    expectDtlensError(() => parseNeuron('N3', arch), 'BAD_INPUT', /L\{layer\}N\{index\}/);
    expect(parseNeuron(' L1N11 ', arch)).toEqual({ layer: 1, index: 11 });
    const run = setup('raw', false);
    expectDtlensError(
      () => neuronActivation(run, { neuron: { layer: 1, index: 12 } }),
      'BAD_INPUT',
      /neuron 12 does not exist/,
    );
    expectDtlensError(
      () => projectionAnalysis(run, { neurons: [{ layer: 2, index: 0 }] }),
      'BAD_INPUT',
      /layer 2 does not exist/,
    );
  });
});

describe('projection analysis', () => {
  it('projects every accumulated state on each head and chosen neuron, by hand', () => {
    const run = setup('raw', false);
    const { dModel: d } = run.model.arch;
    const r = projectionAnalysis(run, { neurons: [{ layer: 0, index: 4 }] });
    expect(r.states).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
    expect(r.components).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1', 'L0N4']);
    const row = P - 1;
    const resid = run.cache.get('blocks.1.hook_resid_pre').data.subarray(row * d, (row + 1) * d);
    const head = run.cache.headResult(0).data.subarray((row * 2 + 1) * d, (row * 2 + 2) * d); // L0H1
    let dotRv = 0;
    let vv = 0;
    for (let j = 0; j < d; j++) {
      dotRv += resid[j] * head[j];
      vv += head[j] * head[j];
    }
    expectClose([r.dots[2][1]], [dotRv], 1e-5);
    expectClose([r.projection[2][1]], [dotRv / Math.sqrt(vv)], 1e-5);
    const post = run.cache.get('blocks.0.mlp.hook_post').data[row * 12 + 4];
    const W = run.model.weights.blocks[0].mlp.W_out.data;
    let nn = 0;
    for (let j = 0; j < d; j++) nn += (post * W[4 * d + j]) ** 2;
    expectClose([r.componentNorms[4]], [Math.sqrt(nn)], 1e-5);
    const byState = projectionAnalysis(run, { norm: 'component' });
    expectClose([byState.projection[2][1]], [dotRv / r.stateNorms[2]], 1e-5);
    // cosine similarities: symmetric, 1 on the diagonal of non-zero components
    const s = r.similarity;
    expect(s.labels).toEqual([
      'L0H0',
      'L0H1',
      'L1H0',
      'L1H1',
      '0_mlp_out',
      '1_mlp_out',
      'embed',
      'pos_embed',
      'bias',
    ]);
    s.values.forEach((rowV, i) => {
      expectClose([rowV[i]], [1], 1e-5);
      expectClose(
        rowV,
        s.values.map((x) => x[i]),
        1e-6,
        { metric: 'abs' },
      );
    });
    expect([...s.order].sort((a, b) => a - b)).toEqual(s.labels.map((_, i) => i));
  });
});

describe('gated-MLP view', () => {
  it('rebuilds every hook_post from gate and linear branch and recomputes the congruence', () => {
    const run = setup('processed', true);
    const r = gatedMlpView(run);
    const { dModel: d, dMlp: m, nActions: A } = run.model.arch;
    expect(r.labels.length).toBe(2 * m);
    const rebuilt = r.gate.map(
      (g, i) => g * r.linear[i] + run.model.weights.blocks[r.layer[i]].mlp.b_in.data[i % m],
    );
    expectClose(rebuilt, r.post, 1e-5);
    const Wout = run.model.weights.blocks[1].mlp.W_out.data;
    const WU = run.model.weights.actionPredictor.W.data;
    const n = 7;
    const byHand = Array.from({ length: A }, (_, a) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += Wout[n * d + j] * WU[a * d + j];
      return s;
    });
    expectClose(r.congruence[m + n], byHand, 1e-5);
    expect(r.topAction[m + n]).toBe(byHand.indexOf(Math.max(...byHand)));
    expect(r.byAction.reduce((s, a) => s + a.neurons, 0)).toBe(2 * m);
  });

  it('refuses a model with plain MLPs', () => {
    expectDtlensError(() => gatedMlpView(setup('raw', false)), 'BAD_INPUT', /gated MLPs/);
  });
});

describe('neuron figures', () => {
  it('draw every view with one table row per plotted value', () => {
    const run = setup('processed', true);
    const r = neuronActivation(run, { neuron: { layer: 1, index: 2 } });
    for (const figure of NEURON_FIGURES)
      for (const read of r.reads) {
        const spec = neuronFigure(r, figure, read.kind);
        expect(renderFigureSvg(spec), `${figure} ${read.kind}`).toContain('<svg');
        expect(spec.table.rows.length).toBeGreaterThan(0);
      }
    const heads = neuronFigure(r, 'heads', 'gate').table.rows.map((row) => row[2]);
    expect(heads).toEqual(r.reads[0].heads.flat());
    const p = projectionAnalysis(run, { neurons: [{ layer: 1, index: 2 }] });
    for (const figure of PROJECTION_FIGURES)
      expect(renderFigureSvg(projectionFigure(p, figure))).toContain('<svg');
    expect(projectionFigure(p).table.rows).toHaveLength(p.states.length * p.components.length);
    const g = gatedMlpView(run);
    for (const figure of GATED_MLP_FIGURES)
      expect(renderFigureSvg(gatedMlpFigure(g, figure))).toContain('<svg');
    // layer 0 has no earlier neurons; an A token has no observation
    const first = neuronActivation(run, { neuron: { layer: 0, index: 2 }, position: 2 });
    expectDtlensError(
      () => neuronFigure(first, 'neurons'),
      'BAD_INPUT',
      /no neurons feed into neurons in layer 0/,
    );
    expectDtlensError(() => neuronFigure(first, 'observation'), 'BAD_INPUT', /not a state token/);
    expectDtlensError(() => neuronFigure(first, 'layers', 'pre'), 'BAD_INPUT', /has no pre read/);
  });
});
