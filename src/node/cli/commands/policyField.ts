/**
 * `dtlens policy-field`: the model's action distribution with the agent placed in every pose of the
 * current grid (`src/analysis/scans/policyField.ts`), for the window of an episode replayed as
 * `dtlens window` replays it (`--seed`, `--actions`, `--rtg`), optionally at a second RTG.
 */
import type { Command } from 'commander';
import {
  type PolicyFieldView,
  agentAction,
  policyFieldFigure,
} from '../../../analysis/figures/policyFieldFigures.ts';
import { policyField } from '../../../analysis/scans/policyField.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { readModelFile } from '../../modelFile.ts';
import { writeOutputs } from '../analysisIo.ts';
import { type EpisodeCliOptions, replayedSession } from '../episodeIo.ts';
import { parseChoice, parseCount, parseNumber } from '../options.ts';
import { withProgressBar } from '../progress.ts';

interface PolicyFieldCliOptions extends EpisodeCliOptions {
  model: string;
  rtg2?: string;
  weights: string;
  action?: string;
  view: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

export function registerPolicyField(program: Command): void {
  program
    .command('policy-field')
    .description(
      "The model's action distribution with the agent in every cell and direction of the current grid (one batched run), optionally at a second RTG",
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors); its env is played')
    .requiredOption('--seed <n>', 'seed of the env reset (as dtlens window)')
    .option('--actions <list>', "comma-separated actions played since the reset ('' = none)", '')
    .option('--rtg <r>', 'initial return-to-go', '0.9')
    .option('--rtg2 <r>', 'a second RTG (every RTG token set to it): its field and the difference')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option(
      '--action <a>',
      "figure: the action whose probability is drawn (default: the model's choice at the agent's pose)",
    )
    .option('--view <v>', 'figure: first | second | difference', 'first')
    .requiredOption('--output <file>', 'result as JSON')
    .option('--svg <file>', 'figure as SVG')
    .option('--png <file>', 'figure as PNG')
    .option('--csv <file>', "figure's data as CSV")
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  dtlens policy-field --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --seed 0 --actions 2,2 --rtg 0.9 --rtg2 0 --view difference --output pf.json --svg pf.svg',
    )
    .action(async (opts: PolicyFieldCliOptions) => {
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const view = parseChoice<PolicyFieldView>(opts.view, ['first', 'second', 'difference'], '--view');
      const secondRtg = opts.rtg2 === undefined ? undefined : parseNumber(opts.rtg2, '--rtg2');
      const ckpt = readModelFile(opts.model);
      const { session, seed, actions } = replayedSession(ckpt, opts, weights);
      const result = await withProgressBar('policy field', (control) =>
        policyField(session.model, session.env, session.window(), { secondRtg }, control),
      );
      const action = opts.action === undefined ? agentAction(result) : parseCount(opts.action, '--action');
      const written = writeOutputs(
        opts,
        {
          command: 'policy-field',
          model: opts.model,
          weights,
          seed,
          actions,
          rtg: session.initialRtg,
          result,
        },
        () => policyFieldFigure(result, { view, action }),
      );
      const A = result.actionNames.length;
      const at = (data: Float32Array) =>
        Array.from(data.subarray(result.agentRow * A, (result.agentRow + 1) * A), (p) => p.toFixed(3)).join(
          ' ',
        );
      process.stdout.write(
        `${result.poses.length} poses; at the agent's pose (${result.agent.x},${result.agent.y}) facing ` +
          `${result.agent.dir}: ${at(result.probabilities.data)}` +
          (result.second ? `; at RTG ${result.second.rtg}: ${at(result.second.probabilities.data)}` : '') +
          `\nwrote ${written.join(', ')}\n`,
      );
    });
}
