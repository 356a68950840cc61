/**
 * `dtlens env-render`: plays an action sequence in a MiniGrid env from a seed (resetting without a
 * seed after each episode end, as `env-replay`) and draws the resulting state as SVG: the full grid
 * with the agent's view highlighted, or with `--pov` the agent's observation.
 */
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import type { Env } from '../../../env/core/types.ts';
import { listEnvIds, makeEnv } from '../../../env/registry.ts';
import { renderGridSvg, renderObservationSvg } from '../../../env/render/index.ts';
import { OneHotPartialObsWrapper } from '../../../env/wrappers/oneHot.ts';
import { parseCount, parseCountList } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface EnvRenderOptions {
  env: string;
  seed: string;
  actions?: string;
  maxSteps?: string;
  oneHot?: boolean;
  tileSize: string;
  pov?: boolean;
  output: string;
}

export function registerEnvRender(program: Command): void {
  program
    .command('env-render')
    .description(
      'Draw a MiniGrid env state as SVG after replaying actions from a seed (full grid, or the agent POV)',
    )
    .requiredOption(
      '--env <id>',
      `environment id (${listEnvIds().length} registered, e.g. MiniGrid-MemoryS7FixedStart-v0)`,
    )
    .requiredOption('--seed <n>', 'seed of the first reset; later episodes continue the random stream')
    .option(
      '--actions <list>',
      'comma-separated action indices to play first, e.g. 2,2,1 (0 left, 1 right, 2 forward, ...)',
    )
    .option('--max-steps <k>', "episode step limit (default: the env's own)")
    .option('--one-hot', 'use one-hot 20-channel observations (drawn decoded with --pov)')
    .option('--tile-size <px>', 'pixels per cell', '32')
    .option(
      '--pov',
      "draw the agent's observation (agent at the bottom centre facing up) instead of the full grid",
    )
    .requiredOption('--output <file>', 'output .svg path')
    .action((opts: EnvRenderOptions) => {
      const seed = parseCount(opts.seed, '--seed');
      const actions = opts.actions === undefined ? [] : parseCountList(opts.actions, '--actions');
      const tileSize = parseCount(opts.tileSize, '--tile-size');
      const maxSteps = opts.maxSteps === undefined ? undefined : parseCount(opts.maxSteps, '--max-steps');
      check(maxSteps === undefined || maxSteps > 0, 'BAD_INPUT', '--max-steps must be positive');
      const base = makeEnv(opts.env, { maxSteps });
      const env: Env = opts.oneHot ? new OneHotPartialObsWrapper(base) : base;
      let obs = env.reset(seed);
      let episodeEnds = 0;
      for (const action of actions) {
        const result = env.step(action);
        const ended = result.terminated || result.truncated;
        if (ended) episodeEnds++;
        obs = ended ? env.reset() : result.obs;
      }
      const svg = opts.pov
        ? renderObservationSvg(obs.image, obs.shape, { tileSize })
        : renderGridSvg(env.snapshot(), { tileSize });
      writeOutputFile(opts.output, svg);
      const what = opts.pov ? 'agent view' : 'full grid';
      process.stdout.write(
        `wrote ${opts.output}: ${what} after ${actions.length} step(s), ${episodeEnds} episode end(s)\n`,
      );
    });
}
