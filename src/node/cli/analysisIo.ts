/**
 * Shared plumbing of the analysis commands (`analyze`, `rtg-scan`, `steer`, ...): one window read from
 * an input file, the logit-direction options, and the JSON + figure outputs.
 */
import type { Command } from 'commander';
import { METRIC_KINDS, type MetricSpec } from '../../analysis/causal/metrics.ts';
import { type PatchPair, patchPair } from '../../analysis/causal/patching.ts';
import type { LogitDirectionSpec } from '../../analysis/dynamic/logitDirection.ts';
import { type FigureSpec, figureCsv } from '../../analysis/figures/figure.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { createModel } from '../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../model/processing.ts';
import { check } from '../../errors.ts';
import { nodeGemm } from '../gemm.ts';
import { inputsFromTensors, selectWindow } from '../../model/inputs.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import { renderFigurePng, renderFigureSvg } from '../figures.ts';
import { writeOutputFile } from '../fsErrors.ts';
import { loadFileWith, readModelFile } from '../modelFile.ts';
import { parseChoice, parseCount } from './options.ts';

/** Every window of the input file's `<prefix>*` tensors. */
function readWindows(path: string, prefix: string): DTInputs {
  return loadFileWith(path, 'input file', (bytes) =>
    inputsFromTensors(readSafetensors(bytes).tensors, prefix),
  );
}

/** Window `index` (a `--index` value) of the input file's `<prefix>*` tensors, as a batch of one. */
export function readWindow(path: string, prefix: string, index: string): DTInputs {
  return selectWindow(readWindows(path, prefix), parseCount(index, '--index'), '--index');
}

/** `--positive` / `--negative` (a number or 'none'). */
export function directionFromOptions(opts: { positive: string; negative: string }): LogitDirectionSpec {
  return {
    positive: parseCount(opts.positive, '--positive'),
    negative: opts.negative === 'none' ? null : parseCount(opts.negative, '--negative'),
  };
}

/** Adds `--metric` and `--neuron` (a patching metric of `metrics.ts`; `--positive` is action-prob's action). */
export function addMetricOptions(command: Command): Command {
  return command
    .option(
      '--metric <kind>',
      `${METRIC_KINDS.join(' | ')} (action-prob: of --positive; neuron: --neuron L1N88)`,
      'logit-diff',
    )
    .option('--neuron <LlNn>', 'the neuron of --metric neuron, e.g. L1N88');
}

/** The metric of `--metric` with `--positive` / `--negative` and `--neuron`. */
export function metricFromOptions(o: {
  metric: string;
  neuron?: string;
  positive: string;
  negative: string;
}): MetricSpec {
  const kind = parseChoice(o.metric, METRIC_KINDS, '--metric');
  const direction = directionFromOptions(o);
  if (kind === 'action-prob') return { kind, action: direction.positive };
  if (kind === 'kl') return { kind };
  if (kind === 'neuron') {
    const m = /^L(\d+)N(\d+)$/.exec(o.neuron ?? '');
    check(
      m !== null,
      'BAD_INPUT',
      `--metric neuron needs --neuron L<layer>N<index>, got '${o.neuron ?? ''}'`,
    );
    return { kind, layer: Number(m![1]), neuron: Number(m![2]) };
  }
  return { kind, direction };
}

/** JSON with typed arrays written as plain arrays. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));

export interface OutputFiles {
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

/** Writes the JSON result and the requested figure files; returns the paths written. */
export function writeOutputs(files: OutputFiles, json: unknown, figure?: () => FigureSpec): string[] {
  writeOutputFile(files.output, toJson(json));
  const written = [files.output];
  if (figure && (files.svg || files.png || files.csv)) {
    const spec = figure();
    if (files.svg) writeOutputFile(files.svg, renderFigureSvg(spec));
    if (files.png) writeOutputFile(files.png, renderFigurePng(spec));
    if (files.csv) writeOutputFile(files.csv, figureCsv(spec));
    written.push(...[files.svg, files.png, files.csv].filter((f): f is string => f !== undefined));
  }
  return written;
}

/** The options of a command that reads a model and a clean/corrupted pair of windows. */
export interface PairCliOptions {
  model: string;
  input: string;
  clean: string;
  corrupted: string;
  index: string;
  weights: string;
  positive: string;
  negative: string;
}

/** Adds the model, pair, weights and logit-direction options of `PairCliOptions` to `command`. */
export function addPairOptions(command: Command): Command {
  return command
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--input <file>', 'safetensors holding the pair: <clean prefix>* and <corrupted prefix>*')
    .option('--clean <prefix>', 'prefix of the clean window', 'clean.')
    .option('--corrupted <prefix>', 'prefix of the corrupted window', 'corrupted.')
    .option('--index <i>', 'window of each batch', '0')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--positive <action>', 'logit direction: positive action', '0')
    .option('--negative <action>', "negative action, or 'none'", '1');
}

/** The model (with its weights variant) and the pair's clean and corrupted runs. */
export function readPairSetup(o: PairCliOptions): {
  weights: WeightVariant;
  model: DecisionTransformer;
  pair: PatchPair;
} {
  const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
  const model = createModel(readModelFile(o.model), { weights, gemm: nodeGemm('auto') });
  const pair = patchPair(
    model,
    readWindow(o.input, o.clean, o.index),
    readWindow(o.input, o.corrupted, o.index),
  );
  return { weights, model, pair };
}

/**
 * As `readPairSetup`; with `allWindows` every window of the file instead of `--index`: one pair per
 * index (clean window i with corrupted window i), a dataset of pairs.
 */
export function readPairsSetup(
  o: PairCliOptions,
  allWindows: boolean,
): { weights: WeightVariant; model: DecisionTransformer; pairs: PatchPair[] } {
  if (!allWindows) {
    const { pair, ...rest } = readPairSetup(o);
    return { ...rest, pairs: [pair] };
  }
  const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
  const model = createModel(readModelFile(o.model), { weights, gemm: nodeGemm('auto') });
  const [clean, corrupted] = [o.clean, o.corrupted].map((prefix) => readWindows(o.input, prefix));
  const n = clean.states.shape[0];
  check(
    corrupted.states.shape[0] === n,
    'BAD_SHAPE',
    `the input holds ${n} clean and ${corrupted.states.shape[0]} corrupted windows`,
  );
  const pairs = Array.from({ length: n }, (_, i) =>
    patchPair(model, selectWindow(clean, i), selectWindow(corrupted, i)),
  );
  return { weights, model, pairs };
}
