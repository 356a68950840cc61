/**
 * SAE figures: the training loss curve and a latent's feature dashboard (activation histogram, decoder
 * direction read through the action predictor and the state embedding, correlation with labels).
 */
import type { SaeKind } from '../features/sae.ts';
import type { FeatureDashboard } from '../features/saeDashboard.ts';
import { barFigure, lineFigure } from './charts.ts';
import type { FigureSpec } from './figure.ts';

/** At most this many points of the loss curve are drawn (evenly spaced steps, the last one included). */
const LOSS_POINTS = 60;

export function saeLossFigure(losses: readonly number[], kind: SaeKind = 'topk'): FigureSpec {
  const every = Math.max(1, Math.ceil(losses.length / LOSS_POINTS));
  const steps = losses.map((_, i) => i).filter((i) => i % every === 0 || i === losses.length - 1);
  return lineFigure({
    title: `SAE training loss (reconstruction MSE${kind === 'relu' ? ' + L1 penalty' : ''})`,
    columns: ['step', 'loss'],
    rows: steps.map((i) => [String(i + 1), losses[i]]),
    x: { column: 0, domain: steps.map((i) => String(i + 1)), label: 'optimiser step' },
    y: 1,
  });
}

export function featureHistogramFigure(d: FeatureDashboard): FigureSpec {
  const { edges, counts } = d.histogram;
  return barFigure({
    title: `Latent ${d.latent}: non-zero activations (fires on ${(100 * d.firingRate).toFixed(1)}% of windows)`,
    // three significant digits whatever the activations' scale (small ReLU latents included)
    labels: counts.map((_, i) => `${edges[i].toPrecision(3)}–${edges[i + 1].toPrecision(3)}`),
    values: counts,
    labelName: 'activation',
    valueName: 'windows',
  });
}

/** The decoder direction through the action predictor (null for hooks not of residual width). */
export function featureActionsFigure(d: FeatureDashboard): FigureSpec | null {
  return (
    d.actions &&
    barFigure({
      title: `Latent ${d.latent}: decoder direction · W_U (logit per action of a unit activation)`,
      labels: d.actions.map((a) => a.action),
      values: d.actions.map((a) => a.logit),
      labelName: 'action',
      valueName: 'logit',
    })
  );
}

/** The observation features whose state-embedding columns the decoder direction aligns with most. */
export function featureObservationFigure(d: FeatureDashboard): FigureSpec | null {
  return (
    d.observation &&
    barFigure({
      title: `Latent ${d.latent}: decoder direction · W_state (top observation features)`,
      labels: d.observation.map((o) => o.feature),
      values: d.observation.map((o) => o.weight),
      labelName: 'observation feature',
      valueName: 'weight',
    })
  );
}

/** Correlation with each label class, the `top` largest |r|. */
export function featureCorrelationFigure(d: FeatureDashboard, top = 12): FigureSpec {
  const rows = d.correlations.slice(0, top);
  return barFigure({
    title: `Latent ${d.latent}: correlation with environment facts`,
    labels: rows.map((c) => `${c.label}=${c.class}`),
    values: rows.map((c) => c.r),
    labelName: 'label class',
    valueName: 'Pearson r',
  });
}
