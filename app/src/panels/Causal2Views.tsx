/**
 * Views of the issue-14/16 causal panels: path patching (heatmap of 1 − m over the sender grid),
 * attribution patching (scatter against real patching, worst cells), circuit discovery (the circuit over
 * token positions, faithfulness), closed-loop rollouts (rates with Wilson intervals per condition) and
 * causal scrubbing (share recovered). Figures from `src/analysis/figures/`.
 */
import type { AttributionComparison } from '../../../src/analysis/causal/attributionPatching.ts';
import type { CircuitResult } from '../../../src/analysis/causal/circuit/discover.ts';
import type { PathGrid } from '../../../src/analysis/causal/pathViews.ts';
import type { ScrubResult } from '../../../src/analysis/causal/scrubbing.ts';
import type { Interval } from '../../../src/analysis/causal/stats.ts';
import { attributionScatterFigure } from '../../../src/analysis/figures/attributionFigures.ts';
import { circuitGraphFigure } from '../../../src/analysis/figures/circuitGraphFigures.ts';
import { closedLoopFigure } from '../../../src/analysis/figures/closedLoopFigures.ts';
import { pathGridFigure } from '../../../src/analysis/figures/pathFigures.ts';
import { scrubFigure } from '../../../src/analysis/figures/scrubbingFigures.ts';
import type { RolloutsPanelResult } from '../../../src/session/panels/rollouts.ts';
import { weakCorruptionWarning } from '../../../src/analysis/causal/metrics.ts';
import { SpecFigure, Warning } from './CausalViews.tsx';
import type { PanelViewProps } from './types.ts';

export function PathPatchingView({ data }: PanelViewProps) {
  const g = data as PathGrid;
  return (
    <div>
      <Warning text={weakCorruptionWarning(g.metricLabel, g.clean, g.corrupted)} />
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
      <Warning text={weakCorruptionWarning(r.metricLabel, r.clean, r.corrupted)} />
      <p>
        {r.metricLabel}: clean {r.clean.toFixed(3)}, corrupted {r.corrupted.toFixed(3)}, circuit alone{' '}
        {r.circuitValue.toFixed(3)}; faithfulness {r.faithfulness.toFixed(3)} with {r.edges.length} of{' '}
        {r.graphEdges} edges
        {r.edges.length > 0
          ? `, ${(100 * r.confirmedShare).toFixed(0)}% confirmed by real patching`
          : ' (no edge reaches the threshold)'}
      </p>
      <SpecFigure spec={circuitGraphFigure(r)} name={`circuit-${r.method}`} />
    </div>
  );
}

const interval = (i: Interval) => `${i.estimate.toFixed(2)} [${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`;

export function ClosedLoopView({ data }: PanelViewProps) {
  return <ClosedLoopResults {...(data as RolloutsPanelResult)} />;
}

/** Closed-loop rollouts: success and goal-choice figures and the table of every condition. */
export function ClosedLoopResults({ result: r, description }: RolloutsPanelResult) {
  return (
    <div>
      <p>{description}</p>
      <div className="figure-row">
        <SpecFigure spec={closedLoopFigure(r)} name={`closed-loop-success-${r.episodes}`} />
        <SpecFigure spec={closedLoopFigure(r, 'other')} name={`closed-loop-other-${r.episodes}`} />
      </div>
      <div className="table-scroll">
        <table className="kv" aria-label="closed-loop conditions">
          <thead>
            <tr>
              <th>condition</th>
              <th>success (95%)</th>
              <th>other object</th>
              <th>no choice</th>
              <th>mean return (95%)</th>
              <th>mean length</th>
            </tr>
          </thead>
          <tbody>
            {r.conditions.map((c) => (
              <tr key={c.label}>
                <th>{c.label}</th>
                <td>{interval(c.successRate)}</td>
                <td>{interval(c.choices.other)}</td>
                <td>{interval(c.choices.none)}</td>
                <td>{interval(c.meanReturn)}</td>
                <td>{c.meanLength.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function CausalScrubbingView({ data }: PanelViewProps) {
  const r = data as ScrubResult;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const ld = r.logitDiff;
  // The share recovered divides by clean − scrambled: over windows whose logit differences cancel
  // (e.g. both instructions), that gap is near 0 and the share is not a meaningful number.
  const ldShare = Math.abs(ld.clean - ld.scrambled) >= 0.1 * Math.max(Math.abs(ld.clean), 0.1);
  return (
    <div>
      <p data-testid="scrub-summary">
        {r.hypothesis} ({r.windows} windows): loss recovered {pct(r.loss.recovered)} (clean{' '}
        {r.loss.clean.toFixed(3)}, hypothesis {r.loss.hypothesis.toFixed(3)}, scrambled{' '}
        {r.loss.scrambled.toFixed(3)}); mean logit difference: clean {ld.clean.toFixed(3)}, hypothesis{' '}
        {ld.hypothesis.toFixed(3)}, scrambled {ld.scrambled.toFixed(3)}
        {ldShare
          ? ` (recovered ${pct(ld.recovered)})`
          : ' (clean and scrambled agree on average, so no share of it is shown: read the loss)'}
      </p>
      <div className="figure-row">
        <SpecFigure spec={scrubFigure(r)} name="scrubbing-loss" />
        {ldShare && <SpecFigure spec={scrubFigure(r, 'logitDiff')} name="scrubbing-logit-diff" />}
      </div>
    </div>
  );
}
