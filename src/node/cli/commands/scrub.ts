/**
 * `dtlens scrub`: causal scrubbing of a JSON hypothesis over the windows the model sees while playing
 * `--episodes` seeds (`labelledWindowsFromRollouts`) or over a `dtlens dataset` file of windows
 * (`--dataset`, `labelledWindowsFromDataset`), as JSON: share of logit difference and loss recovered,
 * per hypothesis and per named node.
 */
import type { Command } from 'commander';
import { causalScrub, parseHypothesis } from '../../../analysis/causal/scrubbing.ts';
import { treeifiedScrub } from '../../../analysis/causal/treeScrubbing.ts';
import { labelledWindowsFromDataset, labelledWindowsFromRollouts } from '../../../analysis/causal/windows.ts';
import {
  type WindowDataset,
  checkDatasetFits,
  readWindowDataset,
} from '../../../analysis/scans/windowDataset.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { check } from '../../../errors.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { directionFromOptions, writeOutputs } from '../analysisIo.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice, parseCount, parseNumber } from '../options.ts';

interface ScrubCliOptions {
  model: string;
  hypothesis: string;
  weights: string;
  backend: string;
  rtg: string;
  episodes: string;
  seed: string;
  maxSteps: string;
  dataset?: string;
  resampleSeed: string;
  treeified?: boolean;
  positive: string;
  negative: string;
  output: string;
}

/** The window dataset file at `path`, checked against the model and its env. */
function datasetFor(model: DecisionTransformer, envId: string, path: string): WindowDataset {
  const ds = readWindowDataset(readFileChecked(path, 'dataset file'));
  checkDatasetFits(model, ds, envId);
  return ds;
}

export function registerScrub(program: Command): void {
  program
    .command('scrub')
    .description(
      'Causal scrubbing: share of logit difference and loss a JSON hypothesis recovers vs full scrambling',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption(
      '--hypothesis <file>',
      'hypothesis JSON {name, nodes: [{node, dependsOn}], rest?} (docs/causal.md)',
    )
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option(...BACKEND_OPTION)
    .option('--rtg <r>', 'target RTG of the episodes that make the window set', '0.9')
    .option('--episodes <n>', 'episodes played to collect windows', '40')
    .option('--seed <n>', 'episode i resets with seed + i', '0')
    .option('--max-steps <n>', 'step cap per episode', '100')
    .option(
      '--dataset <file>',
      'windows of a dtlens dataset file (its episodes replayed for the features) instead of playing --episodes',
    )
    .option('--resample-seed <n>', 'seed of the resampling draws', '0')
    .option(
      '--treeified',
      'resample each path of the hypothesis tree separately (Chan et al.; ~100 partial forwards per window)',
    )
    .option('--positive <action>', 'logit direction: positive action', '0')
    .option('--negative <action>', "negative action, or 'none'", '1')
    .requiredOption('--output <file>', 'results as JSON')
    .action(async (o: ScrubCliOptions) => {
      const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
      const hypothesis = parseHypothesis(
        new TextDecoder().decode(readFileChecked(o.hypothesis, 'hypothesis file')),
      );
      const ckpt = readModelFile(o.model);
      const model = createModel(ckpt, { weights, ...backendFromOption(o.backend) });
      const episodes = parseCount(o.episodes, '--episodes');
      check(episodes > 0, 'BAD_INPUT', '--episodes must be at least 1');
      const seed = parseCount(o.seed, '--seed');
      const windows = o.dataset
        ? labelledWindowsFromDataset(datasetFor(model, ckpt.env.envId, o.dataset))
        : labelledWindowsFromRollouts(model, {
            env: ckpt.env,
            seeds: Array.from({ length: episodes }, (_, i) => seed + i),
            targetRtg: parseNumber(o.rtg, '--rtg'),
            maxEpisodeSteps: parseCount(o.maxSteps, '--max-steps'),
          });
      const result = await (o.treeified ? treeifiedScrub : causalScrub)(model, windows, hypothesis, {
        seed: parseCount(o.resampleSeed, '--resample-seed'),
        direction: directionFromOptions(o),
      });
      const written = writeOutputs(o, {
        command: 'scrub',
        model: o.model,
        weights,
        method: o.treeified ? 'treeified' : 'single-pass',
        ...result,
      });
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      process.stdout.write(
        `${result.hypothesis} (${result.windows} windows): logit difference recovered ${pct(result.logitDiff.recovered)}, loss recovered ${pct(result.loss.recovered)}\n` +
          result.nodes
            .map(
              (n) =>
                `  ${n.label} (${n.dependsOn}) scrambled: ${pct(n.recoveredWithout.logitDiff)} / ${pct(n.recoveredWithout.loss)}\n`,
            )
            .join('') +
          `wrote ${written.join(', ')}\n`,
      );
    });
}
