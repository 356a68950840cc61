/**
 * `dtlens env-replay`: plays an action sequence in a MiniGrid env from a seed (resetting without a
 * seed after each episode end) and writes every step's state as safetensors, in the layout of the
 * golden env files (`before.*`, `after.*`, `action`, `reward`, `terminated`, `truncated`, `reset_after`).
 */
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { listEnvIds } from '../../../env/registry.ts';
import { recordReplay } from '../../../env/replay.ts';
import { writeSafetensors } from '../../../io/safetensors.ts';
import { parseCount, parseCountList } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface EnvReplayOptions {
  env: string;
  seed: string;
  actions: string;
  maxSteps?: string;
  oneHot?: boolean;
  output: string;
}

export function registerEnvReplay(program: Command): void {
  program
    .command('env-replay')
    .description(
      'Replay actions in a MiniGrid env from a seed and save every step (golden env file layout) as safetensors',
    )
    .requiredOption(
      '--env <id>',
      `environment id (${listEnvIds().length} registered, e.g. MiniGrid-MemoryS7FixedStart-v0)`,
    )
    .requiredOption('--seed <n>', 'seed of the first reset; later episodes continue the random stream')
    .requiredOption(
      '--actions <list>',
      'comma-separated action indices, e.g. 2,2,1 (0 left, 1 right, 2 forward, ...)',
    )
    .option('--max-steps <k>', "episode step limit (default: the env's own)")
    .option('--one-hot', 'one-hot 20-channel observations (OneHotPartialObsWrapper)')
    .requiredOption('--output <file>', 'output .safetensors path')
    .action((opts: EnvReplayOptions) => {
      const seed = parseCount(opts.seed, '--seed');
      const actions = parseCountList(opts.actions, '--actions');
      const maxSteps = opts.maxSteps === undefined ? undefined : parseCount(opts.maxSteps, '--max-steps');
      check(maxSteps === undefined || maxSteps > 0, 'BAD_INPUT', '--max-steps must be positive');
      const tensors = recordReplay({
        envId: opts.env,
        oneHotObs: opts.oneHot ?? false,
        maxSteps,
        seed,
        actions,
      });
      writeOutputFile(opts.output, writeSafetensors(tensors, { env: opts.env, seed: String(seed) }));
      const resets = (tensors.reset_after.data as BigInt64Array).reduce((a, b) => a + b, 0n);
      process.stdout.write(`wrote ${opts.output}: ${actions.length} steps, ${resets} episode end(s)\n`);
    });
}
