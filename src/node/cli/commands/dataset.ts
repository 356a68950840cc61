/**
 * `dtlens dataset`: a dataset of windows for the dataset analyses (`dtlens analyze norms|kurtosis|
 * head-types`), from the model's own rollouts (seeds x target RTGs, greedy or epsilon), from the
 * scripted expert, or from a DTI trajectory file; one safetensors file (format in docs/scans.md).
 */
import type { Command } from 'commander';
import {
  type WindowDataset,
  windowsFromEpisodes,
  windowsFromRollouts,
  writeWindowDataset,
} from '../../../analysis/scans/windowDataset.ts';
import { check } from '../../../errors.ts';
import { DEFAULT_ENV_CONFIG } from '../../../config/config.ts';
import { createModel } from '../../../model/load.ts';
import { collectDemonstrations } from '../../../train/collect.ts';
import { loadDataset } from '../../dataFile.ts';
import { readModelFile } from '../../modelFile.ts';
import { BACKEND_OPTION, backendFromOption, parseCount, parseFraction, parseNumberList } from '../options.ts';
import { withProgressBar } from '../progress.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface DatasetCliOptions {
  model?: string;
  expert?: boolean;
  dti?: string;
  env?: string;
  seeds: string;
  rtg: string;
  epsilon: string;
  maxSteps: string;
  maxLen: string;
  oneHot?: boolean;
  output: string;
  backend: string;
}

/** "0-99" (inclusive) or "7": the first seed and the number of episodes. */
export function parseSeedRange(value: string): { seed: number; episodes: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
  check(m, 'BAD_INPUT', `--seeds must be a seed or a range like 0-99, got '${value}'`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  check(last >= first, 'BAD_INPUT', `--seeds range ${value} is empty or inverted`);
  check(last - first < 100000, 'BAD_INPUT', `--seeds range ${value} has more than 100000 seeds`);
  return { seed: first, episodes: last - first + 1 };
}

export function registerDataset(program: Command): void {
  program
    .command('dataset')
    .description('Build a dataset of windows (model rollouts, scripted expert or DTI trajectory file)')
    .option('--model <file>', 'rollouts of this model (its env unless --env), over --seeds x --rtg')
    .option('--expert', 'episodes of the scripted expert instead (--epsilon random actions)')
    .option('--dti <file>', 'episodes of a DTI trajectory file (.pkl, .gz, .xz) recorded on --env')
    .option('--env <id>', 'environment id')
    .option('--seeds <range>', 'episode seeds, e.g. 0-99', '0-99')
    .option('--rtg <list>', 'rollouts: target RTGs', '0,0.5,0.9')
    .option('--epsilon <p>', 'probability of a random action at each step (rollouts and expert)', '0')
    .option('--max-steps <n>', 'step cap per episode', '100')
    .option('--max-len <T>', 'window length without --model (timesteps; 9 = n_ctx 26)', '9')
    .option('--one-hot', 'expert: one-hot observations (20 channels)')
    .requiredOption('--output <file>', 'dataset file (.safetensors)')
    .option(...BACKEND_OPTION)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens dataset --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --seeds 0-99 --rtg 0,0.5,0.9 --output D.safetensors\n' +
        '  dtlens dataset --expert --env MiniGrid-MemoryS7FixedStart-v0 --one-hot --seeds 0-199 --output E.safetensors',
    )
    .action(async (o: DatasetCliOptions) => {
      const sources = [o.model !== undefined && !o.expert && !o.dti, o.expert, o.dti !== undefined].filter(
        Boolean,
      );
      check(sources.length === 1, 'BAD_INPUT', 'give exactly one of --model (rollouts), --expert or --dti');
      const { seed, episodes } = parseSeedRange(o.seeds);
      const epsilon = parseFraction(o.epsilon, '--epsilon');
      const maxSteps = parseCount(o.maxSteps, '--max-steps');
      const ckpt = o.model === undefined ? null : readModelFile(o.model);
      const maxLen = ckpt
        ? createModel(ckpt, { weights: 'raw', ...backendFromOption(o.backend) }).maxLen
        : parseCount(o.maxLen, '--max-len');
      let ds: WindowDataset;
      if (o.expert || o.dti) {
        check(o.env !== undefined, 'BAD_INPUT', '--env is required with --expert and --dti');
        const episodesData = o.dti
          ? await loadDataset(o.dti, o.env)
          : collectDemonstrations({
              env: { ...DEFAULT_ENV_CONFIG, envId: o.env, oneHotObs: o.oneHot ?? false, maxSteps },
              episodes,
              policy: 'expert',
              epsilon,
              wrongFraction: 0,
              randomFraction: 0,
              seed,
            });
        ds = windowsFromEpisodes(episodesData, maxLen);
      } else {
        const model = createModel(ckpt!, { weights: 'raw', ...backendFromOption(o.backend) });
        const rtgs = parseNumberList(o.rtg, '--rtg');
        ds = await withProgressBar(
          'dataset',
          async (control) =>
            windowsFromRollouts(
              model,
              {
                env: { ...ckpt!.env, envId: o.env ?? ckpt!.env.envId },
                seed,
                episodes,
                rtgs,
                epsilon,
                maxEpisodeSteps: maxSteps,
              },
              control,
            ),
          'episode steps',
        );
      }
      writeOutputFile(o.output, writeWindowDataset(ds));
      const [N, T] = ds.inputs.states.shape;
      const rates = ds.source.success_rate_by_rtg as number[] | undefined;
      process.stdout.write(
        `wrote ${o.output}: ${N} windows of ${T} timesteps from ${new Set(ds.episode).size} episodes (${ds.env.envId})` +
          (rates ? `; success rate by RTG ${rates.map((r) => r.toFixed(2)).join(', ')}` : '') +
          '\n',
      );
    });
}
