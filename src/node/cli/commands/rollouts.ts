/**
 * `dtlens rollouts`: closed-loop interventions. The model plays `--episodes` seeds under each condition
 * (an intervention applied at every step) and the command writes success rate, return, length and
 * goal choice per condition with 95% intervals. Conditions come from an intervention file (each row
 * one condition; sources `clean`/`corrupted` from `--pair`) or from a steering vector (`--steer-pair`,
 * `--steer-means`, `--steer-vector`) at each coefficient with the controls (none, random vector of
 * equal norm, sign-flipped).
 */
import type { Command } from 'commander';
import type { SourceCaches } from '../../../analysis/causal/apply.ts';
import { type ClosedLoopCondition, closedLoopRollouts } from '../../../analysis/causal/closedLoop.ts';
import { interventionsFromJson } from '../../../analysis/causal/intervention.ts';
import { patchPair } from '../../../analysis/causal/patching.ts';
import {
  type SteeringVector,
  directionVector,
  meanDifferenceVector,
  pairSteeringVector,
  steeringConditions,
} from '../../../analysis/causal/steeringVectors.ts';
import {
  FEATURE_NAMES,
  type FeatureName,
  labelledWindowsFromRollouts,
} from '../../../analysis/causal/windows.ts';
import { closedLoopFigure } from '../../../analysis/figures/closedLoopFigures.ts';
import { linspace } from '../../../analysis/scans/grid.ts';
import { DtlensError, check } from '../../../errors.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { actName } from '../../../model/hooks.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { readWindow, writeOutputs } from '../analysisIo.ts';
import { withProgressBar } from '../progress.ts';
import {
  BACKEND_OPTION,
  backendFromOption,
  parseChoice,
  parseCount,
  parseCountList,
  parseNumber,
  parseNumberList,
} from '../options.ts';

const HOOKS = ['resid_pre', 'resid_mid', 'resid_post', 'attn_out', 'mlp_out'] as const;

interface RolloutsCliOptions {
  model: string;
  weights: string;
  backend: string;
  rtg: string;
  episodes: string;
  seed: string;
  maxSteps: string;
  intervention?: string;
  pair?: string;
  steerPair?: string;
  steerMeans?: string;
  steerVector?: string;
  layer?: string;
  hook: string;
  positions?: string;
  averagePositions?: boolean;
  datasetSeeds: string;
  coefficients?: string;
  coeffMin?: string;
  coeffMax?: string;
  n: string;
  controls: boolean;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

/** `feature=a,b`: windows whose feature is a vs b. */
function parseMeans(spec: string): { feature: FeatureName; a: string; b: string } {
  const m = /^(\w+)=([^,]+),([^,]+)$/.exec(spec.trim());
  check(m !== null, 'BAD_INPUT', `--steer-means must look like instruction=ball,key, got '${spec}'`);
  const feature = parseChoice<FeatureName>(m![1], FEATURE_NAMES, '--steer-means feature');
  return { feature, a: m![2], b: m![3] };
}

async function steeringVector(
  model: DecisionTransformer,
  o: RolloutsCliOptions,
  env: Parameters<typeof labelledWindowsFromRollouts>[1]['env'],
  rtg: number,
): Promise<SteeringVector> {
  const P = 3 * model.maxLen - 1;
  const hook = () => {
    check(o.layer !== undefined, 'BAD_INPUT', '--layer is required with --steer-pair / --steer-means');
    return actName(parseChoice(o.hook, HOOKS, '--hook'), parseCount(o.layer!, '--layer'));
  };
  const positions = o.positions === undefined ? undefined : parseCountList(o.positions, '--positions');
  let v: SteeringVector;
  if (o.steerPair) {
    v = pairSteeringVector(
      model,
      readWindow(o.steerPair, 'clean.', '0'),
      readWindow(o.steerPair, 'corrupted.', '0'),
      hook(),
    );
  } else if (o.steerMeans) {
    const { feature, a, b } = parseMeans(o.steerMeans);
    const n = parseCount(o.datasetSeeds, '--dataset-seeds');
    const seeds = Array.from({ length: n }, (_, i) => 10_000_000 + i);
    const windows = labelledWindowsFromRollouts(model, { env, seeds, targetRtg: rtg, maxEpisodeSteps: 100 });
    v = await meanDifferenceVector(
      model,
      windows,
      hook(),
      (f) => String(f[feature]) === a,
      (f) => String(f[feature]) === b,
      { averagePositions: o.averagePositions },
    );
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(readFileChecked(o.steerVector!, 'steering vector file')));
    } catch (e) {
      throw new DtlensError('BAD_INPUT', `--steer-vector: not valid JSON (${(e as Error).message})`);
    }
    const obj = (Array.isArray(parsed) ? { vector: parsed } : parsed) as { hook?: string; vector?: unknown };
    check(
      Array.isArray(obj.vector) && obj.vector.every((x) => typeof x === 'number'),
      'BAD_INPUT',
      '--steer-vector must hold a list of numbers or {hook, vector: [...]}',
    );
    v = directionVector(model, obj.hook ?? hook(), obj.vector as number[], P);
  }
  return positions ? { ...v, positions } : v;
}

export function registerRollouts(program: Command): void {
  program
    .command('rollouts')
    .description(
      'Closed-loop interventions: play N seeds under each intervention or steering coefficient, with controls',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option(...BACKEND_OPTION)
    .option('--rtg <r>', 'target RTG', '0.9')
    .option('--episodes <n>', 'episodes (seeds) per condition', '100')
    .option('--seed <n>', 'episode i resets with seed + i', '0')
    .option('--max-steps <n>', 'step cap per episode (counts as no choice)', '100')
    .option('--intervention <file>', 'JSON intervention rows: each row is one condition (see docs/causal.md)')
    .option(
      '--pair <file>',
      "window pair (clean.*, corrupted.*) whose caches the interventions read as 'clean'/'corrupted'",
    )
    .option(
      '--steer-pair <file>',
      'steering vector = corrupted − clean of this window pair at --layer/--hook',
    )
    .option(
      '--steer-means <f=a,b>',
      "steering vector = mean(a) − mean(b) of a feature over the model's own windows, e.g. instruction=ball,key",
    )
    .option('--steer-vector <file>', 'steering vector from JSON: [numbers] or {hook, vector}')
    .option('--layer <l>', 'layer of the steering hook')
    .option('--hook <name>', `steering hook: ${HOOKS.join(' | ')}`, 'resid_pre')
    .option('--positions <list>', 'steered token positions (default all)')
    .option('--average-positions', '--steer-means: average the difference over positions (one direction)')
    .option('--dataset-seeds <n>', '--steer-means: episodes played to collect windows', '40')
    .option('--coefficients <list>', 'steering coefficients, e.g. 0.5,1,2')
    .option('--coeff-min <c>', 'or a range: smallest coefficient')
    .option('--coeff-max <c>', 'largest coefficient')
    .option('--n <n>', 'number of coefficients of the range', '8')
    .option('--no-controls', 'steering without the random and sign-flipped controls')
    .requiredOption('--output <file>', 'results as JSON')
    .option('--svg <file>', 'success rate per condition as SVG')
    .option('--png <file>', 'success rate per condition as PNG')
    .option('--csv <file>', "the figure's data as CSV")
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens rollouts --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --steer-means instruction=ball,key --layer 0 --coefficients 1,2,4 --output steer.json --svg steer.svg\n' +
        '  dtlens rollouts --model M.safetensors --pair pair.safetensors --intervention ablate.json --output ablate.json',
    )
    .action(async (o: RolloutsCliOptions) => {
      const weights = parseChoice<WeightVariant>(o.weights, WEIGHT_VARIANTS, '--weights');
      const ckpt = readModelFile(o.model);
      const model = createModel(ckpt, { weights, ...backendFromOption(o.backend) });
      const targetRtg = parseNumber(o.rtg, '--rtg');
      const episodes = parseCount(o.episodes, '--episodes');
      check(episodes > 0, 'BAD_INPUT', '--episodes must be at least 1');
      const kinds = [o.intervention, o.steerPair, o.steerMeans, o.steerVector].filter((x) => x !== undefined);
      check(
        kinds.length === 1,
        'BAD_INPUT',
        'give exactly one of --intervention, --steer-pair, --steer-means, --steer-vector',
      );
      const P = 3 * model.maxLen - 1;
      let conditions: ClosedLoopCondition[];
      let sources: SourceCaches = {};
      let norm: number | undefined;
      if (o.intervention) {
        const text = new TextDecoder().decode(readFileChecked(o.intervention, 'intervention file'));
        const rows = interventionsFromJson(text, model.arch, P);
        conditions = [{ label: 'none', row: [] }, ...rows.map((row, i) => ({ label: `row ${i}`, row }))];
        if (o.pair) {
          const pair = patchPair(
            model,
            readWindow(o.pair, 'clean.', '0'),
            readWindow(o.pair, 'corrupted.', '0'),
          );
          check(
            pair.tokenLabels.length === P,
            'BAD_SHAPE',
            `--pair windows have ${pair.tokenLabels.length} tokens; rollouts use full windows of ${P}`,
          );
          sources = { clean: pair.clean.cache!, corrupted: pair.corrupted.cache! };
        }
      } else {
        const coefficients =
          o.coefficients !== undefined
            ? parseNumberList(o.coefficients, '--coefficients')
            : linspace(
                parseNumber(o.coeffMin ?? '', '--coeff-min'),
                parseNumber(o.coeffMax ?? '', '--coeff-max'),
                parseCount(o.n, '--n'),
                'coefficient range',
              );
        const vector = await steeringVector(model, o, ckpt.env, targetRtg);
        const exp = steeringConditions(model, vector, coefficients, { controls: o.controls, seed: 1 });
        ({ conditions, sources, norm } = exp);
      }
      const result = await withProgressBar('rollouts', (control) =>
        closedLoopRollouts(model, conditions, {
          ...control,
          env: ckpt.env,
          episodes,
          seed: parseCount(o.seed, '--seed'),
          targetRtg,
          maxEpisodeSteps: parseCount(o.maxSteps, '--max-steps'),
          sources,
        }),
      );
      const written = writeOutputs(
        o,
        {
          command: 'rollouts',
          model: o.model,
          weights,
          ...(norm !== undefined && { vectorNorm: norm }),
          ...result,
        },
        () => closedLoopFigure(result),
      );
      for (const c of result.conditions)
        process.stdout.write(
          `${c.label}: success ${c.successRate.estimate.toFixed(3)} [${c.successRate.low.toFixed(3)}, ${c.successRate.high.toFixed(3)}], ` +
            `other ${c.choices.other.estimate.toFixed(3)}, none ${c.choices.none.estimate.toFixed(3)}, return ${c.meanReturn.estimate.toFixed(3)}\n`,
        );
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
