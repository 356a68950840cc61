/**
 * The weights-only analyses of `dtlens analyze` (no input window): composition, meta-composition,
 * MLP composition, OV/QK circuits, SVD, congruence, embeddings, parameters and neurons. The options are
 * the settings of `computeStatic` / `staticFigure` (shared with the app's Weights panels), registered
 * here together; saved directions are read from and written to .safetensors files.
 */
import type { Command } from 'commander';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import { staticFigure } from '../../../analysis/figures/staticFigures.ts';
import {
  type SavedDirections,
  directionsFromTensors,
  directionsToTensors,
} from '../../../analysis/static/directions.ts';
import { pcaDirections } from '../../../analysis/static/embeddings.ts';
import type { WeightsModel } from '../../../analysis/static/model.ts';
import {
  STATIC_ANALYSES,
  type StaticAnalysis,
  SVD_READ_CHOICES,
  VOCABULARY_CHOICES,
  computeStatic,
  staticSummary,
} from '../../../analysis/static/requests.ts';
import { readSafetensors, writeSafetensors } from '../../../io/safetensors.ts';
import { readFileChecked } from '../../modelFile.ts';
import { parseCount } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

export { STATIC_ANALYSES, type StaticAnalysis };

export interface StaticAnalyzeOptions {
  figure?: string;
  type?: string;
  threshold: string;
  top: string;
  search: string;
  vocab: string;
  keyVocab?: string;
  layer?: string;
  head?: string;
  column?: string;
  column2?: string;
  channels?: string;
  circuit: string;
  side: string;
  k: string;
  reader: string;
  select?: string;
  selectKeys?: string;
  selectQueries?: string;
  pc: string;
  centre?: boolean;
  saveDirections?: string;
  directionsCount: string;
  metric: string;
  neurons?: string;
}

/** Adds the static analyses' options to `dtlens analyze`. */
export function addStaticOptions(cmd: Command): Command {
  return cmd
    .option(
      '--figure <kind>',
      'which figure: static analyses (docs/static-analyses.md); neuron: layers | accumulated | components | heads | neurons | observation; projection: projection | similarity; gated-mlp: gates | congruence | gates-by-action',
    )
    .option('--type <t>', 'composition: Q | K | V (strip figure)')
    .option('--threshold <x>', 'composition graph: minimum score', '0.15')
    .option('--top <n>', 'composition top-N table / PC bars: how many', '10')
    .option(
      '--search <text>',
      'composition top-N: substring of writer or reader; circuit and congruence strips: of any label',
      '',
    )
    .option(
      '--vocab <v>',
      `circuits, svd, congruence, embeddings: ${VOCABULARY_CHOICES.filter((v) => v !== 'directions').join(' | ')} | a saved-directions .safetensors; svd read-out also ${SVD_READ_CHOICES.join(' | ')} (neurons of --layer)`,
      'state',
    )
    .option('--key-vocab <v>', 'qk-circuit: key vocabulary (default: --vocab)')
    .option('--column <label>', 'circuits: output/key column (e.g. left) for gridmap and comparison')
    .option('--column2 <label>', 'circuits: second column for the comparison figure')
    .option('--channels <list>', 'gridmaps: comma-separated channels (default all)')
    .option('--circuit <c>', 'svd: OV | QK', 'OV')
    .option('--side <s>', 'svd read-out: in (read / query) | out (written / key)', 'out')
    .option('--k <n>', 'svd read-out: number of singular directions', '3')
    .option('--reader <r>', 'congruence: predictor | mlp-in (with --layer) | heads', 'predictor')
    .option(
      '--select <indices>',
      'embeddings: comma-separated vocabulary indices (PCA selection, cosine map)',
    )
    .option('--select-keys <indices>', 'qk-circuit: sum over these key indices (DTI "Select via K")')
    .option('--select-queries <indices>', 'qk-circuit: keep only these query indices (DTI "Select via Q")')
    .option('--pc <i>', 'embeddings: principal component (0-based) for pc-bars / pc-gridmap', '0')
    .option('--centre', 'embeddings: subtract the mean embedding first (DTI "Centre Embeddings")')
    .option(
      '--save-directions <file>',
      'embeddings pca: write the components as saved directions (.safetensors)',
    )
    .option('--directions-count <n>', 'embeddings pca: how many components to save', '2')
    .option('--metric <m>', 'parameters: mean | negLogStd | norm', 'negLogStd')
    .option('--neurons <list>', 'neurons: e.g. L0N5:in,L1N3:out; projection: e.g. L1N88,L1N12');
}

/**
 * Runs a static analysis with the command's options as settings. A `--vocab` / `--key-vocab` ending
 * in .safetensors is a saved-directions file; `--save-directions` writes the PCA components as one.
 */
export function analyseStatic(
  analysis: StaticAnalysis,
  m: WeightsModel,
  opts: StaticAnalyzeOptions,
): { result: object; figure: FigureSpec; summary: string } {
  let directions: SavedDirections | undefined;
  const vocab = (v: string | undefined) => {
    if (!v?.endsWith('.safetensors')) return v;
    const file = readSafetensors(readFileChecked(v, 'directions file'));
    directions = directionsFromTensors(file.tensors, file.metadata);
    return 'directions';
  };
  const settings = {
    ...opts,
    vocab: vocab(opts.vocab),
    keyVocab: vocab(opts.keyVocab),
    centre: opts.centre ? 'yes' : 'no',
  };
  const data = computeStatic(analysis, m, settings, directions);
  if (opts.saveDirections && data.analysis === 'embeddings' && data.pca) {
    const name = opts.saveDirections.replace(/^.*\//, '').replace(/\.safetensors$/, '');
    const saved = pcaDirections(data.pca, name, parseCount(opts.directionsCount, '--directions-count'));
    const { tensors, metadata } = directionsToTensors(saved);
    writeOutputFile(opts.saveDirections, writeSafetensors(tensors, metadata));
  }
  return { result: data, figure: staticFigure(data, settings), summary: staticSummary(data) };
}
