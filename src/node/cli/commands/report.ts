/**
 * `dtlens report`: one self-contained HTML file (figures as inline SVG, opens offline) with the model's
 * config, weights variant and dtlens version, every static figure, and the dynamic figures of the
 * windows of `--input` (or of a few default greedy rollouts).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { readSafetensors } from '../../../io/safetensors.ts';
import { inputsFromTensors, selectWindow } from '../../../model/inputs.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { type ReportWindow, defaultWindows } from '../../../report/defaultWindows.ts';
import { buildReport } from '../../../report/html.ts';
import { nodeGemm } from '../../gemm.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { parseChoice, parseCount } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface ReportOptions {
  model: string;
  input?: string;
  prefix: string;
  weights: string;
  maxWindows: string;
  output: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Write a self-contained HTML report: config, every static figure, dynamic figures of windows',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option(
      '--input <file>',
      'windows to analyse (inputs.* safetensors, e.g. from dtlens window); default: greedy rollouts of seeds 0 and 1',
    )
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--max-windows <n>', 'analyse at most this many windows of the input', '8')
    .requiredOption('--output <file>', 'output .html path')
    .addHelpText(
      'after',
      '\nExample:\n  dtlens report --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --input w.safetensors --output report.html',
    )
    .action(async (opts: ReportOptions) => {
      const start = performance.now();
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const maxWindows = parseCount(opts.maxWindows, '--max-windows');
      check(maxWindows > 0, 'BAD_INPUT', '--max-windows must be positive');
      const ckpt = readModelFile(opts.model);
      const gemm = nodeGemm('auto');
      const model = createModel(ckpt, { weights, gemm });
      let windows: ReportWindow[];
      if (opts.input) {
        const all = inputsFromTensors(
          readSafetensors(readFileChecked(opts.input, 'input file')).tensors,
          opts.prefix,
        );
        const B = Math.min(all.states.shape[0], maxWindows);
        windows = Array.from({ length: B }, (_, i) => ({
          label: `${basename(opts.input!)}, window ${i}`,
          inputs: selectWindow(all, i),
        }));
      } else windows = defaultWindows(ckpt, { gemm, weights });
      const html = await buildReport({
        fileName: basename(opts.model),
        ckpt,
        model,
        weights,
        windows,
        generated: new Date(),
      });
      writeOutputFile(opts.output, html);
      const kb = (Buffer.byteLength(html) / 1024).toFixed(0);
      const s = ((performance.now() - start) / 1000).toFixed(1);
      process.stdout.write(`wrote ${opts.output}: ${kb} KiB, ${windows.length} window(s), ${s} s\n`);
    });
}
