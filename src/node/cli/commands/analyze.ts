/**
 * `dtlens analyze logit-lens|attention|decompose`: runs one dynamic analysis on one input window
 * (golden-file layout, `--index` picks the window of the batch) and writes the result as JSON, and
 * optionally its figure as SVG, PNG or CSV. The weights-only analyses (`analyzeStatic.ts`) need no input.
 */
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { type AnalysisRun, analysisRun } from '../../../analysis/dynamic/run.ts';
import {
  type AttentionValues,
  type ValueWeighting,
  attentionPatterns,
} from '../../../analysis/dynamic/attention.ts';
import { decomposeLogitDiff } from '../../../analysis/dynamic/decomposition.ts';
import { logitLens } from '../../../analysis/dynamic/logitLens.ts';
import { attentionFigure, attentionHeadGridFigure } from '../../../analysis/figures/attentionFigures.ts';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import {
  type AttributionLevel,
  attributionFigure,
  headAttributionFigure,
  logitLensFigure,
} from '../../../analysis/figures/logitLensFigures.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { nodeGemm } from '../../gemm.ts';
import { readModelFile } from '../../modelFile.ts';
import { directionFromOptions, readWindow, writeOutputs } from '../analysisIo.ts';
import { DATASET_ANALYSES, type DatasetAnalysis, analyseDataset } from './analyzeDataset.ts';
import {
  NEURON_ANALYSES,
  type NeuronAnalysis,
  type NeuronCliOptions,
  analyseNeuron,
} from './analyzeNeuron.ts';
import { parseChoice } from '../options.ts';
import {
  STATIC_ANALYSES,
  type StaticAnalysis,
  type StaticAnalyzeOptions,
  addStaticOptions,
  analyseStatic,
} from './analyzeStatic.ts';

const WINDOW_ANALYSES = ['logit-lens', 'attention', 'decompose', ...NEURON_ANALYSES] as const;
type Analysis = (typeof WINDOW_ANALYSES)[number];
const ANALYSES = [...WINDOW_ANALYSES, ...DATASET_ANALYSES];
const LEVELS = ['layers', 'components', 'neurons', 'dti', 'heads'] as const;
type Level = (typeof LEVELS)[number];

interface AnalyzeOptions extends StaticAnalyzeOptions, NeuronCliOptions {
  model: string;
  input?: string;
  dataset?: string;
  prefix: string;
  index: string;
  weights: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
  positive: string;
  negative: string;
  position?: string;
  values: string;
  valueWeighting: string;
  level: string;
}

/** An integer option that may be negative (counted from the end). */
function parseIndex(value: string, name: string): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  check(Number.isSafeInteger(n), 'BAD_INPUT', `${name} must be an integer, got '${value}'`);
  return n;
}

/** The result and its figure. */
function analyse(
  analysis: Analysis,
  run: AnalysisRun,
  opts: AnalyzeOptions,
): { result: object; figure: FigureSpec; summary: string } {
  const position = opts.position === undefined ? undefined : parseIndex(opts.position, '--position');
  if ((NEURON_ANALYSES as readonly string[]).includes(analysis))
    return analyseNeuron(analysis as NeuronAnalysis, run, position, opts);
  if (analysis === 'logit-lens') {
    const result = logitLens(run, { direction: directionFromOptions(opts), position });
    const summary = result.layers.map((l, i) => `${l} ${result.logitDiff[i].toFixed(4)}`).join(', ');
    return { result, figure: logitLensFigure(result), summary: `${result.direction.label}: ${summary}` };
  }
  if (analysis === 'attention') {
    const values = parseChoice<AttentionValues>(opts.values, ['pattern', 'scores'], '--values');
    const valueWeighting = parseChoice<ValueWeighting>(
      opts.valueWeighting,
      ['none', 'key', 'dti-compat'],
      '--value-weighting',
    );
    const result = attentionPatterns(run, { values, valueWeighting, query: position });
    check(
      (opts.layer === undefined) === (opts.head === undefined),
      'BAD_INPUT',
      'give both --layer and --head for a single head, or neither for every head',
    );
    const figure =
      opts.layer === undefined
        ? attentionHeadGridFigure(result)
        : attentionFigure(result, {
            layer: parseIndex(opts.layer, '--layer'),
            head: parseIndex(opts.head!, '--head'),
          });
    const entropies = result.summaries.map((s) => `${s.label} ${s.atQuery.entropy.toFixed(3)}`).join(', ');
    return { result, figure, summary: `entropy at ${result.tokenLabels[result.query]}: ${entropies}` };
  }
  const level = parseChoice<Level>(opts.level, LEVELS, '--level');
  const result = decomposeLogitDiff(run, { direction: directionFromOptions(opts), position, neurons: true });
  const figure =
    level === 'heads' ? headAttributionFigure(result) : attributionFigure(result, level as AttributionLevel);
  const summary =
    `${result.direction.label} at ${result.tokenLabel}: logit difference ${result.logitDiff.toFixed(5)}, ` +
    `components sum ${result.components.check.sum.toFixed(5)} (error ${result.components.check.error.toExponential(2)})` +
    result.notes.map((n) => `\nnote: ${n}`).join('');
  return { result, figure, summary };
}

export function registerAnalyze(program: Command): void {
  const command = program
    .command('analyze')
    .description(
      'Run a dynamic analysis (logit lens, attention, logit-difference decomposition, neuron input, projection, gated-MLP view) on one input window, a dataset analysis (norms, kurtosis, head types) over a window dataset, or a weights-only analysis',
    )
    .argument('<analysis>', [...ANALYSES, ...STATIC_ANALYSES].join(' | '))
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option(
      '--input <file>',
      'safetensors with <prefix>states [B,T,7,7,C], <prefix>actions [B,T-1,1], <prefix>rtgs [B,T,1], <prefix>timesteps [B,T,1]',
    )
    .option('--dataset <file>', 'window dataset (dtlens dataset) for norms, kurtosis, head-types')
    .option(
      '--prefix <p>',
      'tensor name prefix in the input file (e.g. clean. for golden analysis pairs)',
      'inputs.',
    )
    .option('--index <i>', 'window of the batch to analyse', '0')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .requiredOption('--output <file>', 'result as JSON')
    .option('--svg <file>', 'figure as SVG')
    .option('--png <file>', 'figure as PNG')
    .option('--csv <file>', "figure's data as CSV")
    .option('--positive <action>', 'logit direction: positive action (logit-lens, decompose)', '0')
    .option('--negative <action>', "negative action, or 'none' for the positive action's logit alone", '1')
    .option('--position <p>', 'token position (negative counts from the end; default: the last S token)')
    .option('--values <kind>', 'attention: pattern | scores', 'pattern')
    .option(
      '--value-weighting <w>',
      "attention: none | key (key's value norm) | dti-compat (query's, DTI's quirk)",
      'none',
    )
    .option('--layer <l>', 'attention figure: one head (with --head) instead of every head')
    .option('--head <h>', 'attention figure: head index')
    .option('--level <level>', `decompose figure: ${LEVELS.join(' | ')}`, 'components')
    .option('--neuron <L{l}N{n}>', 'neuron: the neuron whose input is decomposed')
    .option('--read <r>', 'neuron figure: pre (plain MLP) | gate | linear (gated MLP; default gate)')
    .option(
      '--norm <n>',
      'projection: divide by the component (vector) or the state (component) norm',
      'vector',
    );
  addStaticOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens analyze logit-lens --model MemoryGatedMLP.pt --input traj.safetensors --index 4 --output lens.json --svg lens.svg\n' +
        '  dtlens analyze decompose --model M.pt --input pairA.safetensors --prefix clean. --weights dti-compat --output dla.json\n' +
        '  dtlens analyze neuron --model M.pt --input pairA.safetensors --prefix clean. --neuron L1N88 --figure components --output n.json --svg n.svg\n' +
        '  dtlens analyze composition --model M.pt --figure graph --threshold 0.2 --output comp.json --svg comp.svg',
    )
    .action(async (analysisArg: string, opts: AnalyzeOptions) => {
      const analysis = parseChoice<Analysis | DatasetAnalysis | StaticAnalysis>(
        analysisArg,
        [...ANALYSES, ...STATIC_ANALYSES],
        'the analysis',
      );
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const model = createModel(readModelFile(opts.model), { weights, gemm: nodeGemm('auto') });
      const isStatic = (STATIC_ANALYSES as readonly string[]).includes(analysis);
      const isDataset = (DATASET_ANALYSES as readonly string[]).includes(analysis);
      const source = isDataset ? opts.dataset : opts.input;
      check(
        isStatic || source !== undefined,
        'BAD_INPUT',
        `${analysis} needs ${isDataset ? '--dataset' : '--input'} <file>`,
      );
      const { result, figure, summary } = isStatic
        ? analyseStatic(analysis as StaticAnalysis, model, opts)
        : isDataset
          ? await analyseDataset(analysis as DatasetAnalysis, model, source!)
          : analyse(
              analysis as Analysis,
              analysisRun(model, readWindow(source!, opts.prefix, opts.index)),
              opts,
            );
      const written = writeOutputs(
        opts,
        isStatic
          ? { analysis, model: opts.model, weights, result }
          : isDataset
            ? { analysis, model: opts.model, weights, dataset: source, result }
            : { analysis, model: opts.model, weights, input: source, index: Number(opts.index), result },
        () => figure,
      );
      process.stdout.write(`${summary}\nwrote ${written.join(', ')}\n`);
    });
}
