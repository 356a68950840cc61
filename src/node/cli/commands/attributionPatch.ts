/**
 * `dtlens attribution-patch`: the first-order estimate of DTI's activation-patching sweeps of a window
 * pair from one backward pass, and (unless `--no-compare`) the real sweeps with the error of the
 * estimate (Pearson correlation, worst cells), as JSON.
 */
import type { Command } from 'commander';
import {
  type PatchDirection,
  attributionPatch,
  compareWithPatching,
  logitDiffGradients,
} from '../../../analysis/causal/attributionPatching.ts';
import { preparePair } from '../../../analysis/causal/pair.ts';
import { PATCH_SWEEPS, type PatchSweep, patchSweep } from '../../../analysis/causal/patchSweeps.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { nodeGemm } from '../../gemm.ts';
import { readModelFile } from '../../modelFile.ts';
import { directionFromOptions, readWindow, writeOutputs } from '../analysisIo.ts';
import { parseChoice } from '../options.ts';

interface AttributionCliOptions {
  model: string;
  input: string;
  clean: string;
  corrupted: string;
  index: string;
  weights: string;
  positive: string;
  negative: string;
  direction: string;
  sweeps: string;
  compare: boolean;
  output: string;
}

export function registerAttributionPatch(program: Command): void {
  program
    .command('attribution-patch')
    .description(
      'Attribution patching: first-order activation-patching sweeps from one backward pass, vs real patching',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--input <file>', 'safetensors holding the pair: <clean prefix>* and <corrupted prefix>*')
    .option('--clean <prefix>', 'prefix of the clean window', 'clean.')
    .option('--corrupted <prefix>', 'prefix of the corrupted window', 'corrupted.')
    .option('--index <i>', 'window of each batch', '0')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--positive <action>', 'logit direction: positive action', '0')
    .option('--negative <action>', "negative action, or 'none'", '1')
    .option('--direction <d>', 'noise (run clean, patch corrupted in) | denoise', 'noise')
    .option('--sweeps <list>', `sweeps: ${PATCH_SWEEPS.join(', ')}`, PATCH_SWEEPS.join(','))
    .option('--no-compare', 'skip the real patching sweeps')
    .requiredOption('--output <file>', 'results as JSON')
    .action(async (o: AttributionCliOptions) => {
      const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
      const direction = parseChoice<PatchDirection>(o.direction, ['noise', 'denoise'], '--direction');
      const sweeps = o.sweeps
        .split(',')
        .map((s) => parseChoice<PatchSweep>(s.trim(), PATCH_SWEEPS, '--sweeps'));
      const model = createModel(readModelFile(o.model), { weights, gemm: nodeGemm('auto') });
      const pair = preparePair(
        model,
        readWindow(o.input, o.clean, o.index),
        readWindow(o.input, o.corrupted, o.index),
        directionFromOptions(o),
      );
      const P = pair.tokens.shape[1];
      const grads = logitDiffGradients(model, pair, direction);
      const results: Record<string, unknown> = {};
      for (const sweep of sweeps) {
        const nodes = patchSweep(model.arch, P, sweep);
        const grid = attributionPatch(model, pair, nodes, grads, direction);
        const cmp = o.compare ? await compareWithPatching(model, pair, grid, nodes, direction) : null;
        results[sweep] = {
          ...(cmp ?? grid),
          attribution: Array.from(grid.attribution),
          ...(cmp && { actual: Array.from(cmp.actual) }),
        };
        const corr = cmp ? `, correlation with real patching ${cmp.correlation.toFixed(4)}` : '';
        process.stdout.write(`${sweep} [${grid.shape.join(', ')}]${corr}\n`);
      }
      const written = writeOutputs(o, {
        command: 'attribution-patch',
        model: o.model,
        weights,
        input: o.input,
        direction,
        logitDirection: pair.direction.label,
        cleanLogitDiff: pair.cleanLogitDiff,
        corruptedLogitDiff: pair.corruptedLogitDiff,
        sweeps: results,
      });
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
