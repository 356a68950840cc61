/** Views of the Scans panels: the RTG scan (logits, probabilities, decomposition, clustergram), the policy field and head types. */
import { scanFigure } from '../../../src/analysis/figures/scanFigures.ts';
import { headTypesFigure } from '../../../src/analysis/figures/datasetFigures.ts';
import type { DecompositionLevel } from '../../../src/analysis/dynamic/decomposition.ts';
import type { HeadTypesResult } from '../../../src/analysis/scans/headTypes.ts';
import type { RtgScanResult } from '../../../src/analysis/scans/rtgScan.ts';
import {
  type PolicyFieldView as FieldView,
  policyFieldFigure,
} from '../../../src/analysis/figures/policyFieldFigures.ts';
import type { PolicyFieldResult } from '../../../src/analysis/scans/policyField.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function RtgScanView({ data, params }: PanelViewProps) {
  const r = data as RtgScanResult;
  const axis = { axis: 'RTG', values: r.rtg };
  const level = params.level as DecompositionLevel;
  const specs = [
    scanFigure(r, 'logits', axis),
    scanFigure(r, 'probabilities', axis),
    scanFigure(r, 'decomposition', axis, { level }),
    ...(r.correlation ? [scanFigure(r, 'clustergram', axis)] : []),
  ];
  const clusters = r.correlation?.clusters.map((c) => c.join(' ')).join(' | ');
  return (
    <div className="rtg-scan">
      <p className="summary">
        {r.direction.label} at {r.tokenLabel}: {r.logitDiff[0].toFixed(3)} at RTG {r.rtg[0]} →{' '}
        {r.logitDiff[r.n - 1].toFixed(3)} at RTG {r.rtg[r.n - 1]} ({r.tokens} RTG tokens;{' '}
        {r.decomposition.components?.lnScaled ? 'LN-scaled' : 'no LN scaling, as DTI'})
        {clusters && <span className="muted"> · clusters: {clusters}</span>}
      </p>
      <SpecFigures specs={specs} name={`rtg-scan-${level}`} deps={[data, level]} />
    </div>
  );
}

export function HeadTypesView({ data }: PanelViewProps) {
  const r = data as HeadTypesResult;
  return (
    <div className="head-types">
      <p className="summary">
        {r.heads.map((h, i) => `${h}: ${r.types[i]}`).join(' · ')} (threshold {r.threshold})
      </p>
      <SpecFigures specs={[headTypesFigure(r)]} name="head-types" deps={[data]} />
    </div>
  );
}

export function PolicyFieldView({ data, params }: PanelViewProps) {
  const r = data as PolicyFieldResult;
  const wanted = params.view as FieldView;
  const view = r.second ? wanted : 'first';
  const action = params.action as number;
  const A = r.actionNames.length;
  const at = (d: Float32Array) =>
    r.actionNames.map((a, k) => `${a} ${d[r.agentRow * A + k].toFixed(3)}`).join(', ');
  return (
    <div className="policy-field">
      <p className="summary">
        {r.poses.length} poses · at the agent’s pose: {at(r.probabilities.data)}
        {r.second && ` · at RTG ${r.second.rtg}: ${at(r.second.probabilities.data)}`}
        {view !== wanted && <span className="muted"> (set a second RTG for the {wanted} view)</span>}
      </p>
      <SpecFigures
        specs={[policyFieldFigure(r, { view, action: action < 0 ? undefined : Math.min(action, A - 1) })]}
        name={`policy-field-${view}`}
        deps={[data, view, action]}
      />
    </div>
  );
}
