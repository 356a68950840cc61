/**
 * Weights panels: the static (weights-only) analyses, computed in the worker once per model, weights
 * variant and settings; the expensive parts are kept per model (`computeStatic`'s memo) so that view
 * settings (figure, head, column, search) do not recompute them. The view draws `staticFigure`.
 */
import type { SavedDirections } from '../../analysis/static/directions.ts';
import { pcaDirections } from '../../analysis/static/embeddings.ts';
import {
  SVD_READ_CHOICES,
  type StaticAnalysis,
  VOCABULARY_CHOICES,
  computeStatic,
} from '../../analysis/static/requests.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { ParamSchema } from '../params.ts';
import type { ModelPanel } from './types.ts';

const memos = new WeakMap<DecisionTransformer, Map<string, unknown>>();

function memoFor(model: DecisionTransformer): Map<string, unknown> {
  let memo = memos.get(model);
  if (!memo) memos.set(model, (memo = new Map()));
  return memo;
}

/**
 * Directions kept in the session per loaded model (the Embeddings panel's `keep` setting stores its
 * first PCA components), read back as the 'directions' vocabulary of the OV and QK circuit panels.
 */
const saved = new WeakMap<DecisionTransformer, { directions: SavedDirections; version: number }>();
let savedVersion = 0;

/** Keeps a direction set for a model (replacing the one before); circuit panels reading it recompute. */
export function keepDirections(model: DecisionTransformer, directions: SavedDirections): void {
  saved.set(model, { directions, version: ++savedVersion });
}

/** The directions kept for a model, if any. */
export const savedDirections = (model: DecisionTransformer): SavedDirections | undefined =>
  saved.get(model)?.directions;

/** Vocabularies a panel can read (the circuit panels also read saved directions). */
const VOCABS = VOCABULARY_CHOICES.filter((v) => v !== 'directions');
const HEAD = { kind: 'text', default: 'L0H0', pattern: /^L\d+H\d+$/, label: 'head (L1H2)' } as const;
const CHANNELS = {
  kind: 'text',
  default: '',
  pattern: /^[a-z0-9 ,]*$/,
  label: 'channels (key,ball)',
} as const;
const INDICES = { kind: 'text', default: '', pattern: /^[\d, ]*$/ } as const;
/** Strip figures: keep the points with a label containing this text. */
const SEARCH = {
  kind: 'text',
  default: '',
  pattern: /^[A-Za-z0-9 ,()._-]*$/,
  label: 'search (label, strip)',
} as const;

function weightsPanel(
  analysis: StaticAnalysis,
  title: string,
  help: string,
  params: ParamSchema,
  readsDirections = false,
): ModelPanel {
  return {
    id: analysis,
    title,
    group: 'weights',
    scope: 'model',
    help: `${help} Uses the active weights variant.`,
    params,
    compute: (model, p) => {
      const data = computeStatic(analysis, model, p, savedDirections(model), memoFor(model));
      const keep = Number(p.keep ?? 0);
      if (data.analysis === 'embeddings' && data.pca && keep > 0) {
        const name = `${String(p.vocab)} PCA`;
        const k = Math.min(keep, data.pca.components.shape[0]);
        keepDirections(model, pcaDirections(data.pca, name, k));
      }
      return data;
    },
    ...(readsDirections && { stateKey: (model) => `d${saved.get(model)?.version ?? 0}` }),
  };
}

export const compositionPanel = weightsPanel(
  'composition',
  'Composition scores',
  'TransformerLens `all_composition_scores`: for every writer head (l1) and later reader head (l2), ' +
    '‖W_OV¹·B²‖/(‖W_OV¹‖‖B²‖) with B = W_QK (Q), W_QKᵀ (K) or W_OV (V) (DTI “Composition Scores”), ' +
    'from the thin d_head factors. The baseline is the same score between Gaussian matrices of the same ' +
    'shapes (mean and 95% band over 100 samples). Figures: writer × reader maps, strips with the baseline, ' +
    'and the directed graph above a threshold (Q gold, K cyan, V violet; parallel edges kept). The table lists the top N.',
  {
    figure: { kind: 'choice', default: 'map', choices: ['map', 'strip', 'graph'] },
    type: {
      kind: 'choice',
      default: 'all',
      choices: ['all', 'Q', 'K', 'V'],
      label: 'strip type',
      shownWhen: { figure: ['strip'] },
    },
    threshold: {
      kind: 'number',
      default: 0.15,
      min: 0,
      max: 1,
      label: 'graph threshold',
      shownWhen: { figure: ['graph'] },
    },
    top: { kind: 'int', default: 10, min: 1, max: 500 },
    search: { kind: 'text', default: '', pattern: /^[A-Za-z0-9 ]*$/ },
  },
);

export const metaCompositionPanel = weightsPanel(
  'meta-composition',
  'Meta-composition (total influence)',
  'Every residual writer (state, action, RTG, time and position embeddings; each head’s OV; each MLP’s ' +
    'W_out) against every later reader (head Q/K/V inputs, MLP W_in and W_gate, the action predictor) with ' +
    'the composition score ‖W R‖/(‖W‖‖R‖). Each pair’s baseline is the mean score of Gaussian matrices of ' +
    'the same shapes (32 samples). Total influence of a writer = Σ over later readers of max(0, score − ' +
    'baseline mean). Figures: ranked bars, the writer × reader map of excess scores, or the graph of ' +
    'pairs above the 95% band.',
  { figure: { kind: 'choice', default: 'bars', choices: ['bars', 'map', 'graph'] } },
);

export const mlpCompositionPanel = weightsPanel(
  'mlp-composition',
  'MLP composition',
  'Per neuron, as GEMMs: how strongly each earlier writer (embeddings, head OVs, earlier MLPs) is read ' +
    'by each neuron’s input direction (W_in column; composition score with a rank-1 reader), and how ' +
    'strongly each later reader (head Q/K/V, later W_in, action predictor) reads each neuron’s output (W_out row).',
  {
    layer: { kind: 'int', default: 0, min: 0, max: 63 },
    figure: { kind: 'choice', default: 'into', choices: ['into', 'out'] },
  },
);

const CIRCUIT_FIGURE = {
  kind: 'choice',
  default: 'strip',
  choices: ['strip', 'heatmap', 'gridmap', 'compare'],
} as const;

export const ovCircuitPanel = weightsPanel(
  'ov-circuit',
  'OV circuits',
  'Full OV circuits (DTI `virtual_weights`, no LN, no biases): input vocabulary · W_V W_O · W_Uᵀ per head ' +
    'for state features, actions, RTG, time steps or positions (DTI OV(state/action/rtg/pos)). Figures: ' +
    'strip of every value (coloured by head), one head as a heatmap, 7×7 gridmaps per channel for one ' +
    'action, or two actions against each other (compare). “directions” reads the directions kept ' +
    'from the Embeddings panel (its “keep” setting).',
  {
    vocab: { kind: 'choice', default: 'state', choices: VOCABULARY_CHOICES },
    figure: CIRCUIT_FIGURE,
    search: SEARCH,
    head: HEAD,
    column: { kind: 'text', default: 'left', label: 'action' },
    column2: { kind: 'text', default: 'right', label: 'second action (compare)' },
    channels: { ...CHANNELS, default: 'key,ball' },
  },
  true,
);

export const qkCircuitPanel = weightsPanel(
  'qk-circuit',
  'QK circuits',
  'Full QK circuits: query vocabulary · W_Q W_Kᵀ · key vocabularyᵀ per head (no 1/√d_head, no biases) ' +
    'between any two vocabularies, including action and RTG embeddings on either side (DTI had state↔state ' +
    'and state↔RTG). Select keys (summed, DTI “Select via K”, default 265 = key, (2,6)) or queries. ' +
    '“directions” reads the directions kept from the Embeddings panel.',
  {
    vocab: { kind: 'choice', default: 'state', choices: VOCABULARY_CHOICES, label: 'query vocabulary' },
    keyVocab: { kind: 'choice', default: 'state', choices: VOCABULARY_CHOICES, label: 'key vocabulary' },
    selectKeys: { ...INDICES, default: '265', label: 'keys (indices, summed)' },
    selectQueries: { ...INDICES, label: 'queries (indices)' },
    figure: { ...CIRCUIT_FIGURE, default: 'gridmap' },
    search: SEARCH,
    head: HEAD,
    column: { kind: 'text', default: '', label: 'key column' },
    column2: { kind: 'text', default: '', label: 'second key (compare)' },
    channels: { ...CHANNELS, default: 'key,ball' },
  },
  true,
);

export const svdPanel = weightsPanel(
  'svd',
  'SVD of heads',
  'Singular values of every head’s OV and QK, exact from the d_head factors (TransformerLens ' +
    '`FactoredMatrix`), and the top-k singular directions read in a vocabulary: input side (OV: what the ' +
    'head reads; QK: queries) or output side (OV: what it writes, torch’s Vh rows; QK: keys). DTI’s SVD ' +
    'tabs sliced the wrong axes for U; here U’s columns and V’s columns are used. Besides the embeddings ' +
    'and the predictor, read in every head’s top-k OV output directions (head-outputs) or in one ' +
    'layer’s neurons (W_out rows for the input side, W_in columns for the output side).',
  {
    circuit: { kind: 'choice', default: 'OV', choices: ['OV', 'QK'] },
    figure: { kind: 'choice', default: 'values', choices: ['values', 'readout'] },
    side: { kind: 'choice', default: 'out', choices: ['in', 'out'] },
    vocab: { kind: 'choice', default: 'predictor', choices: [...VOCABS, ...SVD_READ_CHOICES] },
    k: { kind: 'int', default: 3, min: 1, max: 256 },
    layer: { kind: 'int', default: 0, min: 0, max: 63, label: 'neuron layer' },
    head: HEAD,
  },
);

export const congruencePanel = weightsPanel(
  'congruence',
  'Congruence',
  'Dot products between embeddings and what reads them (DTI “Congruence”): the action predictor, an ' +
    'MLP’s W_in (the correct Σ_d W_in[d,n] W_E[d,e], any d_mlp), or every head’s Q/K/V input (‖e·W_X‖), ' +
    'for state, action, RTG, time and position embeddings (DTI had no time or position congruence).',
  {
    vocab: { kind: 'choice', default: 'position', choices: VOCABS },
    reader: { kind: 'choice', default: 'predictor', choices: ['predictor', 'mlp-in', 'heads'] },
    layer: { kind: 'int', default: 0, min: 0, max: 63 },
    figure: { kind: 'choice', default: 'strip', choices: ['strip', 'heatmap'] },
    search: SEARCH,
  },
);

export const embeddingsPanel = weightsPanel(
  'embeddings',
  'Embeddings',
  'Embedding vectors (DTI “Embeddings”): cosine-similarity or dot-product maps (clustered, single ' +
    'linkage), PCA of a selection with sklearn’s svd_flip signs (scatter, scree, per-PC bars, 7×7 ' +
    'gridmaps), and L2 norms; time and position embeddings included. Default selection: DTI’s key/ball ' +
    'at (2,4) and (1,6). “keep” n > 0 keeps the first n principal components in the session as the ' +
    'directions the OV and QK circuit panels read.',
  {
    vocab: { kind: 'choice', default: 'state', choices: VOCABS },
    figure: {
      kind: 'choice',
      default: 'pca',
      choices: ['cosine', 'dot', 'pca', 'scree', 'pc-bars', 'pc-gridmap', 'norms'],
    },
    select: { ...INDICES, default: '263,312,258,307', label: 'selection (indices)' },
    centre: { kind: 'choice', default: 'no', choices: ['no', 'yes'] },
    pc: { kind: 'int', default: 0, min: 0, max: 1000, label: 'PC (0-based)' },
    top: { kind: 'int', default: 10, min: 0, max: 1000 },
    channels: { ...CHANNELS, default: 'key,ball' },
    keep: { kind: 'int', default: 0, min: 0, max: 64, label: 'keep PCs as directions' },
  },
);

export const parametersPanel = weightsPanel(
  'parameters',
  'Parameters',
  'Every parameter (DTI “Parameter Distributions”): mean, −log std (red dashed line at −log 0.02, the ' +
    'initialisation std) and norm (mean L2 norm along dim 1), coloured weights red, biases blue, embeddings purple.',
  { metric: { kind: 'choice', default: 'negLogStd', choices: ['mean', 'negLogStd', 'norm'] } },
);

export const neuronsPanel = weightsPanel(
  'neurons',
  'Neuron directions',
  'Input (W_in column) and output (W_out row) directions of chosen neurons (DTI “Neuron Directions”): ' +
    'cosine similarities in the residual stream, or after projection onto the unit-normalised action ' +
    'predictor rows (action space).',
  {
    neurons: {
      kind: 'text',
      default: 'L0N0:in,L0N0:out',
      pattern: /^(L\d+N\d+(:(in|out))?)(,L\d+N\d+(:(in|out))?)*$/,
    },
    figure: { kind: 'choice', default: 'residual', choices: ['residual', 'action'] },
  },
);

export const WEIGHTS_PANELS: readonly ModelPanel[] = [
  compositionPanel,
  metaCompositionPanel,
  mlpCompositionPanel,
  ovCircuitPanel,
  qkCircuitPanel,
  svdPanel,
  congruencePanel,
  embeddingsPanel,
  parametersPanel,
  neuronsPanel,
];
