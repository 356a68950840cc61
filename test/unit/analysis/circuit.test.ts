/**
 * Automatic circuit discovery. A hand-built model whose circuit is known by construction (only head
 * L1H1 does anything: W_Q = W_K = 0 so it attends uniformly, its value reads the first state token, its
 * output reaches the action logits; every other head and MLP writes nothing) and a pair differing only in
 * that state: both EAP and ACDC find exactly `embed:S -> L1H1.v @S1` and `L1H1 -> output @S3`. With
 * frozen nonlinearities (no LN, uniform attention, linear ReLUs) the EAP score of every edge equals real
 * patching of that edge. The full graph's faithfulness is exactly 1; the empty circuit gives the
 * corrupted metric; batched rows equal rows run one at a time.
 */
import { describe, expect, it } from 'vitest';
import { circuitData } from '../../../src/analysis/causal/circuit/dataset.ts';
import { discoverCircuit, circuitFaithfulness } from '../../../src/analysis/causal/circuit/discover.ts';
import { edgeAttribution } from '../../../src/analysis/causal/circuit/eap.ts';
import { edgePatchedValues } from '../../../src/analysis/causal/circuit/edgePatch.ts';
import { circuitGraph, edgesByLabel } from '../../../src/analysis/causal/circuit/graph.ts';
import { type MetricSpec, metricReader } from '../../../src/analysis/causal/metrics.ts';
import { patchPair } from '../../../src/analysis/causal/patching.ts';
import { DtlensError } from '../../../src/errors.ts';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import { type DTInputs, invalidateDerivedWeights } from '../../../src/model/decisionTransformer.ts';
import { circuitGraphFigure } from '../../../src/analysis/figures/circuitGraphFigures.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const LD = { kind: 'logit-diff' as const };

/** Only L1H1 is live: uniform attention, value from the residual, output to the logits. */
function handBuiltModel(normalization: DTArchitecture['normalization']) {
  const model = randomModel(tinyArch({ normalization }), { seed: 4 });
  model.weights.blocks.forEach((b, l) => {
    for (let h = 0; h < model.arch.nHeads; h++) {
      if (l === 1 && h === 1) continue;
      const { dHead: dh, dModel: d } = model.arch;
      b.attn.W_O.data.fill(0, h * dh * d, (h + 1) * dh * d);
    }
    b.attn.W_Q.data.fill(0);
    b.attn.W_K.data.fill(0);
    b.attn.b_Q.data.fill(0);
    b.attn.b_K.data.fill(0);
    b.mlp.W_out.data.fill(0);
  });
  invalidateDerivedWeights(model.weights);
  return model;
}

/** A clean window and a copy whose first observation differs (the "instruction"). */
function instructionPair(arch: DTArchitecture): [DTInputs, DTInputs] {
  const clean = windowInputs(arch, 1, 3, 5);
  const states = clean.states.data.slice();
  const nObs = states.length / 3;
  for (let i = 0; i < nObs; i++) states[i] = 1 - states[i];
  return [clean, { ...clean, states: new Tensor(states, clean.states.shape) }];
}

function frozenModel() {
  const model = randomModel(tinyArch({ normalization: null }), { seed: 3 });
  for (const b of model.weights.blocks) {
    b.attn.W_Q.data.fill(0);
    b.attn.W_K.data.fill(0);
    b.mlp.b_in.data.fill(50);
  }
  invalidateDerivedWeights(model.weights);
  return model;
}

describe('circuit graph', () => {
  const arch = tinyArch();
  it('has an edge exactly where the sender writes before the receiver reads', () => {
    const g = circuitGraph(arch, 8, false);
    const has = (label: string) => g.edges.some((e) => e.label === label);
    expect(has('L0H1 -> L1H0.q')).toBe(true);
    expect(has('L1H1 -> mlp1')).toBe(true);
    expect(has('mlp0 -> L1H1.v')).toBe(true);
    expect(has('L1H0 -> L1H1.k')).toBe(false);
    expect(has('mlp1 -> L1H0.q')).toBe(false);
    expect(has('mlp1 -> output')).toBe(true);
    // senders: embed R, S, A, pos, 4 heads, 2 MLPs; receivers: 12 head inputs, 2 MLPs, output
    expect(g.senders.length).toBe(10);
    expect(g.receivers.length).toBe(15);
    expect(g.edges.length).toBe(6 * 4 + 6 + 6 * 7 + 9 + 10);
  });

  it('splits edges by position, embeddings only at their own token kind', () => {
    const g = circuitGraph(arch, 8, true);
    expect(g.edges.filter((e) => e.label.startsWith('embed:S -> L0H0.q')).map((e) => e.label)).toEqual([
      'embed:S -> L0H0.q @S1',
      'embed:S -> L0H0.q @S2',
      'embed:S -> L0H0.q @S3',
    ]);
    expect(g.edges.filter((e) => e.label.startsWith('L0H0 -> output @')).length).toBe(8);
  });

  it('names unknown nodes and edges in one-line BAD_INPUT errors', () => {
    const g = circuitGraph(arch, 8, true);
    expect(edgesByLabel(g, ['L0H1 -> L1H0.q @A2'])).toEqual([
      g.edges.findIndex((e) => e.label === 'L0H1 -> L1H0.q @A2'),
    ]);
    const bad = (label: string) => () => edgesByLabel(g, [label]);
    expect(bad('L5H0 -> output @S3')).toThrow(
      /sender L5H0 does not exist in this model \(2 layers × 2 heads\)/,
    );
    expect(bad('L0H0 -> L0H9.q @S3')).toThrow(/receiver L0H9.q does not exist/);
    expect(bad('L0H0 -> output @S9')).toThrow(/no token S9/);
    expect(bad('L1H0 -> L0H0.q @S1')).toThrow(/not in the graph/);
    expect(bad('nonsense')).toThrow(DtlensError);
  });
});

describe('circuit discovery on a hand-built model', () => {
  for (const normalization of ['LN', null] as const) {
    const model = handBuiltModel(normalization);
    const pair = patchPair(model, ...instructionPair(model.arch));
    for (const method of ['eap', 'acdc'] as const) {
      it(`${method} finds the constructed circuit (${normalization ?? 'no LN'})`, async () => {
        const r = await discoverCircuit(model, pair, { method });
        expect(r.edges.map((e) => e.label).sort()).toEqual(['L1H1 -> output @S3', 'embed:S -> L1H1.v @S1']);
        expect(r.faithfulness).toBeCloseTo(1, 4); // float32 rounding of the residual stream
        expect(r.confirmedShare).toBe(1);
        if (normalization === 'LN' && method === 'acdc') {
          // drawn: one arrow per edge, one dashed link for L1H1 moving S1 to S3, a dot per node end
          const svg = renderFigureSvg(circuitGraphFigure(r));
          expect(svg.match(/<path/g)?.length).toBeGreaterThanOrEqual(3);
          // Only the tokens the circuit's edges sit at are columns (S1 and S3 of 8 tokens).
          expect(svg).toContain('>S1<');
          expect(svg).not.toContain('>R0<');
          expect(circuitGraphFigure(r).table.rows).toEqual(
            r.edges.map((e) => [
              e.sender,
              e.receiver === 'output' ? 'output' : 'L1H1',
              e.receiver === 'output' ? 'output' : 'v',
              e.position!,
              e.attribution,
              e.removal,
              'yes',
            ]),
          );
        }
        const coarse = await discoverCircuit(model, pair, { method, perPosition: false });
        expect(coarse.edges.map((e) => e.label).sort()).toEqual(['L1H1 -> output', 'embed:S -> L1H1.v']);
      });
    }
  }
});

describe('faithfulness and real edge patching', () => {
  const model = randomModel(tinyArch({ gatedMlp: true }), { seed: 2 });
  const pair = patchPair(model, windowInputs(model.arch, 1, 3, 5), windowInputs(model.arch, 1, 3, 9));
  const graph = circuitGraph(model.arch, 8, true);
  const reader = metricReader(model, LD, pair.clean);
  const clean = reader.read(pair.clean, 0);
  const corrupted = reader.read(pair.corrupted, 0);

  it('the full graph has faithfulness exactly 1; the empty circuit gives the corrupted metric', async () => {
    const all = graph.edges.map((_, i) => i);
    const full = await circuitFaithfulness(model, circuitData(model, pair, LD), graph, all);
    expect(full.faithfulness[0]).toBe(1);
    const empty = await circuitFaithfulness(model, circuitData(model, pair, LD), graph, []);
    expect(empty.values[0]).toBeCloseTo(corrupted, 4);
    expect(Math.abs(clean - corrupted)).toBeGreaterThan(0.01);
  });

  it('batched rows equal the same rows run one at a time', async () => {
    const rows = [[], [0, 5, 40], graph.incoming[graph.receivers.length - 1], [3, 100, 200, 300]];
    const batched = await edgePatchedValues(model, pair, graph, rows, reader);
    const alone = await edgePatchedValues(model, pair, graph, rows, reader, { chunkRows: 1 });
    expect(Array.from(batched)).toEqual(Array.from(alone));
    expect(batched[0]).toBe(clean);
  });

  // Both metrics are linear in the activations once the nonlinearities are frozen.
  const linearMetrics: MetricSpec[] = [LD, { kind: 'neuron', layer: 1, neuron: 3 }];
  for (const perPosition of [true, false])
    for (const metric of linearMetrics)
      it(`EAP equals real edge patching with frozen nonlinearities (${metric.kind}, perPosition ${perPosition})`, async () => {
        const m = frozenModel();
        const p = patchPair(m, windowInputs(m.arch, 1, 3, 5), windowInputs(m.arch, 1, 3, 9));
        const g = circuitGraph(m.arch, 8, perPosition);
        const r = metricReader(m, metric, p.clean);
        const eap = edgeAttribution(m, p, g, metric);
        const real = await edgePatchedValues(
          m,
          p,
          g,
          g.edges.map((_, i) => [i]),
          r,
        );
        const base = r.read(p.clean, 0);
        let moved = 0;
        real.forEach((v, i) => {
          expect(eap[i], g.edges[i].label).toBeCloseTo(v - base, 4);
          moved += Math.abs(v - base);
        });
        expect(moved).toBeGreaterThan(0.1);
      });

  it('on a dataset of pairs averages the metric: one pair twice = that pair; EAP = the mean of the pairs', async () => {
    const other = patchPair(model, windowInputs(model.arch, 1, 3, 7), windowInputs(model.arch, 1, 3, 11));
    const once = await discoverCircuit(model, pair, { method: 'acdc' });
    const twice = await discoverCircuit(model, [pair, pair], { method: 'acdc' });
    expect(twice.edges).toEqual(once.edges);
    expect(twice.faithfulness).toBe(once.faithfulness);
    expect(twice.pairs).toBe(2);
    const both = circuitData(model, [pair, other], LD);
    const full = await circuitFaithfulness(
      model,
      both,
      graph,
      graph.edges.map((_, i) => i),
    );
    expect(full.faithfulness[0]).toBe(1);
    const r = metricReader(model, LD, other.clean);
    expect(both.clean).toBeCloseTo((clean + r.read(other.clean, 0)) / 2, 12);
    const a = edgeAttribution(model, pair, graph, LD);
    const b = edgeAttribution(model, other, graph, LD);
    const mixed = await discoverCircuit(model, [pair, other], { top: 3 });
    const scale = both.corrupted - both.clean;
    for (const e of mixed.edges) {
      const i = graph.edges.findIndex((x) => x.label === e.label);
      expect(e.attribution).toBeCloseTo((a[i] + b[i]) / 2 / scale, 10);
    }
  });

  it("a neuron metric: ACDC keeps only edges that can reach that neuron's MLP input", async () => {
    const metric = { kind: 'neuron' as const, layer: 0, neuron: 2 };
    const r = await discoverCircuit(model, pair, { method: 'acdc', metric, threshold: 0.01 });
    expect(r.metricLabel).toBe('L0N2 pre-activation');
    expect(r.edges.length).toBeGreaterThan(0);
    // Receivers after mlp0's input (layer-1 heads, mlp1, the output) cannot move L0N2's pre-activation.
    for (const e of r.edges) expect(e.label, e.label).toMatch(/-> (L0H\d\.[qkv]|mlp0) @/);
    const full = await circuitFaithfulness(
      model,
      circuitData(model, pair, metric),
      graph,
      graph.edges.map((_, i) => i),
    );
    expect(full.faithfulness[0]).toBe(1);
  });

  it('rejects pairs of another model, identical pairs, bad options, and stops when cancelled', async () => {
    const other = tinyArch({ obsShape: [4, 4, 2] });
    expect(() => patchPair(model, windowInputs(other, 1, 3, 5), windowInputs(other, 1, 3, 9))).toThrow(
      DtlensError,
    );
    const short = patchPair(model, windowInputs(model.arch, 1, 2, 5), windowInputs(model.arch, 1, 2, 9));
    await expect(edgePatchedValues(model, short, graph, [[]], reader)).rejects.toThrow(
      /graph is for windows of 8 tokens/,
    );
    await expect(discoverCircuit(model, [pair, short])).rejects.toThrow(/windows of one length/);
    const same = patchPair(model, windowInputs(model.arch, 1, 3, 5), windowInputs(model.arch, 1, 3, 5));
    await expect(discoverCircuit(model, same)).rejects.toThrow(/does not change/);
    await expect(discoverCircuit(model, pair, { threshold: -1 })).rejects.toThrow(/threshold/);
    const abort = new AbortController();
    abort.abort();
    await expect(
      discoverCircuit(model, pair, { method: 'acdc', signal: abort.signal }),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });
});
