/** Views of the features panels (issue 16): probe accuracy by hook point with the shuffled-label control. */
import type { ProbeSweepResult } from '../../../src/analysis/features/probe.ts';
import { probeAccuracyFigure } from '../../../src/analysis/figures/featureFigures.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function ProbeSweepView({ data }: PanelViewProps) {
  const result = data as ProbeSweepResult;
  const specs = [
    probeAccuracyFigure([{ name: 'model', result }], { metrics: ['accuracy'] }),
    probeAccuracyFigure([{ name: 'model', result }], { metrics: ['shuffled'] }),
  ];
  return <SpecFigures specs={specs} name="probe-sweep" deps={[data]} />;
}
