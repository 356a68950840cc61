/**
 * `dtlens rtg-scan`: DTI's RTG scan of one window (fixed and extended): logits vs RTG and the
 * decomposition of the logit difference at three levels, with the clustergram of the components.
 */
import type { Command } from 'commander';
import { type RtgTokens, rtgScan } from '../../../analysis/scans/rtgScan.ts';
import { SCAN_FIGURES, type ScanFigure, scanFigure } from '../../../analysis/figures/scanFigures.ts';
import { readWindow, writeOutputs } from '../analysisIo.ts';
import { parseChoice, parseCount, parseNumber } from '../options.ts';
import { SCAN_OUTPUT_OPTIONS, type ScanCliOptions, scanSetup, scanJson, scanSummary } from './scanCli.ts';

interface RtgScanCliOptions extends ScanCliOptions {
  input: string;
  prefix: string;
  index: string;
  min: string;
  max: string;
  tokens: string;
  timestepNoise: string;
  seed: string;
}

export function registerRtgScan(program: Command): void {
  const cmd = program
    .command('rtg-scan')
    .description(
      "Scan the return-to-go of one window: logits and the logit difference's decomposition vs RTG",
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption(
      '--input <file>',
      'safetensors with <prefix>states, actions, rtgs, timesteps (golden layout)',
    )
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--index <i>', 'window of the batch to scan', '0')
    .option('--min <rtg>', 'smallest RTG', '0')
    .option('--max <rtg>', 'largest RTG', '1')
    .option('--tokens <which>', 'RTG tokens set: all (DTI) | current', 'all')
    .option('--timestep-noise <k>', "shift each row's timesteps by a random integer in [-k, k]", '0')
    .option('--seed <s>', 'seed of the timestep noise', '0');
  for (const o of SCAN_OUTPUT_OPTIONS) cmd.option(...o);
  cmd
    .addHelpText(
      'after',
      '\nExample:\n  dtlens rtg-scan --model MemoryGatedMLP.pt --input pairA.safetensors --prefix clean. --weights dti-compat --output scan.json --svg scan.svg',
    )
    .action(async (opts: RtgScanCliOptions) => {
      const { weights, model, readout } = scanSetup(opts);
      const window = readWindow(opts.input, opts.prefix, opts.index);
      const result = await rtgScan(model, window, {
        ...readout,
        min: parseNumber(opts.min, '--min'),
        max: parseNumber(opts.max, '--max'),
        tokens: parseChoice<RtgTokens>(opts.tokens, ['all', 'current'], '--tokens'),
        timestepNoise: parseCount(opts.timestepNoise, '--timestep-noise'),
        seed: parseCount(opts.seed, '--seed'),
      });
      const figure = parseChoice<ScanFigure>(opts.figure, SCAN_FIGURES, '--figure');
      const written = writeOutputs(
        opts,
        {
          command: 'rtg-scan',
          model: opts.model,
          weights,
          input: opts.input,
          index: Number(opts.index),
          tokens: result.tokens,
          timestepNoise: result.timestepNoise,
          rtg: result.rtg,
          ...scanJson(result, opts.normalize),
        },
        () => scanFigure(result, figure, { axis: 'RTG', values: result.rtg }, { normalize: opts.normalize }),
      );
      process.stdout.write(`${scanSummary(result, 'RTG', result.rtg)}\nwrote ${written.join(', ')}\n`);
    });
}
