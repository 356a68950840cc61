/** Options and output shared by the scan commands (`rtg-scan`, `steer`). */
import { DECOMPOSITION_LEVELS, type DecompositionLevel } from '../../../analysis/dynamic/decomposition.ts';
import type { NdArray } from '../../../analysis/dynamic/run.ts';
import type { ScanReadout, ScanRows } from '../../../analysis/scans/batchedScan.ts';
import type { ClusterMethod, CorrelationResult } from '../../../analysis/scans/correlation.ts';
import { normalizeResponses } from '../../../analysis/scans/normalize.ts';
import { SCAN_FIGURES } from '../../../analysis/figures/scanFigures.ts';
import type { WeightVariant } from '../../../model/processing.ts';
import { WEIGHT_VARIANTS } from '../../../model/processing.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { createModel } from '../../../model/load.ts';
import { readModelFile } from '../../modelFile.ts';
import { directionFromOptions } from '../analysisIo.ts';
import { backendFromOption, parseChoice, parseCount } from '../options.ts';
import { check } from '../../../errors.ts';

export interface ScanCliOptions {
  model: string;
  n: string;
  weights: string;
  positive: string;
  negative: string;
  position?: string;
  applyLn?: boolean;
  levels: string;
  cluster?: string;
  normalize?: boolean;
  attentionQuery?: string;
  valueWeighting: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
  figure: string;
}

/** Commander `.option(...)` arguments of every scan command. */
export const SCAN_OUTPUT_OPTIONS: [string, string, string?][] = [
  ['--n <n>', 'number of scan values (>= 2)', '128'],
  ['--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw'],
  ['--positive <action>', 'logit direction: positive action', '0'],
  ['--negative <action>', "negative action, or 'none'", '1'],
  ['--position <p>', 'token position read (negative counts from the end; default: the last S token)'],
  ['--apply-ln', 'decompose with LN scaling (TL apply_ln=True); default: none, as DTI'],
  [
    '--levels <list>',
    `decomposition levels: comma-separated of ${DECOMPOSITION_LEVELS.join(', ')}`,
    DECOMPOSITION_LEVELS.join(','),
  ],
  [
    '--cluster <method>',
    'clustergram: average (1 - correlation) | dti (single linkage, DTI); default dti for dti-compat weights',
  ],
  ['--normalize', 'min-max normalise each component over the scan (DTI "Normalize") in the JSON and figures'],
  ['--attention-query <p>', 'also record attention from this query position to every key, every head'],
  ['--value-weighting <w>', "value-weighted attention: key | dti-compat (query's norm)", 'key'],
  ['--output <file>', 'result as JSON'],
  ['--svg <file>', 'figure as SVG'],
  ['--png <file>', 'figure as PNG'],
  ['--csv <file>', "figure's data as CSV"],
  ['--figure <kind>', `figure: ${SCAN_FIGURES.join(' | ')}`, 'decomposition'],
];

/** An integer option that may be negative (counted from the end). */
export function parseSignedIndex(value: string, name: string): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  check(Number.isSafeInteger(n), 'BAD_INPUT', `${name} must be an integer, got '${value}'`);
  return n;
}

/** The model (with the `--weights` variant) and the read-out options of a scan command. */
export function scanSetup(opts: ScanCliOptions): {
  weights: WeightVariant;
  model: DecisionTransformer;
  readout: ReturnType<typeof parseScanReadout>;
} {
  const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
  const model = createModel(readModelFile(opts.model), { weights, ...backendFromOption('auto') });
  return { weights, model, readout: parseScanReadout(opts, weights) };
}

/** The read-out options of a scan command. */
export function parseScanReadout(
  opts: ScanCliOptions,
  weights: WeightVariant,
): ScanReadout & { n: number; cluster: ClusterMethod } {
  check(opts.output !== undefined, 'BAD_INPUT', '--output is required');
  const levels = opts.levels
    .split(',')
    .map((l) => parseChoice<DecompositionLevel>(l.trim(), DECOMPOSITION_LEVELS, 'each of --levels'));
  return {
    n: parseCount(opts.n, '--n'),
    direction: directionFromOptions(opts),
    position: opts.position === undefined ? undefined : parseSignedIndex(opts.position, '--position'),
    applyLn: opts.applyLn ?? false,
    levels,
    cluster: parseChoice<ClusterMethod>(
      opts.cluster ?? (weights === 'dti-compat' ? 'dti' : 'average'),
      ['average', 'dti'],
      '--cluster',
    ),
    ...(opts.attentionQuery !== undefined && {
      attention: {
        query: parseSignedIndex(opts.attentionQuery, '--attention-query'),
        weighting: parseChoice(opts.valueWeighting, ['key', 'dti-compat'] as const, '--value-weighting'),
      },
    }),
  };
}

/** [rows, cols] NdArray as nested arrays. */
const nested = (a: NdArray): number[][] => {
  const [r, c] = a.shape;
  return Array.from({ length: r }, (_, i) => Array.from(a.data.subarray(i * c, (i + 1) * c)));
};

/** The JSON fields every scan writes: logits [n][A], decomposition, correlation, attention. */
export function scanJson(
  r: ScanRows & { correlation: CorrelationResult | null },
  normalize = false,
): Record<string, unknown> {
  const decomposition = Object.fromEntries(
    Object.entries(r.decomposition).map(([k, v]) => [
      k,
      normalize ? { ...v, values: normalizeResponses(v.values), normalized: true } : v,
    ]),
  );
  return {
    position: r.position,
    tokenLabel: r.tokenLabel,
    direction: r.direction,
    actionNames: r.actionNames,
    logits: nested(r.logits),
    probabilities: nested(r.probabilities),
    logitDiff: r.logitDiff,
    decomposition,
    correlation: r.correlation,
    ...(r.attention && { attention: r.attention }),
  };
}

/** One line: the logit difference at both ends of the scan and the clustergram's clusters. */
export function scanSummary(
  r: ScanRows & { correlation: CorrelationResult | null },
  axis: string,
  values: number[],
): string {
  const n = values.length;
  const fmt = (i: number) => `${r.logitDiff[i].toFixed(4)} at ${axis} ${values[i].toPrecision(3)}`;
  const clusters = r.correlation
    ? `; clusters: ${r.correlation.clusters.map((c) => `[${c.join(' ')}]`).join(' ')}`
    : '';
  return `${r.direction.label} at ${r.tokenLabel}: logit difference ${fmt(0)} -> ${fmt(n - 1)}${clusters}`;
}
