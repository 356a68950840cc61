/**
 * Views of the issue-14 causal panels: path patching (heatmap of 1 − m over the sender grid) and
 * attribution patching (scatter against real patching, worst cells). Figures from `src/analysis/figures/`.
 */
import type { AttributionComparison } from '../../../src/analysis/causal/attributionPatching.ts';
import type { PathGrid } from '../../../src/analysis/causal/pathViews.ts';
import { attributionScatterFigure } from '../../../src/analysis/figures/attributionFigures.ts';
import { pathGridFigure } from '../../../src/analysis/figures/pathFigures.ts';
import { SpecFigure } from './CausalViews.tsx';
import type { PanelViewProps } from './types.ts';

export function PathPatchingView({ data }: PanelViewProps) {
  const g = data as PathGrid;
  return (
    <div>
      <p>
        {g.metricLabel}: clean {g.clean.toFixed(3)}, corrupted {g.corrupted.toFixed(3)}; receivers{' '}
        {g.receivers.join(', ')}
      </p>
      <SpecFigure spec={pathGridFigure(g)} name={`path-patching-${g.receivers.join('-')}`} />
    </div>
  );
}

export function AttributionPatchingView({ data }: PanelViewProps) {
  const c = data as AttributionComparison;
  return (
    <div>
      <SpecFigure spec={attributionScatterFigure(c)} name={`attribution-${c.sweep.kind}-${c.mode}`} />
      <p>Worst cells (attribution vs patching):</p>
      <ul>
        {c.worst.map((w) => (
          <li key={w.cell}>
            {w.cell}: {w.attribution.toFixed(3)} vs {w.actual.toFixed(3)}
          </li>
        ))}
      </ul>
    </div>
  );
}
