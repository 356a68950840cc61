/**
 * The panel registry (worker side): every analysis panel of the app, one entry each, in display order
 * within its group. A panel's UI view has the same id in `app/src/panels/registry.tsx`. How to add one:
 * `docs/app-panels.md`.
 */
import { attentionPanel, cachePanel, logitLensPanel, observationPanel } from './dynamic.ts';
import { ablationPanel, activationPatchingPanel, counterfactualAttentionPanel } from './causal.ts';
import { headTypesPanel, policyFieldPanel, rtgScanPanel, steeringPanel } from './scans.ts';
import { gatedMlpPanel, neuronPanel, projectionPanel } from './neurons.ts';
import { attributionPatchingPanel, circuitDiscoveryPanel, pathPatchingPanel } from './causal2.ts';
import { probeSweepPanel } from './features.ts';
import { saeDashboardPanel, saeSteerPanel, saeTrainPanel } from './sae.ts';
import { twoRtgsPanel } from './twoRtgs.ts';
import { acrossTrainingPanel } from './acrossTraining.ts';
import { datasetHeadTypesPanel, datasetKurtosisPanel, datasetNormsPanel, datasetPanel } from './dataset.ts';
import { closedLoopPanel } from './rollouts.ts';
import { causalScrubbingPanel } from './scrubbing.ts';
import type { PanelSpec } from './types.ts';
import { WEIGHTS_PANELS } from './weights.ts';

export * from './types.ts';

export const PANELS: readonly PanelSpec[] = [
  // Play / Dynamic
  attentionPanel,
  logitLensPanel,
  observationPanel,
  cachePanel,
  headTypesPanel,
  neuronPanel,
  projectionPanel,
  gatedMlpPanel,
  twoRtgsPanel,
  // Weights (static analyses)
  ...WEIGHTS_PANELS,
  // Causal
  activationPatchingPanel,
  counterfactualAttentionPanel,
  ablationPanel,
  pathPatchingPanel,
  attributionPatchingPanel,
  circuitDiscoveryPanel,
  closedLoopPanel,
  causalScrubbingPanel,
  // Scans
  rtgScanPanel,
  steeringPanel,
  policyFieldPanel,
  // Dataset
  datasetPanel,
  datasetNormsPanel,
  datasetKurtosisPanel,
  datasetHeadTypesPanel,
  probeSweepPanel,
  saeTrainPanel,
  saeDashboardPanel,
  saeSteerPanel,
  acrossTrainingPanel,
];

export const panelById = (id: string): PanelSpec | undefined => PANELS.find((p) => p.id === id);
