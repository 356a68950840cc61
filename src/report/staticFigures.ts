/**
 * The static (weights-only) figures of the HTML report, one producer per analysis. The report (CLI
 * `dtlens report`, the app's "Save report") includes every entry of `STATIC_REPORT_FIGURES`: a new
 * static analysis adds its producer here.
 */
import { barFigure } from '../analysis/figures/charts.ts';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import type { DecisionTransformer } from '../model/decisionTransformer.ts';
import { Tensor } from '../tensor/tensor.ts';

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

export const STATIC_REPORT_FIGURES: StaticFigureProducer[] = [weightNorms];
