/**
 * `dtlens steer`: DTI's Algebraic Value Editing coefficient scan. The steering vector is
 * `corrupted − clean` at `blocks.<layer>.hook_<hook>` of a window pair (`clean.*`, `corrupted.*`),
 * added with each coefficient at all (or chosen) positions of the clean window.
 */
import type { Command } from 'commander';
import { STEERING_HOOKS, coefficientScan, pairSteering } from '../../../analysis/scans/steering.ts';
import { SCAN_FIGURES, type ScanFigure, scanFigure } from '../../../analysis/figures/scanFigures.ts';
import { actName } from '../../../model/hooks.ts';
import { readWindow, writeOutputs } from '../analysisIo.ts';
import { parseChoice, parseCount, parseCountList, parseNumber } from '../options.ts';
import { SCAN_OUTPUT_OPTIONS, type ScanCliOptions, scanSetup, scanJson, scanSummary } from './scanCli.ts';

interface SteerCliOptions extends ScanCliOptions {
  input: string;
  clean: string;
  corrupted: string;
  index: string;
  corruptedIndex?: string;
  layer: string;
  hook: string;
  positions?: string;
  coeffMin: string;
  coeffMax: string;
}

export function registerSteer(program: Command): void {
  const cmd = program
    .command('steer')
    .description('Activation steering (AVEC): scan the coefficient of a clean -> corrupted steering vector')
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption(
      '--input <file>',
      'safetensors holding the pair: <clean prefix>* and <corrupted prefix>* windows',
    )
    .option('--clean <prefix>', 'prefix of the clean window', 'clean.')
    .option('--corrupted <prefix>', 'prefix of the corrupted window', 'corrupted.')
    .option('--index <i>', 'window of the clean batch', '0')
    .option('--corrupted-index <j>', 'window of the corrupted batch (default: --index)')
    .requiredOption('--layer <l>', 'layer of the hook point')
    .option('--hook <name>', `hook point: ${STEERING_HOOKS.join(' | ')}`, 'resid_pre')
    .option('--positions <list>', 'steered token positions (comma-separated; default all)')
    .option('--coeff-min <c>', 'smallest coefficient', '-1')
    .option('--coeff-max <c>', 'largest coefficient', '2');
  for (const o of SCAN_OUTPUT_OPTIONS) cmd.option(...o);
  cmd
    .addHelpText(
      'after',
      '\nExample:\n  dtlens steer --model MemoryGatedMLP.pt --input pairA.safetensors --layer 0 --weights dti-compat --output steer.json',
    )
    .action(async (opts: SteerCliOptions) => {
      const { weights, model, readout } = scanSetup(opts);
      const layer = parseCount(opts.layer, '--layer');
      const hookPoint = parseChoice(opts.hook, STEERING_HOOKS, '--hook');
      const clean = readWindow(opts.input, opts.clean, opts.index);
      const corrupted = readWindow(opts.input, opts.corrupted, opts.corruptedIndex ?? opts.index);
      const hook = actName(hookPoint, layer);
      const positions =
        opts.positions === undefined ? undefined : parseCountList(opts.positions, '--positions');
      const steering = pairSteering(model, clean, corrupted, hook, positions);
      const result = await coefficientScan(model, clean, steering, {
        ...readout,
        min: parseNumber(opts.coeffMin, '--coeff-min'),
        max: parseNumber(opts.coeffMax, '--coeff-max'),
      });
      const figure = parseChoice<ScanFigure>(opts.figure, SCAN_FIGURES, '--figure');
      const written = writeOutputs(
        opts,
        {
          command: 'steer',
          model: opts.model,
          weights,
          input: opts.input,
          hook: result.hook,
          positions: positions ?? 'all',
          vectorNorm: result.vectorNorm,
          coeff: result.coeff,
          ...scanJson(result, opts.normalize),
        },
        () =>
          scanFigure(
            result,
            figure,
            { axis: 'coefficient', values: result.coeff },
            { normalize: opts.normalize },
          ),
      );
      process.stdout.write(
        `${scanSummary(result, 'coefficient', result.coeff)}\nwrote ${written.join(', ')}\n`,
      );
    });
}
