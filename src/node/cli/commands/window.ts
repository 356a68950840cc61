/**
 * `dtlens window`: the window the app feeds the model after playing `--actions` from `--seed` at
 * initial RTG `--rtg` (same left padding, same RTG and timestep bookkeeping: it replays the episode in
 * the app's own play session), written as safetensors in the `inputs.*` layout that `forward` and
 * `analyze` read. The model fixes the window length and the observation encoding; without `--model`
 * dtlens's default model for the env (`models/<env>.safetensors`) is used.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { predictionFrom } from '../../../session/playSession.ts';
import { windowFile } from '../../../session/windowFile.ts';
import { IDX_TO_ACTION } from '../../../env/core/actions.ts';
import { readModelFile } from '../../modelFile.ts';
import { type EpisodeCliOptions, replayedSession } from '../episodeIo.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface WindowOptions extends EpisodeCliOptions {
  env: string;
  model?: string;
  output: string;
}

const defaultModel = (envId: string): string =>
  fileURLToPath(new URL(`../../../../models/${envId}.safetensors`, import.meta.url));

export function registerWindow(program: Command): void {
  program
    .command('window')
    .description(
      'Build the window the app feeds the model after playing some actions, as safetensors (inputs.* layout)',
    )
    .requiredOption(
      '--env <id>',
      'environment id, e.g. MiniGrid-MemoryS7FixedStart-v0 (must match the model)',
    )
    .requiredOption('--seed <n>', 'seed of the reset')
    .option(
      '--actions <list>',
      "comma-separated action indices taken since the reset, e.g. 2,2,1 ('' = none)",
      '',
    )
    .option('--rtg <r>', 'initial return-to-go (the app slider)', '0.9')
    .option(
      '--model <file>',
      'checkpoint that fixes window length and observations (default: models/<env>.safetensors)',
    )
    .requiredOption('--output <file>', 'output .safetensors path')
    .addHelpText(
      'after',
      '\nExample (then feed it to forward):\n' +
        '  dtlens window --env MiniGrid-MemoryS7FixedStart-v0 --seed 0 --actions 2,2,2 --rtg 0.9 --output w.safetensors\n' +
        '  dtlens forward --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --input w.safetensors --output out.safetensors',
    )
    .action((opts: WindowOptions) => {
      const modelPath = opts.model ?? defaultModel(opts.env);
      check(
        opts.model !== undefined || existsSync(modelPath),
        'BAD_INPUT',
        `no default model for ${opts.env} in models/: give --model`,
      );
      const ckpt = readModelFile(modelPath);
      check(
        ckpt.env.envId === opts.env,
        'BAD_INPUT',
        `--env ${opts.env} does not match the model's env ${ckpt.env.envId}`,
      );
      const { session, seed, actions } = replayedSession(ckpt, opts, 'raw');
      const played = actions.length;
      writeOutputFile(
        opts.output,
        windowFile(session, { model: basename(modelPath), envId: opts.env, weights: 'raw', seed }),
      );
      const p = predictionFrom(session.model.run(session.window()).actionPreds!);
      const T = session.history.maxLen;
      process.stdout.write(
        `wrote ${opts.output}: window of ${T} timestep(s) after ${played} action(s); ` +
          `the model (raw weights) predicts ${IDX_TO_ACTION[p.greedyAction] ?? p.greedyAction} ` +
          `(p = ${p.probs[p.greedyAction].toFixed(4)})\n`,
      );
    });
}
