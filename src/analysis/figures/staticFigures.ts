/**
 * The figure of a static analysis for given settings (`figure`, `head`, `column`, ...): shared by
 * `dtlens analyze <static analysis>` and the app's Weights panels. See `static/requests.ts`.
 */
import { check } from '../../errors.ts';
import type { CircuitResult } from '../static/circuits.ts';
import { COMPOSITION_TYPES, type CompositionType } from '../static/composition.ts';
import {
  EMBEDDING_FIGURES,
  type StaticData,
  type StaticSettings,
  choice,
  num,
  text,
} from '../static/requests.ts';
import { heatmapFigure } from './charts.ts';
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
} from './circuitFigures.ts';
import {
  compositionGraphFigure,
  compositionMapFigure,
  compositionStripFigure,
  metaCompositionFigure,
  metaCompositionGraphFigure,
  metaCompositionMapFigure,
} from './compositionFigures.ts';
import {
  type ParameterMetric,
  normsFigure,
  parameterFigure,
  pcBarFigure,
  pcGridmapFigure,
  pcaScatterFigure,
  screeFigure,
  similarityFigure,
} from './embeddingFigures.ts';
import type { FigureSpec } from './figure.ts';

/** A head label: `L1H2`, or built from `layer` and `head` indices (default L0H0). */
export function headSetting(s: StaticSettings): string {
  const h = text(s, 'head');
  if (/^L\d+H\d+$/.test(h)) return h;
  return `L${num(s, 'layer', 0, true)}H${num(s, 'head', 0, true)}`;
}

const channels = (s: StaticSettings) => {
  const c = text(s, 'channels');
  return c ? c.split(',').map((x) => x.trim()) : undefined;
};

function circuitFigure(c: CircuitResult, kind: 'OV' | 'QK', s: StaticSettings): FigureSpec {
  const fig = choice(s, 'figure', ['strip', 'heatmap', 'gridmap', 'compare'], 'strip');
  if (fig === 'strip') return circuitStripFigure(c, kind, { search: text(s, 'search') });
  if (fig === 'heatmap') return circuitHeatmapFigure(c, kind, headSetting(s));
  const col = text(s, 'column', c.colLabels[0]);
  if (fig === 'gridmap') return circuitGridmapFigure(c, kind, headSetting(s), col, channels(s));
  return circuitComparisonFigure(
    c,
    col,
    text(s, 'column2', c.colLabels[Math.min(1, c.colLabels.length - 1)]),
  );
}

export function staticFigure(d: StaticData, s: StaticSettings): FigureSpec {
  switch (d.analysis) {
    case 'composition': {
      const fig = choice(s, 'figure', ['map', 'strip', 'graph'], 'map');
      if (fig === 'map') return compositionMapFigure(d.scores);
      if (fig === 'graph') return compositionGraphFigure(d.graph);
      const type = text(s, 'type', 'all');
      return compositionStripFigure(
        d.scores,
        type === 'all' ? undefined : choice<CompositionType>(s, 'type', COMPOSITION_TYPES, 'Q'),
      );
    }
    case 'meta-composition': {
      const fig = choice(s, 'figure', ['bars', 'map', 'graph'], 'bars');
      if (fig === 'graph') return metaCompositionGraphFigure(d.meta);
      return fig === 'bars' ? metaCompositionFigure(d.meta) : metaCompositionMapFigure(d.meta);
    }
    case 'mlp-composition': {
      const into = choice(s, 'figure', ['into', 'out'], 'into') === 'into';
      const r = into ? d.mlp.into : d.mlp.out;
      const n = r.neurons.length;
      check(
        r.labels.length > 0,
        'BAD_INPUT',
        `layer ${d.mlp.layer} has no ${into ? 'earlier writers' : 'later readers'}`,
      );
      return heatmapFigure({
        title: into
          ? `earlier writers into L${d.mlp.layer} neurons (W_in)`
          : `L${d.mlp.layer} neurons (W_out) into later readers`,
        columns: [into ? 'writer' : 'reader', 'neuron', 'score'],
        rows: r.labels.flatMap((l, i) => r.neurons.map((nn, j) => [l, nn, r.values.data[i * n + j]])),
        x: { column: 1, domain: r.neurons, label: 'neuron' },
        y: { column: 0, domain: r.labels, label: into ? 'writer' : 'reader' },
        value: 2,
        cellSize: 5,
      });
    }
    case 'ov-circuit':
      return circuitFigure(d.circuit, 'OV', s);
    case 'qk-circuit':
      return circuitFigure(d.circuit, 'QK', s);
    case 'svd':
      return d.readout ? svdReadoutFigure(d.readout, headSetting(s)) : singularValuesFigure(d.svd);
    case 'congruence':
      if (d.heads) return headInputFigure(d.heads);
      return choice(s, 'figure', ['strip', 'heatmap'], 'strip') === 'strip'
        ? congruenceStripFigure(d.congruence!, text(s, 'search'))
        : congruenceHeatmapFigure(d.congruence!);
    case 'embeddings': {
      if (d.norms) return normsFigure('L2 norms of the embeddings', d.norms.labels, d.norms.norms);
      if (d.similarity)
        return similarityFigure(
          d.similarity,
          `${d.similarity.kind === 'cosine' ? 'cosine similarity' : 'dot product'} of the embeddings`,
        );
      const p = d.pca!;
      const fig = choice(s, 'figure', EMBEDDING_FIGURES, 'pca');
      const pc = num(s, 'pc', 0, true);
      if (fig === 'scree') return screeFigure(p);
      if (fig === 'pc-bars') return pcBarFigure(p, pc, num(s, 'top', 10, true));
      if (fig === 'pc-gridmap') return pcGridmapFigure(p, pc, channels(s));
      return pcaScatterFigure(p, 0, Math.min(1, p.explainedVarianceRatio.length - 1));
    }
    case 'parameters':
      return parameterFigure(
        d.stats,
        choice<ParameterMetric>(s, 'metric', ['mean', 'negLogStd', 'norm'], 'negLogStd'),
      );
    case 'neurons': {
      const action = choice(s, 'figure', ['residual', 'action'], 'residual') === 'action';
      const r = action ? d.neurons.actionSpace : d.neurons.residual;
      return similarityFigure(
        r,
        `neuron directions: cosine similarity in ${action ? 'action space' : 'the residual stream'}`,
      );
    }
  }
}
