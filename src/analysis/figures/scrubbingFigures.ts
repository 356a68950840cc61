/** Causal scrubbing -> bars: share recovered by the hypothesis, then with each named node scrambled. */
import type { ScrubResult } from '../causal/scrubbing.ts';
import { barFigure } from './charts.ts';
import type { FigureSpec } from './figure.ts';

export function scrubFigure(r: ScrubResult, metric: 'loss' | 'logitDiff' = 'loss'): FigureSpec {
  const name = metric === 'loss' ? 'loss recovered' : 'logit difference recovered';
  return barFigure({
    title: `Causal scrubbing: ${name} (${r.windows} windows), hypothesis ${r.hypothesis}`,
    labels: ['hypothesis', ...r.nodes.map((n) => `${n.label} (${n.dependsOn}) scrambled`)],
    values: [r[metric].recovered, ...r.nodes.map((n) => n.recoveredWithout[metric])],
    labelName: 'run',
    valueName: name,
  });
}
