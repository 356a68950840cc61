/**
 * `dtlens ablate` (heads, MLPs, neurons: zero, mean or resample, composed in one run; prediction and
 * attribution before/after) and `dtlens attention-diff` (counterfactual attention of a clean/corrupted
 * pair): one window each, results as JSON, figures as SVG/PNG. Both take `--interventions FILE.json` (one
 * row, `interventionsFromJson`) and `--dataset` (a batch of windows, the source cache `dataset`).
 */
import type { Command } from 'commander';
import {
  type AblationSpec,
  ablateRow,
  ablationInterventions,
  parseComponents,
} from '../../../analysis/causal/ablation.ts';
import { type InterventionRow, interventionsFromJson } from '../../../analysis/causal/intervention.ts';
import { counterfactualAttention } from '../../../analysis/causal/counterfactualAttention.ts';
import {
  ablationAttributionFigure,
  ablationPredictionFigure,
  counterfactualAttentionFigure,
} from '../../../analysis/figures/causalFigures.ts';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import { readSafetensors } from '../../../io/safetensors.ts';
import type { ActivationCache } from '../../../model/activationCache.ts';
import type { DTInputs, DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { inputsFromTensors, selectWindow } from '../../../model/inputs.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { check } from '../../../errors.ts';
import { renderFigurePng, renderFigureSvg } from '../../figures.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice, parseCount, parseCountList } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface CommonOptions {
  model: string;
  input: string;
  weights: string;
  output: string;
  svg?: string;
  png?: string;
  backend: string;
}

/** JSON with typed arrays written as plain arrays. */
const toJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));

/** `out.svg` + `prediction` -> `out.prediction.svg` when there are several figures. */
const figurePath = (base: string, name: string) => base.replace(/(\.[^./]+)?$/, `.${name}$1`);

function writeOutputs(o: CommonOptions, result: unknown, figures: Record<string, FigureSpec>): string[] {
  writeOutputFile(o.output, toJson(result));
  const written = [o.output];
  const many = Object.keys(figures).length > 1;
  for (const [name, fig] of Object.entries(figures)) {
    const path = (base: string) => (many ? figurePath(base, name) : base);
    if (o.svg) writeOutputFile(path(o.svg), renderFigureSvg(fig));
    if (o.png) writeOutputFile(path(o.png), renderFigurePng(fig));
    written.push(...[o.svg, o.png].filter((f): f is string => f !== undefined).map(path));
  }
  return written;
}

function loadModel(o: CommonOptions) {
  const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
  return createModel(readModelFile(o.model), { weights, ...backendFromOption(o.backend) });
}

interface InterventionOptions {
  dataset?: string;
  datasetPrefix: string;
  interventions?: string;
}

/** The batched cache of `--dataset` (source `dataset`: dataset means, resampling, `set`). */
function readDataset(o: InterventionOptions, model: DecisionTransformer): ActivationCache | undefined {
  if (!o.dataset) return undefined;
  const tensors = readSafetensors(readFileChecked(o.dataset, 'dataset file')).tensors;
  return model.run(inputsFromTensors(tensors, o.datasetPrefix), { cache: true }).cache;
}

/** The one row of interventions of `--interventions` (validated against the model and the window). */
function readInterventions(
  o: InterventionOptions,
  model: DecisionTransformer,
  inputs: DTInputs,
): InterventionRow | undefined {
  if (!o.interventions) return undefined;
  const text = new TextDecoder().decode(readFileChecked(o.interventions, 'interventions file'));
  const rows = interventionsFromJson(text, model.arch, model.toTokens(inputs).shape[1]);
  check(
    rows.length === 1,
    'BAD_INPUT',
    `one row of interventions is applied; ${o.interventions} has ${rows.length} rows`,
  );
  return rows[0];
}

const interventionOptions = (cmd: Command): Command =>
  cmd
    .option(
      '--interventions <file>',
      'JSON: one intervention or one row of them ({hook, op, where?}, see docs/causal.md)',
    )
    .option(
      '--dataset <file>',
      'safetensors with a batch of windows: dataset mean, resampling, source "dataset"',
    )
    .option('--dataset-prefix <p>', 'tensor name prefix in the dataset file', 'inputs.');

const common = (cmd: Command, input: string): Command =>
  cmd
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--input <file>', input)
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .requiredOption('--output <file>', 'result as JSON')
    .option('--svg <file>', 'figure(s) as SVG')
    .option('--png <file>', 'figure(s) as PNG')
    .option(...BACKEND_OPTION);

export function registerAblate(program: Command): void {
  interventionOptions(
    common(
      program
        .command('ablate')
        .description(
          'Ablate heads, MLPs and neurons together (zero, mean or resample) and/or apply interventions ' +
            'from a JSON file; prediction and attribution before/after',
        ),
      'safetensors with <prefix>states/actions/rtgs/timesteps',
    ),
  )
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--index <i>', 'window of the batch', '0')
    .option('--heads <list>', 'heads, e.g. L0H1,L1H2', '')
    .option('--mlps <layers>', 'whole MLP layers, e.g. 0,1')
    .option('--neurons <list>', 'neurons, e.g. L1N88', '')
    .option('--positions <list>', 'token positions to ablate (default: all)')
    .option(
      '--method <m>',
      "zero | mean (DTI's own-vector mean; the dataset mean with --dataset) | resample (needs --dataset)",
      'zero',
    )
    .option('--seed <n>', 'seed of --method resample', '0')
    .option('--positive <action>', 'logit difference: positive action', '0')
    .option('--negative <action>', 'logit difference: negative action', '1')
    .action(
      (
        o: CommonOptions &
          InterventionOptions & {
            prefix: string;
            index: string;
            heads: string;
            mlps?: string;
            neurons: string;
            positions?: string;
            method: string;
            seed: string;
            positive: string;
            negative: string;
          },
      ) => {
        const method = parseChoice(o.method, ['zero', 'mean', 'resample'] as const, '--method');
        const model = loadModel(o);
        const tensors = readSafetensors(readFileChecked(o.input, 'input file')).tensors;
        const inputs = selectWindow(inputsFromTensors(tensors, o.prefix), parseCount(o.index, '--index'));
        const dataset = readDataset(o, model);
        const spec: AblationSpec = {
          heads: parseComponents(o.heads, 'H'),
          mlps: o.mlps ? parseCountList(o.mlps, '--mlps') : [],
          neurons: parseComponents(o.neurons, 'N'),
          ...(o.positions && { positions: parseCountList(o.positions, '--positions') }),
          method,
          seed: parseCount(o.seed, '--seed'),
        };
        const fromFile = readInterventions(o, model, inputs);
        const components = spec.heads!.length + spec.mlps!.length + spec.neurons!.length;
        const row = [
          ...(fromFile ?? []),
          ...(components > 0 || !fromFile ? ablationInterventions(spec, dataset !== undefined) : []),
        ];
        const r = ablateRow(model, inputs, row, {
          direction: {
            positive: parseCount(o.positive, '--positive'),
            negative: parseCount(o.negative, '--negative'),
          },
          dataset,
        });
        const written = writeOutputs(o, r, {
          prediction: ablationPredictionFigure(r),
          attribution: ablationAttributionFigure(r),
        });
        process.stdout.write(
          `${r.decompositionBefore.direction.label}: ${r.logitDiffBefore.toFixed(5)} -> ${r.logitDiffAfter.toFixed(5)}\n` +
            `wrote ${written.join(', ')}\n`,
        );
      },
    );

  interventionOptions(
    common(
      program
        .command('attention-diff')
        .description(
          'Counterfactual attention: corrupted − clean (or, with --interventions, intervened − clean) ' +
            'attention pattern of every head',
        ),
      'pair safetensors with clean.* and corrupted.* windows (dtlens corrupt); with --interventions ' +
        'only clean.* is read',
    ),
  )
    .option('--layer <l>', 'figure of one head (with --head) instead of every head')
    .option('--head <h>', 'head index')
    .action((o: CommonOptions & InterventionOptions & { layer?: string; head?: string }) => {
      const model = loadModel(o);
      const tensors = readSafetensors(readFileChecked(o.input, 'input file')).tensors;
      const clean = inputsFromTensors(tensors, 'clean.');
      const row = readInterventions(o, model, clean);
      const dataset = readDataset(o, model);
      const r = counterfactualAttention(
        model,
        clean,
        row
          ? { kind: 'interventions', row, sources: dataset ? { dataset } : {} }
          : { kind: 'corrupted', inputs: inputsFromTensors(tensors, 'corrupted.') },
      );
      const sel =
        o.layer === undefined
          ? undefined
          : { layer: parseCount(o.layer, '--layer'), head: parseCount(o.head ?? '0', '--head') };
      const written = writeOutputs(o, r, { attention: counterfactualAttentionFigure(r, sel) });
      let max = 0;
      for (const v of r.diff.data) max = Math.max(max, Math.abs(v));
      process.stdout.write(`largest |change| in attention: ${max.toFixed(5)}\nwrote ${written.join(', ')}\n`);
    });
}
