/**
 * Neuron panels (Play/Dynamic): what one neuron reads at the chosen token, decomposed exactly (gated
 * MLPs included), the residual stream projected on heads' and neurons' outputs, and the gated-MLP view.
 */
import { gatedMlpView } from '../../analysis/dynamic/gatedMlp.ts';
import { neuronActivation } from '../../analysis/dynamic/neuronActivation.ts';
import { parseNeuron } from '../../analysis/dynamic/neuronReads.ts';
import { type ProjectionNorm, projectionAnalysis } from '../../analysis/dynamic/projection.ts';
import {
  GATED_MLP_FIGURES,
  NEURON_FIGURES,
  PROJECTION_FIGURES,
} from '../../analysis/figures/neuronFigures.ts';
import type { WindowPanel } from './types.ts';

const NEURON = /^L\d+N\d+$/;
const NEURON_LIST = /^(L\d+N\d+)?(,L\d+N\d+)*$/;

export const neuronPanel: WindowPanel = {
  id: 'neuron',
  title: 'Neuron activation',
  group: 'dynamic',
  scope: 'window',
  help:
    'What one MLP neuron L{l}N{n} reads at the chosen position (DTI “Neuron Activation Analysis”, fixed for ' +
    'gated MLPs): its pre-activation (`mlp.hook_pre`; for a gated MLP the gate, read through W_gate, and the ' +
    'linear branch through W_in) decomposed over the components feeding its MLP (TransformerLens ' +
    '`get_full_resid_decomposition(layer, mlp_input=True, expand_neurons=True)` scaled by `ln2`): heads, ' +
    'earlier neurons, embeddings, bias; the lens into its input by layer and accumulated; and at an S token ' +
    'the observation features and time embedding. Uses the active weights variant.',
  params: {
    neuron: { kind: 'text', default: 'L0N0', pattern: NEURON, label: 'neuron (L{l}N{n})' },
    figure: { kind: 'choice', default: 'components', choices: NEURON_FIGURES },
  },
  needs: () => true,
  compute: (run, p, ctx) =>
    neuronActivation(run, {
      neuron: parseNeuron(p.neuron as string, run.model.arch),
      position: ctx.position,
    }),
};

export const projectionPanel: WindowPanel = {
  id: 'projection',
  title: 'Projection analysis',
  group: 'dynamic',
  scope: 'window',
  help:
    'Each accumulated residual state at the chosen position (`accumulated_resid(incl_mid=True)`, no LN) ' +
    'projected on every head’s output (`hook_result`) and on chosen neurons’ outputs (`post · W_out`), ' +
    'divided by the component’s norm (DTI “Vector Norm”) or the state’s; and the clustered cosine ' +
    'similarity of the components (DTI “Projection onto Component Output in Residual Stream”). Uses the ' +
    'active weights variant.',
  params: {
    neurons: { kind: 'text', default: '', pattern: NEURON_LIST, label: 'neurons (L{l}N{n},...)' },
    norm: { kind: 'choice', default: 'vector', choices: ['vector', 'component'] },
    figure: { kind: 'choice', default: 'projection', choices: PROJECTION_FIGURES },
  },
  needs: () => true,
  compute: (run, p, ctx) =>
    projectionAnalysis(run, {
      neurons: (p.neurons as string)
        .split(',')
        .filter(Boolean)
        .map((s) => parseNeuron(s, run.model.arch)),
      norm: p.norm as ProjectionNorm,
      position: ctx.position,
    }),
};

export const gatedMlpPanel: WindowPanel = {
  id: 'gated-mlp',
  title: 'Gated MLP',
  group: 'dynamic',
  scope: 'window',
  help:
    'For gated-MLP models (TransformerLens `GatedMLP`): every neuron’s gate act(`mlp.hook_pre`) at the chosen ' +
    'position, its linear branch and `hook_post`; the congruence of its output with each action ' +
    '(W_out · W_U) and the gates grouped by the action each neuron is most congruent with (DTI “GatedMLP”). ' +
    'Uses the active weights variant.',
  params: { figure: { kind: 'choice', default: 'gates', choices: GATED_MLP_FIGURES } },
  needs: () => (name) => /mlp\.hook_(pre|post)$|hook_resid_mid$|ln2\.hook_scale$/.test(name),
  compute: (run, _p, ctx) => gatedMlpView(run, { position: ctx.position }),
};
