/**
 * `dtlens path-patch`: DTI's path-patching views of a clean/corrupted pair (`path.block_every [3,L,P]`,
 * `path.head_every [L,H]`, `path.z_to_last_mlp [L,H]`, `path.z_to_last_layer_q|k|v [L,H]`, all
 * `1 − m` as DTI plots them, plus `path.metric.*` = m) or, with `--senders`/`--receivers`, any sender
 * set -> receiver set (`path.custom`, `path.custom_metric`), as safetensors, for a patching metric
 * (`--metric`, default DTI's logit difference).
 */
import type { Command } from 'commander';
import { weakCorruptionWarning } from '../../../analysis/causal/metrics.ts';
import { parseReceivers, parseSenders } from '../../../analysis/causal/pathNodes.ts';
import { type PathGrid, dtiPathViews, pathPatchGrid } from '../../../analysis/causal/pathViews.ts';
import { pathGridFigure } from '../../../analysis/figures/pathFigures.ts';
import type { RawTensor } from '../../../io/rawTensor.ts';
import { writeSafetensors } from '../../../io/safetensors.ts';
import { renderFigureSvg } from '../../figures.ts';
import {
  type PairCliOptions,
  addMetricOptions,
  addPairOptions,
  metricFromOptions,
  readPairSetup,
} from '../analysisIo.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface PathPatchCliOptions extends PairCliOptions {
  metric: string;
  neuron?: string;
  senders?: string;
  receivers: string;
  skipUnreachable?: boolean;
  output: string;
  svg?: string;
}

const f32 = (values: ArrayLike<number>, shape: number[]): RawTensor => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});

export function registerPathPatch(program: Command): void {
  const command = program
    .command('path-patch')
    .description(
      "Path patching (two passes, DTI's path_patch): DTI's views or any sender set -> receiver set",
    );
  addMetricOptions(addPairOptions(command))
    .option(
      '--senders <list>',
      'sender set (blocks, heads, heads@each, mlps, embeds, time, L1H2, L1H2@25, mlp0, embed:R, ...)',
    )
    .option(
      '--receivers <list>',
      'receiver set (final, L1H2, L1H2.q|k|v|pattern, L1.q, mlp1, mlp1.in)',
      'final',
    )
    .option(
      '--skip-unreachable',
      'fill senders with no path to a receiver with the clean run (as DTI) instead of failing',
    )
    .requiredOption('--output <file>', 'results as safetensors')
    .option('--svg <file>', 'figure of the custom set (or of head_every) as SVG')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens path-patch --model MemoryGatedMLP.pt --input pairA.safetensors --weights dti-compat --output path.safetensors\n' +
        '  dtlens path-patch --model M.pt --input pair.safetensors --senders heads --receivers L1H2.v,mlp1 --output p.safetensors',
    )
    .action(async (opts: PathPatchCliOptions) => {
      const { model, pair } = readPairSetup(opts);
      const metric = metricFromOptions(opts);
      const views = opts.senders === undefined ? (await dtiPathViews(model, pair, { metric })).views : null;
      const tensors: Record<string, RawTensor> = {};
      const metadata: Record<string, string> = {};
      let shown: PathGrid;
      if (views) {
        for (const [name, grid] of Object.entries(views)) {
          tensors[`path.${name}`] = f32(grid.plotted, grid.shape);
          tensors[`path.metric.${name}`] = f32(grid.metric, grid.shape);
        }
        shown = views.head_every;
      } else {
        const P = pair.cleanTokens.shape[1];
        const senders = parseSenders(opts.senders!, model.arch, P);
        const receivers = parseReceivers(opts.receivers, model.arch);
        shown = await pathPatchGrid(model, pair, senders, receivers, {
          unreachable: opts.skipUnreachable ? 'skip' : 'error',
          metric,
        });
        tensors['path.custom'] = f32(shown.plotted, shown.shape);
        tensors['path.custom_metric'] = f32(shown.metric, shown.shape);
        metadata.senders = JSON.stringify(shown.senders);
        metadata.receivers = JSON.stringify(shown.receivers);
      }
      tensors['path.clean_logit_dif'] = f32([shown.clean], [1]);
      tensors['path.corrupted_logit_dif'] = f32([shown.corrupted], [1]);
      metadata.metric = shown.metricLabel;
      writeOutputFile(opts.output, writeSafetensors(tensors, metadata));
      if (opts.svg) writeOutputFile(opts.svg, renderFigureSvg(pathGridFigure(shown)));
      const weak = weakCorruptionWarning(shown.metricLabel, shown.clean, shown.corrupted);
      if (weak) process.stderr.write(`warning: ${weak}\n`);
      process.stdout.write(
        `${shown.metricLabel}: clean ${shown.clean.toFixed(4)}, corrupted ${shown.corrupted.toFixed(4)}; ` +
          `largest 1 − m ${Math.max(...shown.plotted).toFixed(4)} (${shown.senders[shown.plotted.indexOf(Math.max(...shown.plotted))]})\n` +
          `wrote ${[opts.output, opts.svg].filter(Boolean).join(', ')}\n`,
      );
    });
}
