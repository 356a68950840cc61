/**
 * `dtlens collect`: demonstrations from the scripted experts, written as a dtlens dataset
 * (safetensors; format in docs/training.md).
 */
import type { Command } from 'commander';
import { DEFAULT_ENV_CONFIG } from '../../../config/config.ts';
import {
  COLLECT_POLICIES,
  type CollectPolicy,
  MEMORY_LAYOUTS,
  type MemoryLayout,
  collectDemonstrations,
} from '../../../train/collect.ts';
import { episodeReturn, writeDataset } from '../../../train/dataset.ts';
import { parseChoice, parseCount, parseFraction } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface CollectCliOptions {
  env: string;
  episodes: string;
  policy: string;
  epsilon: string;
  wrongFraction?: string;
  randomFraction: string;
  seed: string;
  maxSteps: string;
  oneHot?: boolean;
  memoryLayout?: string;
  output: string;
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('Collect demonstration episodes from a scripted expert into a dtlens dataset (.safetensors)')
    .requiredOption('--env <id>', 'environment id, e.g. MiniGrid-MemoryS7FixedStart-v0')
    .requiredOption('--episodes <n>', 'number of episodes')
    .requiredOption('--output <file>', 'dataset file to write (.safetensors)')
    .option('--policy <name>', `${COLLECT_POLICIES.join(' | ')}`, 'expert')
    .option('--epsilon <p>', 'probability of a random action at each expert step', '0')
    .option(
      '--wrong-fraction <p>',
      'Memory envs: fraction of expert episodes walking to the wrong object (default 0.5 for mixed, else 0)',
    )
    .option('--random-fraction <p>', 'mixed policy: fraction of fully random episodes', '0')
    .option(
      '--memory-layout <layout>',
      `Memory envs: keep only episodes with this layout (${MEMORY_LAYOUTS.join(' | ')}: object above the corridor end)`,
    )
    .option('--one-hot', 'one-hot observations (20 channels) instead of MiniGrid index codes (3 channels)')
    .option('--max-steps <n>', 'episode step limit of the env (DTI EnvironmentConfig.max_steps)', '1000')
    .option('--seed <n>', 'episode i resets with seed + i; also seeds the policy randomness', '1')
    .action((o: CollectCliOptions) => {
      const policy = parseChoice<CollectPolicy>(o.policy, COLLECT_POLICIES, '--policy');
      const episodes = parseCount(o.episodes, '--episodes');
      const maxSteps = parseCount(o.maxSteps, '--max-steps');
      const wrongDefault = policy === 'mixed' && /Memory/.test(o.env) ? '0.5' : '0';
      const ds = collectDemonstrations({
        env: { ...DEFAULT_ENV_CONFIG, envId: o.env, oneHotObs: o.oneHot ?? false, maxSteps },
        episodes,
        policy,
        epsilon: parseFraction(o.epsilon, '--epsilon'),
        wrongFraction: parseFraction(o.wrongFraction ?? wrongDefault, '--wrong-fraction'),
        randomFraction: parseFraction(o.randomFraction, '--random-fraction'),
        seed: parseCount(o.seed, '--seed'),
        memoryLayout:
          o.memoryLayout === undefined
            ? undefined
            : parseChoice<MemoryLayout>(o.memoryLayout, MEMORY_LAYOUTS, '--memory-layout'),
      });
      writeOutputFile(o.output, writeDataset(ds));
      const returns = ds.episodes.map(episodeReturn);
      const steps = ds.episodes.reduce((n, e) => n + e.actions.length, 0);
      const success = returns.filter((r) => r > 0).length;
      process.stdout.write(
        `wrote ${o.output}: ${episodes} episodes, ${steps} steps, ${success} successful, mean return ${(returns.reduce((a, b) => a + b, 0) / Math.max(1, episodes)).toFixed(3)}\n`,
      );
    });
}
