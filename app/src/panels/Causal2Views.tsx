/**
 * Views of the issue-14/16 causal panels: path patching (heatmap of 1 − m over the sender grid),
 * attribution patching (scatter against real patching, worst cells) and circuit discovery (the circuit
 * over token positions, faithfulness). Figures from `src/analysis/figures/`.
 */
import type { AttributionComparison } from '../../../src/analysis/causal/attributionPatching.ts';
import type { CircuitResult } from '../../../src/analysis/causal/circuit/discover.ts';
import type { PathGrid } from '../../../src/analysis/causal/pathViews.ts';
import { attributionScatterFigure } from '../../../src/analysis/figures/attributionFigures.ts';
import { circuitGraphFigure } from '../../../src/analysis/figures/circuitGraphFigures.ts';
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

export function CircuitDiscoveryView({ data }: PanelViewProps) {
  const r = data as CircuitResult;
  return (
    <div>
      <p>
        {r.metricLabel}: clean {r.clean.toFixed(3)}, corrupted {r.corrupted.toFixed(3)}, circuit alone{' '}
        {r.circuitValue.toFixed(3)}; faithfulness {r.faithfulness.toFixed(3)} with {r.edges.length} of{' '}
        {r.graphEdges} edges, {(100 * r.confirmedShare).toFixed(0)}% confirmed by real patching
      </p>
      <SpecFigure spec={circuitGraphFigure(r)} name={`circuit-${r.method}`} />
    </div>
  );
}
