/**
 * `dtlens rank-attention`: every head's attention pattern with W_QK truncated to rank k = 1..d_head for one
 * window, its distance to the full pattern, and the logit difference / prediction with that head at rank k.
 */
import type { Command } from 'commander';
import { rankAttentionFigure } from '../../../analysis/figures/scanFigures.ts';
import { rankAttention } from '../../../analysis/scans/rankAttention.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { nodeGemm } from '../../gemm.ts';
import { readModelFile } from '../../modelFile.ts';
import { directionFromOptions, readWindow, writeOutputs } from '../analysisIo.ts';
import { parseChoice } from '../options.ts';
import { parseSignedIndex } from './scanCli.ts';

interface RankAttentionCliOptions {
  model: string;
  input: string;
  prefix: string;
  index: string;
  weights: string;
  positive: string;
  negative: string;
  position?: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

export function registerRankAttention(program: Command): void {
  program
    .command('rank-attention')
    .description(
      "Rank-k attention: each head's pattern with W_QK at rank k = 1..d_head and its effect on the prediction",
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--input <file>', 'safetensors with <prefix>states, actions, rtgs, timesteps')
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--index <i>', 'window of the batch', '0')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--positive <action>', 'logit direction: positive action', '0')
    .option('--negative <action>', "negative action, or 'none'", '1')
    .option('--position <p>', 'S token whose prediction is read (default: the last)')
    .requiredOption('--output <file>', 'result as JSON')
    .option('--svg <file>', 'figure (distance vs k per head) as SVG')
    .option('--png <file>', 'figure as PNG')
    .option('--csv <file>', "figure's data as CSV")
    .action(async (o: RankAttentionCliOptions) => {
      const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
      const model = createModel(readModelFile(o.model), { weights, gemm: nodeGemm('auto') });
      const r = await rankAttention(model, readWindow(o.input, o.prefix, o.index), {
        direction: directionFromOptions(o),
        position: o.position === undefined ? undefined : parseSignedIndex(o.position, '--position'),
      });
      const written = writeOutputs(o, { command: 'rank-attention', model: o.model, weights, result: r }, () =>
        rankAttentionFigure(r),
      );
      const k1 = r.heads.map((h, i) => `${h} ${r.distance[i][0].toFixed(3)}`).join(', ');
      process.stdout.write(`distance to the full pattern at rank 1: ${k1}\nwrote ${written.join(', ')}\n`);
    });
}
