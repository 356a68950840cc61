/**
 * `dtlens static`: every weights-only analysis of a model (composition scores, OV/QK circuits, SVDs,
 * full circuits of every vocabulary, ...) written to one safetensors file.
 */
import type { Command } from 'commander';
import { staticResults } from '../../../analysis/static/staticTensors.ts';
import type { RawTensor } from '../../../io/rawTensor.ts';
import { writeSafetensors } from '../../../io/safetensors.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { nodeGemm } from '../../gemm.ts';
import { readModelFile } from '../../modelFile.ts';
import { parseChoice } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface StaticOptions {
  model: string;
  weights: string;
  output: string;
}

export function registerStatic(program: Command): void {
  program
    .command('static')
    .description(
      'Compute every weights-only analysis (composition, circuits, SVD, ...) into one safetensors file',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .requiredOption('--output <file>', 'output safetensors')
    .action((opts: StaticOptions) => {
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const model = createModel(readModelFile(opts.model), { weights, gemm: nodeGemm('auto') });
      const results = staticResults(model);
      const tensors: Record<string, RawTensor> = {};
      for (const [name, t] of Object.entries(results.tensors))
        tensors[name] = { dtype: 'F32', shape: [...t.shape], data: t.data };
      const labels = JSON.stringify(results.labels);
      writeOutputFile(opts.output, writeSafetensors(tensors, { model: opts.model, weights, labels }));
      process.stdout.write(`wrote ${opts.output}: ${Object.keys(tensors).length} tensors\n`);
    });
}
