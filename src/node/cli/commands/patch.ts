/**
 * `dtlens patch`: every activation-patching sweep of DTI's app and TransformerLens 1.2.2 on a
 * clean/corrupted pair (`dtlens corrupt` output or a golden pair), in noise and/or denoise mode, written
 * as safetensors under the golden manifest's names (`patch.<mode>.tl.<fn>`, `patch.<mode>.dti.<fn>`) with
 * the raw patched metric beside each (`….patched`) and the clean/corrupted logit differences.
 */
import type { Command } from 'commander';
import { type PatchMode, PATCH_MODES, patchPair } from '../../../analysis/causal/patching.ts';
import { patchingSuite } from '../../../analysis/causal/patchingSuite.ts';
import { patchingFigure } from '../../../analysis/figures/patchingFigures.ts';
import type { RawTensor } from '../../../io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../../../io/safetensors.ts';
import { inputsFromTensors } from '../../../model/inputs.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { renderFigurePng, renderFigureSvg } from '../../figures.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice, parseCount } from '../options.ts';
import { withProgressBar } from '../progress.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface PatchOptions {
  model: string;
  input: string;
  weights: string;
  mode: string;
  positive: string;
  negative: string;
  output: string;
  svg?: string;
  png?: string;
  backend: string;
  chunk: string;
}

const f32 = (data: Float32Array, shape: number[]): RawTensor => ({ dtype: 'F32', shape, data });

/** `out.svg` + `patch.noise.tl.resid_pre` -> `out.patch.noise.tl.resid_pre.svg`. */
const figurePath = (base: string, name: string) => base.replace(/(\.[^./]+)?$/, `.${name}$1`);

export function registerPatch(program: Command): void {
  program
    .command('patch')
    .description(
      'Activation patching (every TransformerLens 1.2.2 and DTI sweep) on a clean/corrupted pair, noise and/or denoise',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption(
      '--input <file>',
      'pair safetensors with clean.* and corrupted.* windows (dtlens corrupt)',
    )
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--mode <mode>', 'noise (run clean, patch corrupted) | denoise | both', 'both')
    .option('--positive <action>', 'logit difference: positive action', '0')
    .option('--negative <action>', 'logit difference: negative action', '1')
    .requiredOption('--output <file>', 'results as safetensors (patch.<mode>.<tl|dti>.<sweep>)')
    .option('--svg <file>', 'figures as SVG, one file per sweep (<file> gets the sweep name inserted)')
    .option('--png <file>', 'figures as PNG, one file per sweep')
    .option('--chunk <rows>', 'patched forwards per batch (bounds memory)', '256')
    .option(...BACKEND_OPTION)
    .addHelpText(
      'after',
      '\nExample:\n  dtlens patch --model MemoryGatedMLP.pt --input pairA.safetensors --weights dti-compat --output patch.safetensors --svg patch.svg',
    )
    .action(async (opts: PatchOptions) => {
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const modeArg = parseChoice(opts.mode, [...PATCH_MODES, 'both'], '--mode');
      const modes: readonly PatchMode[] = modeArg === 'both' ? PATCH_MODES : [modeArg];
      const direction = {
        positive: parseCount(opts.positive, '--positive'),
        negative: parseCount(opts.negative, '--negative'),
      };
      const chunkRows = parseCount(opts.chunk, '--chunk');
      const model = createModel(readModelFile(opts.model), { weights, ...backendFromOption(opts.backend) });
      const tensors = readSafetensors(readFileChecked(opts.input, 'input file')).tensors;
      const pair = patchPair(
        model,
        inputsFromTensors(tensors, 'clean.'),
        inputsFromTensors(tensors, 'corrupted.'),
      );
      if (pair.identical) process.stderr.write('warning: clean and corrupted tokens are identical\n');
      const out: Record<string, RawTensor> = {};
      const figures: Array<[string, ReturnType<typeof patchingFigure>]> = [];
      let summary = '';
      for (const mode of modes) {
        const named = await withProgressBar(`patch ${mode}`, (control) =>
          patchingSuite(model, pair, mode, {
            metric: { kind: 'logit-diff', direction },
            chunkRows,
            ...control,
          }),
        );
        for (const [name, r] of named) {
          const key = `patch.${mode}.${name}`;
          out[key] = f32(r.score, r.shape);
          out[`${key}.patched`] = f32(r.patched, r.shape);
          figures.push([key, patchingFigure(r, key)]);
          summary = `${r.metric}: clean ${r.clean.toFixed(5)}, corrupted ${r.corrupted.toFixed(5)}`;
          out['clean.logit_dif'] = f32(Float32Array.of(r.clean), [1]);
          out['corrupted.logit_dif'] = f32(Float32Array.of(r.corrupted), [1]);
        }
      }
      writeOutputFile(
        opts.output,
        writeSafetensors(out, { model: opts.model, weights, modes: modes.join(',') }),
      );
      const written = [opts.output];
      for (const [key, fig] of figures) {
        if (opts.svg) writeOutputFile(figurePath(opts.svg, key), renderFigureSvg(fig));
        if (opts.png) writeOutputFile(figurePath(opts.png, key), renderFigurePng(fig));
      }
      if (opts.svg) written.push(`${figures.length} SVG figures ${figurePath(opts.svg, '*')}`);
      if (opts.png) written.push(`${figures.length} PNG figures ${figurePath(opts.png, '*')}`);
      process.stdout.write(`${summary}\nwrote ${written.join(', ')}\n`);
    });
}
