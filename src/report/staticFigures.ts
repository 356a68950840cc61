/**
 * The static (weights-only) figures of the HTML report, one producer per analysis. The report (CLI
 * `dtlens report`, the app's "Save report") includes every entry of `STATIC_REPORT_FIGURES`: a new
 * static analysis adds its producer here.
 */
import { barFigure } from '../analysis/figures/charts.ts';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import type { DecisionTransformer } from '../model/decisionTransformer.ts';
import { Tensor } from '../tensor/tensor.ts';
import { staticFigure } from '../analysis/figures/staticFigures.ts';
import { STATIC_ANALYSES, type StaticAnalysis, type StaticData } from '../analysis/static/requests.ts';
import { type ParamValues, defaultParams } from '../session/params.ts';
import { WEIGHTS_PANELS } from '../session/panels/weights.ts';

export interface StaticFigureProducer {
  id: string;
  /** Section heading in the report. */
  title: string;
  /** One paragraph: what the figures show (TransformerLens/DTI names). */
  description: string;
  /** The figures of `model` (its weights variant as loaded). */
  figures(model: DecisionTransformer): FigureSpec[];
}

/** Every weight tensor of the model with its path (`blocks.0.attn.W_Q`, `actionPredictor.W`, ...). */
export function weightTensors(model: DecisionTransformer): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (value: unknown, path: string) => {
    if (value instanceof Tensor) out.push([path, value]);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(model.weights, '');
  return out;
}

const weightNorms: StaticFigureProducer = {
  id: 'weight-norms',
  title: 'Weight norms',
  description:
    'The Frobenius norm ‖W‖ of every weight and bias tensor of the model as loaded (after the chosen ' +
    'weights processing: folding moves norm between layer norms and the matrices that read them).',
  figures: (model) => {
    const tensors = weightTensors(model);
    const norms = tensors.map(([, t]) => Math.sqrt(t.data.reduce((a, v) => a + v * v, 0)));
    return [
      barFigure({
        title: 'Frobenius norm of every weight tensor',
        labels: tensors.map(([name]) => name),
        values: norms,
        labelName: 'weight',
        valueName: '‖W‖ (Frobenius)',
      }),
    ];
  },
};

/**
 * The figures of each static analysis in the report: compact settings (one head, selected vocabularies,
 * no per-timestep strips) that keep the file a few MB and hold for any model; typed by the analysis
 * registry, so a new static analysis needs its entry here.
 */
const REPORTED: Record<StaticAnalysis, ParamValues[]> = {
  composition: [{ figure: 'map' }, { figure: 'strip' }, { figure: 'graph' }],
  'meta-composition': [{ figure: 'bars' }],
  'mlp-composition': [{ layer: 0, figure: 'into' }],
  'ov-circuit': [
    { vocab: 'state', figure: 'gridmap', channels: '' },
    { vocab: 'action', figure: 'strip' },
    { vocab: 'rtg', figure: 'strip' },
    { vocab: 'position', figure: 'heatmap' },
  ],
  'qk-circuit': [
    { vocab: 'state', keyVocab: 'rtg', selectKeys: '', figure: 'heatmap' },
    { vocab: 'position', keyVocab: 'position', selectKeys: '', figure: 'heatmap' },
  ],
  svd: [{ circuit: 'OV' }, { circuit: 'QK' }],
  congruence: [{ vocab: 'position' }, { vocab: 'action' }, { reader: 'heads' }],
  embeddings: [
    { vocab: 'state', select: '', figure: 'pca' },
    { vocab: 'state', select: '', figure: 'scree' },
    { vocab: 'action', select: '', figure: 'cosine' },
  ],
  parameters: [{ metric: 'negLogStd' }],
  neurons: [{ figure: 'residual' }],
};

/** A report section per static analysis: its panel's help as description, its figures at `REPORTED`. */
const weightsPanelFigures: StaticFigureProducer[] = STATIC_ANALYSES.map((id) => {
  const panel = WEIGHTS_PANELS.find((p) => p.id === id)!;
  return {
    id,
    title: panel.title,
    description: panel.help,
    figures: (model) =>
      REPORTED[id].map((v) => {
        const params = { ...defaultParams(panel.params), ...v };
        return staticFigure(panel.compute(model, params) as StaticData, params);
      }),
  };
});

export const STATIC_REPORT_FIGURES: StaticFigureProducer[] = [weightNorms, ...weightsPanelFigures];
