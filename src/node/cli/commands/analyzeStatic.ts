/**
 * The weights-only analyses of `dtlens analyze` (no input window): composition, meta-composition,
 * MLP composition, OV/QK circuits, SVD, congruence, embeddings, parameters and neurons. Each gives a
 * JSON result, a figure and a one-line summary. Their options are registered here, together.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { readSafetensors, writeSafetensors } from '../../../io/safetensors.ts';
import { heatmapFigure } from '../../../analysis/figures/charts.ts';
import {
  circuitComparisonFigure,
  circuitGridmapFigure,
  circuitHeatmapFigure,
  circuitStripFigure,
  congruenceHeatmapFigure,
  congruenceStripFigure,
  headInputFigure,
  singularValuesFigure,
  svdReadoutFigure,
} from '../../../analysis/figures/circuitFigures.ts';
import {
  compositionGraphFigure,
  compositionMapFigure,
  compositionStripFigure,
  metaCompositionFigure,
  metaCompositionMapFigure,
} from '../../../analysis/figures/compositionFigures.ts';
import {
  type ParameterMetric,
  normsFigure,
  parameterFigure,
  pcBarFigure,
  pcGridmapFigure,
  pcaScatterFigure,
  screeFigure,
  similarityFigure,
} from '../../../analysis/figures/embeddingFigures.ts';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import { type CircuitResult, fullOV, fullQK, sumOverKeys } from '../../../analysis/static/circuits.ts';
import {
  COMPOSITION_TYPES,
  type CompositionType,
  compositionGraph,
  compositionScores,
  topCompositions,
} from '../../../analysis/static/composition.ts';
import { congruence, headInputCongruence } from '../../../analysis/static/congruence.ts';
import {
  directionsFromTensors,
  directionsToTensors,
  directionsVocabulary,
} from '../../../analysis/static/directions.ts';
import {
  embeddingPca,
  pcaDirections,
  similarityMatrix,
  vectorNorms,
} from '../../../analysis/static/embeddings.ts';
import { metaComposition } from '../../../analysis/static/metaComposition.ts';
import { mlpComposition } from '../../../analysis/static/mlpComposition.ts';
import type { WeightsModel } from '../../../analysis/static/model.ts';
import { type NeuronRef, neuronDirections, parameterStats } from '../../../analysis/static/parameters.ts';
import { type HeadCircuit, headSvd, svdReadout } from '../../../analysis/static/svd.ts';
import {
  VOCABULARY_NAMES,
  type Vocabulary,
  embeddingVocabulary,
  neuronVocabulary,
  selectRows,
  unembedVocabulary,
} from '../../../analysis/static/vocabularies.ts';
import { readFileChecked } from '../../modelFile.ts';
import { parseChoice, parseCount, parseCountList, parseNumber } from '../options.ts';

export const STATIC_ANALYSES = [
  'composition',
  'meta-composition',
  'mlp-composition',
  'ov-circuit',
  'qk-circuit',
  'svd',
  'congruence',
  'embeddings',
  'parameters',
  'neurons',
] as const;
export type StaticAnalysis = (typeof STATIC_ANALYSES)[number];

export interface StaticAnalyzeOptions {
  figure?: string;
  type?: string;
  threshold: string;
  top: string;
  search: string;
  vocab: string;
  keyVocab?: string;
  layer?: string;
  head?: string;
  column?: string;
  column2?: string;
  channels?: string;
  circuit: string;
  side: string;
  k: string;
  reader: string;
  select?: string;
  selectKeys?: string;
  selectQueries?: string;
  pc: string;
  centre?: boolean;
  saveDirections?: string;
  directionsCount: string;
  metric: string;
  neurons?: string;
}

/** Adds the static analyses' options to `dtlens analyze`. */
export function addStaticOptions(cmd: Command): Command {
  return cmd
    .option('--figure <kind>', 'static analyses: which figure (see the analysis in docs/static-analyses.md)')
    .option('--type <t>', 'composition: Q | K | V (strip figure)')
    .option('--threshold <x>', 'composition graph: minimum score', '0.15')
    .option('--top <n>', 'composition top-N table / PC bars: how many', '10')
    .option('--search <text>', 'composition top-N: substring of writer or reader', '')
    .option(
      '--vocab <v>',
      `circuits, svd, congruence, embeddings: ${VOCABULARY_NAMES.join(' | ')} | predictor | a directions .safetensors`,
      'state',
    )
    .option('--key-vocab <v>', 'qk-circuit: key vocabulary (default: --vocab)')
    .option('--column <label>', 'circuits: output/key column (e.g. left) for gridmap and comparison')
    .option('--column2 <label>', 'circuits: second column for the comparison figure')
    .option('--channels <list>', 'gridmaps: comma-separated channels (default all)')
    .option('--circuit <c>', 'svd: OV | QK', 'OV')
    .option('--side <s>', 'svd read-out: in (read / query) | out (written / key)', 'out')
    .option('--k <n>', 'svd read-out: number of singular directions', '3')
    .option('--reader <r>', 'congruence: predictor | mlp-in (with --layer) | heads', 'predictor')
    .option(
      '--select <indices>',
      'embeddings: comma-separated vocabulary indices (PCA selection, cosine map)',
    )
    .option('--select-keys <indices>', 'qk-circuit: sum over these key indices (DTI "Select via K")')
    .option('--select-queries <indices>', 'qk-circuit: keep only these query indices (DTI "Select via Q")')
    .option('--pc <i>', 'embeddings: principal component (0-based) for pc-bars / pc-gridmap', '0')
    .option('--centre', 'embeddings: subtract the mean embedding first (DTI "Centre Embeddings")')
    .option(
      '--save-directions <file>',
      'embeddings pca: write the components as saved directions (.safetensors)',
    )
    .option('--directions-count <n>', 'embeddings pca: how many components to save', '2')
    .option('--metric <m>', 'parameters: mean | negLogStd | norm', 'negLogStd')
    .option('--neurons <list>', 'neurons: e.g. L0N5:in,L1N3:out');
}

/** A vocabulary by name, or saved directions read from a .safetensors file. */
function vocabularyOf(m: WeightsModel, spec: string): Vocabulary {
  if (spec === 'predictor') return unembedVocabulary(m);
  if (spec.endsWith('.safetensors')) {
    const file = readSafetensors(readFileChecked(spec, 'directions file'));
    return directionsVocabulary(directionsFromTensors(file.tensors, file.metadata), m.arch.dModel);
  }
  const name = parseChoice(spec, VOCABULARY_NAMES, '--vocab');
  return embeddingVocabulary(m, name);
}

/** The head label from --head L1H2, or from --layer and --head indices (default L0H0). */
function headOption(opts: StaticAnalyzeOptions): string {
  if (opts.head && /^L\d+H\d+$/.test(opts.head)) return opts.head;
  const l = opts.layer === undefined ? 0 : parseCount(opts.layer, '--layer');
  const h = opts.head === undefined ? 0 : parseCount(opts.head, '--head');
  return `L${l}H${h}`;
}

const channelsOption = (opts: StaticAnalyzeOptions) => opts.channels?.split(',').map((s) => s.trim());

function circuitFigure(c: CircuitResult, kind: 'OV' | 'QK', opts: StaticAnalyzeOptions): FigureSpec {
  const fig = parseChoice(opts.figure ?? 'strip', ['strip', 'heatmap', 'gridmap', 'compare'], '--figure');
  if (fig === 'strip') return circuitStripFigure(c, kind);
  if (fig === 'heatmap') return circuitHeatmapFigure(c, kind, headOption(opts));
  const col = opts.column ?? c.colLabels[0];
  if (fig === 'gridmap') return circuitGridmapFigure(c, kind, headOption(opts), col, channelsOption(opts));
  return circuitComparisonFigure(c, col, opts.column2 ?? c.colLabels[Math.min(1, c.colLabels.length - 1)]);
}

interface Analysed {
  result: object;
  figure: FigureSpec;
  summary: string;
}

const fmt = (x: number) => x.toFixed(4);

export function analyseStatic(
  analysis: StaticAnalysis,
  m: WeightsModel,
  opts: StaticAnalyzeOptions,
): Analysed {
  switch (analysis) {
    case 'composition': {
      const r = compositionScores(m);
      const fig = parseChoice(opts.figure ?? 'map', ['map', 'strip', 'graph'], '--figure');
      const type =
        opts.type === undefined
          ? undefined
          : parseChoice<CompositionType>(opts.type, COMPOSITION_TYPES, '--type');
      const top = topCompositions(r, parseCount(opts.top, '--top'), opts.search);
      const graph = compositionGraph(r, parseNumber(opts.threshold, '--threshold'));
      const figure =
        fig === 'map'
          ? compositionMapFigure(r)
          : fig === 'strip'
            ? compositionStripFigure(r, type)
            : compositionGraphFigure(graph);
      const b = r.baseline.Q;
      const best = top
        .slice(0, 3)
        .map((e) => `${e.writer}->${e.reader} ${e.type} ${fmt(e.score)}`)
        .join(', ');
      return {
        result: { ...r, top, graph },
        figure,
        summary: `baseline mean ${fmt(b.mean)} (95% ${fmt(b.lo)}..${fmt(b.hi)}); top: ${best || 'none (one layer)'}`,
      };
    }
    case 'meta-composition': {
      const r = metaComposition(m);
      const fig = parseChoice(opts.figure ?? 'bars', ['bars', 'map'], '--figure');
      const ranked = r.writers
        .map((w, i) => [w.label, r.totalInfluence[i]] as const)
        .sort((a, b) => b[1] - a[1]);
      return {
        result: r,
        figure: fig === 'bars' ? metaCompositionFigure(r) : metaCompositionMapFigure(r),
        summary: `total influence: ${ranked
          .slice(0, 4)
          .map(([l, v]) => `${l} ${fmt(v)}`)
          .join(', ')}`,
      };
    }
    case 'mlp-composition': {
      const layer = opts.layer === undefined ? 0 : parseCount(opts.layer, '--layer');
      const r = mlpComposition(m, layer);
      const fig = parseChoice(opts.figure ?? 'into', ['into', 'out'], '--figure');
      const s = fig === 'into' ? r.into : r.out;
      const n = s.neurons.length;
      const rows = s.labels.flatMap((l, i) => s.neurons.map((nn, j) => [l, nn, s.values.data[i * n + j]]));
      const figure = heatmapFigure({
        title:
          fig === 'into'
            ? `composition of earlier writers into L${layer} neurons (W_in)`
            : `composition of L${layer} neurons (W_out) into later readers`,
        columns: [fig === 'into' ? 'writer' : 'reader', 'neuron', 'score'],
        rows,
        x: { column: 1, domain: s.neurons, label: 'neuron' },
        y: { column: 0, domain: s.labels, label: fig === 'into' ? 'writer' : 'reader' },
        value: 2,
        cellSize: 5,
      });
      return {
        result: r,
        figure,
        summary: `L${layer}: ${s.labels.length} ${fig === 'into' ? 'writers' : 'readers'} x ${n} neurons`,
      };
    }
    case 'ov-circuit': {
      const c = fullOV(m, vocabularyOf(m, opts.vocab));
      return {
        result: c,
        figure: circuitFigure(c, 'OV', opts),
        summary: `full OV ${c.rowName} -> ${c.colName}: shape [${c.values.shape.join(', ')}]`,
      };
    }
    case 'qk-circuit': {
      let q = vocabularyOf(m, opts.vocab);
      let k = vocabularyOf(m, opts.keyVocab ?? opts.vocab);
      if (opts.selectQueries) q = selectRows(q, parseCountList(opts.selectQueries, '--select-queries'));
      if (opts.selectKeys) k = selectRows(k, parseCountList(opts.selectKeys, '--select-keys'));
      const c = fullQK(m, q, k);
      if (opts.selectKeys) {
        // DTI "Select via K": scores summed over the selected keys, one column
        const summed: CircuitResult = {
          ...c,
          colName: 'selected keys',
          colLabels: ['Σ selected keys'],
          values: { ...sumOverKeys(c), shape: [...sumOverKeys(c).shape, 1] },
        };
        return {
          result: summed,
          figure: circuitFigure(summed, 'QK', opts),
          summary: `QK ${q.name} x Σ ${k.labels.join('; ')}`,
        };
      }
      return {
        result: c,
        figure: circuitFigure(c, 'QK', opts),
        summary: `full QK ${c.rowName} x ${c.colName}: shape [${c.values.shape.join(', ')}]`,
      };
    }
    case 'svd': {
      const circuit = parseChoice<HeadCircuit>(opts.circuit, ['OV', 'QK'], '--circuit');
      const svd = headSvd(m, circuit);
      const fig = parseChoice(opts.figure ?? 'values', ['values', 'readout'], '--figure');
      const S = svd.S.data;
      const dh = svd.S.shape[2];
      const summary = svd.heads.map((h, i) => `${h} σ1 ${fmt(S[i * dh])}`).join(', ');
      if (fig === 'values')
        return {
          result: { circuit, heads: svd.heads, S: svd.S },
          figure: singularValuesFigure(svd),
          summary,
        };
      const side = parseChoice(opts.side, ['in', 'out'], '--side');
      const r = svdReadout(m, svd, side, vocabularyOf(m, opts.vocab), parseCount(opts.k, '--k'));
      return { result: r, figure: svdReadoutFigure(r, headOption(opts)), summary };
    }
    case 'congruence': {
      const v = vocabularyOf(m, opts.vocab);
      const reader = parseChoice(opts.reader, ['predictor', 'mlp-in', 'heads'], '--reader');
      if (reader === 'heads') {
        const r = headInputCongruence(m, v);
        return { result: r, figure: headInputFigure(r), summary: `${v.name} vs every head's Q/K/V input` };
      }
      const layer = opts.layer === undefined ? 0 : parseCount(opts.layer, '--layer');
      const r = congruence(
        m,
        v,
        reader === 'predictor' ? unembedVocabulary(m) : neuronVocabulary(m, layer, 'in'),
      );
      const fig = parseChoice(opts.figure ?? 'strip', ['strip', 'heatmap'], '--figure');
      return {
        result: r,
        figure: fig === 'strip' ? congruenceStripFigure(r) : congruenceHeatmapFigure(r),
        summary: `congruence ${r.writer} · ${r.reader}: [${r.values.shape.join(', ')}]`,
      };
    }
    case 'embeddings':
      return embeddingsAnalysis(m, opts);
    case 'parameters': {
      const stats = parameterStats(m);
      const metric = parseChoice<ParameterMetric>(opts.metric, ['mean', 'negLogStd', 'norm'], '--metric');
      return { result: stats, figure: parameterFigure(stats, metric), summary: `${stats.length} parameters` };
    }
    case 'neurons': {
      check(opts.neurons, 'BAD_INPUT', 'give --neurons, e.g. L0N5:in,L1N3:out');
      const refs: NeuronRef[] = opts.neurons.split(',').map((s) => {
        const match = /^L(\d+)N(\d+)(?::(in|out))?$/.exec(s.trim());
        check(match, 'BAD_INPUT', `--neurons entries look like L0N5:in or L1N3:out, got '${s}'`);
        return {
          layer: Number(match[1]),
          neuron: Number(match[2]),
          side: (match[3] ?? 'in') as 'in' | 'out',
        };
      });
      const r = neuronDirections(m, refs);
      const fig = parseChoice(opts.figure ?? 'residual', ['residual', 'action'], '--figure');
      const figure = similarityFigure(
        fig === 'residual' ? r.residual : r.actionSpace,
        `neuron directions: cosine similarity in ${fig === 'residual' ? 'the residual stream' : 'action space'}`,
      );
      return { result: r, figure, summary: r.labels.join(', ') };
    }
  }
}

function embeddingsAnalysis(m: WeightsModel, opts: StaticAnalyzeOptions): Analysed {
  const v = vocabularyOf(m, opts.vocab);
  const fig = parseChoice(
    opts.figure ?? 'cosine',
    ['cosine', 'dot', 'pca', 'scree', 'pc-bars', 'pc-gridmap', 'norms'],
    '--figure',
  );
  const selection = opts.select ? parseCountList(opts.select, '--select') : undefined;
  if (fig === 'norms') {
    const norms = vectorNorms(v);
    return {
      result: { labels: v.labels, norms },
      figure: normsFigure(`L2 norms of the ${v.name} embeddings`, v.labels, norms),
      summary: `${v.name}: max norm ${fmt(Math.max(...norms))}`,
    };
  }
  if (fig === 'cosine' || fig === 'dot') {
    const chosen = selection ? selectRows(v, selection) : v;
    const r = similarityMatrix(chosen, fig);
    return {
      result: r,
      figure: similarityFigure(
        r,
        `${fig === 'cosine' ? 'cosine similarity' : 'dot product'} of ${v.name} embeddings`,
      ),
      summary: `${chosen.labels.length} vectors`,
    };
  }
  const sel = selection ?? Array.from({ length: Math.min(v.labels.length, 4) }, (_, i) => i);
  const p = embeddingPca(v, sel, { centre: opts.centre ?? false });
  if (opts.saveDirections) {
    const saved = pcaDirections(
      p,
      opts.saveDirections.replace(/^.*\//, '').replace(/\.safetensors$/, ''),
      parseCount(opts.directionsCount, '--directions-count'),
    );
    const { tensors, metadata } = directionsToTensors(saved);
    writeFileSync(opts.saveDirections, writeSafetensors(tensors, metadata));
  }
  const pc = parseCount(opts.pc, '--pc');
  const figure =
    fig === 'pca'
      ? pcaScatterFigure(p, 0, Math.min(1, p.explainedVarianceRatio.length - 1))
      : fig === 'scree'
        ? screeFigure(p)
        : fig === 'pc-bars'
          ? pcBarFigure(p, pc, parseCount(opts.top, '--top'))
          : pcGridmapFigure(p, pc, channelsOption(opts));
  const summary = `explained variance: ${p.explainedVarianceRatio.map((r) => `${(100 * r).toFixed(1)}%`).join(', ')}`;
  return { result: p, figure, summary };
}
