/**
 * UI halves of the analysis panels, keyed by the ids of the worker registry (`src/session/panels/`),
 * one entry per panel. How to add one: `docs/app-panels.md`.
 */
import { AttentionView } from './AttentionView.tsx';
import { CacheView } from './CacheView.tsx';
import { AblationView, CounterfactualAttentionView, PatchingView } from './CausalViews.tsx';
import {
  AttributionPatchingView,
  CircuitDiscoveryView,
  CausalScrubbingView,
  ClosedLoopView,
  PathPatchingView,
} from './Causal2Views.tsx';
import { LogitLensView } from './LogitLensView.tsx';
import { ObservationView } from './ObservationView.tsx';
import { StaticView } from './StaticView.tsx';
import { HeadTypesView, PolicyFieldView, RtgScanView, SteeringView } from './ScanViews.tsx';
import { GatedMlpView, NeuronView, ProjectionView } from './NeuronViews.tsx';
import {
  AcrossTrainingView,
  ProbeSweepView,
  SaeDashboardView,
  SaeSteerView,
  SaeView,
  SeriesFilesControl,
} from './FeatureViews.tsx';
import { DatasetFileControl, DatasetKurtosisView, DatasetNormsView, DatasetView } from './DatasetViews.tsx';
import { TwoRtgsView } from './TwoRtgsView.tsx';
import type { PanelView } from './types.ts';

export const PANEL_VIEWS: Record<string, PanelView> = {
  // Play / Dynamic
  attention: { View: AttentionView, ownsSettings: true },
  'logit-lens': { View: LogitLensView, ownsSettings: true },
  observation: { View: ObservationView, ownsSettings: true },
  cache: { View: CacheView, ownsSettings: true },
  'head-types': { View: HeadTypesView },
  neuron: { View: NeuronView },
  projection: { View: ProjectionView },
  'gated-mlp': { View: GatedMlpView },
  'two-rtgs': { View: TwoRtgsView },
  // Weights
  composition: { View: StaticView },
  'meta-composition': { View: StaticView },
  'mlp-composition': { View: StaticView },
  'ov-circuit': { View: StaticView },
  'qk-circuit': { View: StaticView },
  svd: { View: StaticView },
  congruence: { View: StaticView },
  embeddings: { View: StaticView },
  parameters: { View: StaticView },
  neurons: { View: StaticView },
  // Causal
  'activation-patching': { View: PatchingView },
  'counterfactual-attention': { View: CounterfactualAttentionView },
  ablation: { View: AblationView },
  'path-patching': { View: PathPatchingView },
  'attribution-patching': { View: AttributionPatchingView },
  'circuit-discovery': { View: CircuitDiscoveryView },
  'closed-loop': { View: ClosedLoopView },
  'causal-scrubbing': { View: CausalScrubbingView },
  // Scans
  'rtg-scan': { View: RtgScanView },
  steering: { View: SteeringView },
  'policy-field': { View: PolicyFieldView },
  // Dataset
  dataset: { View: DatasetView, Controls: DatasetFileControl },
  'dataset-norms': { View: DatasetNormsView },
  'dataset-kurtosis': { View: DatasetKurtosisView },
  'dataset-head-types': { View: HeadTypesView },
  'probe-sweep': { View: ProbeSweepView },
  sae: { View: SaeView },
  'sae-dashboard': { View: SaeDashboardView },
  'sae-steer': { View: SaeSteerView },
  'across-training': { View: AcrossTrainingView, Controls: SeriesFilesControl },
};
