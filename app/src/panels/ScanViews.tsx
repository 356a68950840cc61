/** Views of the Scans panels: the RTG and steering scans (logits, probabilities, decomposition, clustergram), the policy field and head types. */
import { type ScanAxis, scanFigure } from '../../../src/analysis/figures/scanFigures.ts';
import type { ScanRows } from '../../../src/analysis/scans/batchedScan.ts';
import type { CorrelationResult } from '../../../src/analysis/scans/correlation.ts';
import type { CoefficientScanResult } from '../../../src/analysis/scans/steering.ts';
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

/** The scan figures shared by the RTG and coefficient scans: logits, probabilities, decomposition, clustergram. */
function scanSpecs(
  r: ScanRows & { correlation: CorrelationResult | null },
  axis: ScanAxis,
  level: DecompositionLevel,
) {
  return [
    scanFigure(r, 'logits', axis),
    scanFigure(r, 'probabilities', axis),
    scanFigure(r, 'decomposition', axis, { level }),
    ...(r.correlation ? [scanFigure(r, 'clustergram', axis)] : []),
  ];
}

const clustersOf = (c: CorrelationResult | null) => c?.clusters.map((x) => x.join(' ')).join(' | ');

export function RtgScanView({ data, params }: PanelViewProps) {
  const r = data as RtgScanResult;
  const level = params.level as DecompositionLevel;
  const axis = { axis: 'RTG', values: r.rtg };
  const clusters = clustersOf(r.correlation);
  return (
    <div className="rtg-scan">
      <p className="summary">
        {r.direction.label} at {r.tokenLabel}: {r.logitDiff[0].toFixed(3)} at RTG {r.rtg[0]} →{' '}
        {r.logitDiff[r.n - 1].toFixed(3)} at RTG {r.rtg[r.n - 1]} ({r.tokens} RTG tokens;{' '}
        {r.decomposition.components?.lnScaled ? 'LN-scaled' : 'no LN scaling, as DTI'}
        {r.timestepNoise > 0 && `; timestep noise ±${r.timestepNoise}`})
        {clusters && <span className="muted"> · clusters: {clusters}</span>}
      </p>
      <SpecFigures
        specs={[
          ...scanSpecs(r, axis, level),
          ...(r.attention
            ? [scanFigure(r, 'attention', axis, { weighted: params.attention === 'value-weighted' })]
            : []),
        ]}
        name={`rtg-scan-${level}`}
        deps={[data, level, params.attention]}
      />
    </div>
  );
}

export function SteeringView({ data, params }: PanelViewProps) {
  const r = data as CoefficientScanResult;
  const level = params.level as DecompositionLevel;
  const clusters = clustersOf(r.correlation);
  const zero = r.coeff.reduce((best, c, i) => (Math.abs(c) < Math.abs(r.coeff[best]) ? i : best), 0);
  return (
    <div className="steering">
      <p className="summary">
        {r.direction.label} at {r.tokenLabel} steering {r.hook} (vector norm {r.vectorNorm.toFixed(3)}):{' '}
        {r.logitDiff[0].toFixed(3)} at coefficient {r.coeff[0].toFixed(2)}, {r.logitDiff[zero].toFixed(3)} at{' '}
        {r.coeff[zero].toFixed(2)}, {r.logitDiff[r.n - 1].toFixed(3)} at {r.coeff[r.n - 1].toFixed(2)}
        {clusters && <span className="muted"> · clusters: {clusters}</span>}
      </p>
      <SpecFigures
        specs={scanSpecs(r, { axis: 'coefficient', values: r.coeff }, level)}
        name={`steering-${level}`}
        deps={[data, level]}
      />
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
