/**
 * `dtlens across-training`: one analysis on every checkpoint of a series (`dtlens train --series-every`),
 * drawn against the training step: the probe sweep or head types over one `dtlens collect` dataset, or
 * head composition scores (weights only), or the matches of SAE features (one SAE per checkpoint) between
 * consecutive checkpoints.
 */
import type { Command } from 'commander';
import {
  type PositionKind,
  POSITION_KINDS,
  hookWidth,
  selectHooks,
} from '../../../analysis/features/activations.ts';
import {
  type SeriesModel,
  checkpointStep,
  compositionAcrossTraining,
  headTypesAcrossTraining,
  probesAcrossTraining,
  saeMatchesAcrossTraining,
} from '../../../analysis/features/acrossTraining.ts';
import { checkSaeFits, readSae } from '../../../analysis/features/saeIo.ts';
import { buildProbeSet, DEFAULT_LABELS } from '../../../analysis/features/probeSet.ts';
import {
  acrossTrainingFigure,
  compositionAcrossTrainingFigure,
  headTypesAcrossTrainingFigure,
  saeMatchesAcrossTrainingFigure,
} from '../../../analysis/figures/featureFigures.ts';
import { check } from '../../../errors.ts';
import { createModel } from '../../../model/load.ts';
import { readDataset } from '../../../train/dataset.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { writeOutputs } from '../analysisIo.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice, parseCount, parseNumber } from '../options.ts';

const ANALYSES = ['probes', 'composition', 'head-types', 'sae-matches'] as const;

interface AcrossOptions {
  series: string[];
  analysis: string;
  dataset?: string;
  saes?: string[];
  threshold: string;
  labels: string;
  hooks: string;
  position: string;
  maxWindows?: string;
  seed: string;
  backend: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

export function registerAcrossTraining(program: Command): void {
  program
    .command('across-training')
    .description(
      'Probe accuracy, head composition or head types on every checkpoint of a training series, against the step',
    )
    .requiredOption('--series <files...>', 'checkpoints of one run (dtlens train --series-every)')
    .option('--analysis <which>', `${ANALYSES.join(' | ')}`, 'probes')
    .option(
      '--dataset <file>',
      "episodes from `dtlens collect` in the models' environment (probes, head-types)",
    )
    .option(
      '--saes <files...>',
      'sae-matches: one SAE per checkpoint of --series, same order (dtlens sae train)',
    )
    .option('--threshold <c>', 'sae-matches: decoder cosine counted as a match', '0.9')
    .option('--labels <names>', 'comma-separated environment labels', DEFAULT_LABELS.join(','))
    .option('--hooks <which>', 'residual | all | comma-separated hook names', 'residual')
    .option('--position <kind>', 'token read in each window: S | R | A', 'S')
    .option('--max-windows <n>', 'keep at most this many windows (seeded random subset)')
    .option('--seed <n>', 'seed of the split, controls and subset', '0')
    .option(...BACKEND_OPTION)
    .requiredOption('--output <file>', 'JSON result')
    .option('--svg <file>', 'figure against the training step as SVG')
    .option('--png <file>', 'figure as PNG')
    .option('--csv <file>', 'figure data as CSV')
    .action(async (o: AcrossOptions) => {
      const position = parseChoice<PositionKind>(o.position, POSITION_KINDS, '--position');
      const backend = backendFromOption(o.backend);
      const analysis = parseChoice(o.analysis, ANALYSES, '--analysis');
      let envId = '';
      const series: SeriesModel[] = o.series.map((name, i) => {
        const ckpt = readModelFile(name);
        envId ||= ckpt.env.envId;
        return { name, step: checkpointStep(ckpt, i), model: createModel(ckpt, backend) };
      });
      const first = series[0].model;
      if (analysis === 'composition') {
        const r = compositionAcrossTraining(series);
        const written = writeOutputs(o, { command: 'across-training', analysis, ...r }, () =>
          compositionAcrossTrainingFigure(r),
        );
        process.stdout.write(
          `${r.pairs.length} head pairs over steps ${r.steps.join(', ')}\nwrote ${written.join(', ')}\n`,
        );
        return;
      }
      if (analysis === 'sae-matches') {
        check(
          o.saes !== undefined && o.saes.length === series.length,
          'BAD_INPUT',
          `--analysis sae-matches needs one SAE per checkpoint: --saes with ${series.length} files`,
        );
        const files = o.saes!.map((f) => readSae(readFileChecked(f, 'SAE file')));
        const saes = files.map((file, i) => {
          const { model, step } = series[i];
          checkSaeFits(file, model.arch, envId, hookWidth(model, file.site.hook));
          check(
            file.site.hook === files[0].site.hook,
            'BAD_INPUT',
            `${o.saes![i]} reads ${file.site.hook}, ${o.saes![0]} reads ${files[0].site.hook}: matches need one hook point`,
          );
          return { step, sae: file.training.sae };
        });
        const r = saeMatchesAcrossTraining(first.gemm, saes, parseNumber(o.threshold, '--threshold'));
        const written = writeOutputs(o, { command: 'across-training', analysis, saes: o.saes, ...r }, () =>
          saeMatchesAcrossTrainingFigure(r),
        );
        r.meanCosine.forEach((c, i) =>
          process.stdout.write(
            `step ${r.steps[i + 1]}: mean best cosine ${c.toFixed(3)}, matched ${(100 * r.matched[i]).toFixed(1)}%\n`,
          ),
        );
        process.stdout.write(`wrote ${written.join(', ')}\n`);
        return;
      }
      check(o.dataset !== undefined, 'BAD_INPUT', `--analysis ${analysis} needs --dataset`);
      const dataset = readDataset(readFileChecked(o.dataset!, 'dataset'));
      // One architecture (checked by probesAcrossTraining): the first model's fit is every model's.
      const set = buildProbeSet(dataset, {
        maxLen: first.maxLen,
        fits: { model: first, envId },
        labels: o.labels.split(',').map((s) => s.trim()),
        maxWindows: o.maxWindows === undefined ? undefined : parseCount(o.maxWindows, '--max-windows'),
        seed: parseCount(o.seed, '--seed'),
      });
      if (analysis === 'head-types') {
        const r = await headTypesAcrossTraining(series, set.windows);
        const written = writeOutputs(
          o,
          { command: 'across-training', analysis, dataset: o.dataset, ...r },
          () => headTypesAcrossTrainingFigure(r),
        );
        for (const [i, step] of r.steps.entries())
          process.stdout.write(
            `step ${step}: ${r.heads.map((h, k) => `${h} ${r.types[i][k]}`).join(', ')}\n`,
          );
        process.stdout.write(`wrote ${written.join(', ')}\n`);
        return;
      }
      const result = await probesAcrossTraining(series, set, selectHooks(first, o.hooks), position, {
        seed: parseCount(o.seed, '--seed'),
      });
      const written = writeOutputs(
        o,
        {
          command: 'across-training',
          dataset: o.dataset,
          position,
          steps: result.steps,
          checkpoints: result.names,
          scores: result.sweeps.map((s) => s.scores),
        },
        () => acrossTrainingFigure(result),
      );
      for (const [i, step] of result.steps.entries()) {
        const best = set.labels.map((l) => {
          const acc = Math.max(
            ...result.sweeps[i].scores.filter((s) => s.label === l.name).map((s) => s.accuracy),
          );
          return `${l.name} ${acc.toFixed(3)}`;
        });
        process.stdout.write(`step ${step}: ${best.join(', ')}\n`);
      }
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
