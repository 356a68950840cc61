/**
 * `dtlens probe`: linear probes with environment labels on a dataset from `dtlens collect`, per hook
 * point at one token kind, with controls; optionally the same probes on more models (`--compare`) and
 * an intervention along one probe direction on one window (`--steer label=class`), and with
 * `--rollouts N` the same direction steered in closed loop over N seeds with controls.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { type PositionKind, POSITION_KINDS, selectHooks } from '../../../analysis/features/activations.ts';
import {
  PROBE_METHODS,
  type ProbeMethod,
  type ProbeSweepResult,
  probeSweep,
} from '../../../analysis/features/probe.ts';
import { type ProbeSet, buildProbeSet, DEFAULT_LABELS } from '../../../analysis/features/probeSet.ts';
import { probeSteering } from '../../../analysis/features/probeSteering.ts';
import {
  featureRollouts,
  probeSteeringVector,
  steeringExperiment,
} from '../../../analysis/features/featureRollouts.ts';
import {
  type ProbeMetric,
  PROBE_METRICS,
  probeAccuracyFigure,
} from '../../../analysis/figures/featureFigures.ts';
import type { EnvConfig } from '../../../config/config.ts';
import { check } from '../../../errors.ts';
import { createModel } from '../../../model/load.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { readDataset } from '../../../train/dataset.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { writeOutputs } from '../analysisIo.ts';
import { withProgressBar } from '../progress.ts';
import { printVerdicts } from '../verdicts.ts';
import {
  BACKEND_OPTION,
  backendFromOption,
  parseChoice,
  parseCount,
  parseFraction,
  parseNumber,
  parseNumberList,
} from '../options.ts';

interface Run {
  name: string;
  env: EnvConfig;
  result: ProbeSweepResult;
  model: DecisionTransformer;
  set: ProbeSet;
}

interface ProbeCliOptions {
  model: string;
  compare?: string[];
  dataset: string;
  labels: string;
  hooks: string;
  position: string;
  k: string;
  testFraction: string;
  shrinkage: string;
  method: string;
  maxWindows?: string;
  seed: string;
  metrics: string;
  steer?: string;
  steerHook?: string;
  window: string;
  min: string;
  max: string;
  n: string;
  rollouts?: string;
  coefficients: string;
  rtg: string;
  rolloutSeed: string;
  controls: boolean;
  backend: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
  quiet?: boolean;
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description(
      'Linear probes for environment facts per hook point, with controls, model comparison and steering',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option('--compare <files...>', 'more checkpoints probed on the same dataset and labels')
    .requiredOption('--dataset <file>', "episodes from `dtlens collect` in the model's environment")
    .option(
      '--labels <names>',
      `comma-separated: ${DEFAULT_LABELS.join(', ')}, action+k`,
      DEFAULT_LABELS.join(','),
    )
    .option('--hooks <which>', 'residual | all | comma-separated hook names', 'residual')
    .option('--position <kind>', 'token read in each window: S (last state) | R | A', 'S')
    .option('--k <n>', 'features of the sparse probe and random directions of the control', '8')
    .option('--test-fraction <p>', 'share of episodes held out', '0.2')
    .option('--shrinkage <a>', 'covariance shrinkage of the LDA probes, in [0, 1]', '0.01')
    .option(
      '--method <m>',
      'lda (closed form) | logistic (logistic regression from the LDA fit, for the probe and every control)',
      'lda',
    )
    .option('--max-windows <n>', 'keep at most this many windows (seeded random subset)')
    .option('--seed <n>', 'seed of the split, controls and subset', '0')
    .option('--metrics <names>', `figure lines: ${PROBE_METRICS.join(', ')}`, 'accuracy,shuffled')
    .option(
      '--steer <label=class>',
      'intervene along this probe direction (at the best hook, or --steer-hook)',
    )
    .option('--steer-hook <name>', 'hook point of the steered probe')
    .option('--window <i>', 'probe-set window steered', '0')
    .option('--min <c>', 'smallest steering coefficient (units of the mean activation norm)', '-2')
    .option('--max <c>', 'largest steering coefficient', '2')
    .option('--n <n>', 'steering coefficients', '21')
    .option('--rollouts <episodes>', 'with --steer: also steer in closed loop over this many seeds')
    .option('--coefficients <list>', 'closed-loop steering coefficients (mean-norm units)', '1,2,4')
    .option('--rtg <r>', 'closed-loop target RTG', '0.9')
    .option('--rollout-seed <n>', 'env seed of the first closed-loop episode', '0')
    .option('--no-controls', 'closed loop without the random and sign-flipped controls')
    .option(...BACKEND_OPTION)
    .requiredOption('--output <file>', 'JSON result')
    .option('--svg <file>', 'accuracy-by-hook figure as SVG')
    .option('--png <file>', 'figure as PNG')
    .option('--csv <file>', 'figure data as CSV')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nExample:\n  dtlens collect --env MiniGrid-MemoryS7FixedStart-v0 --one-hot --episodes 300 --epsilon 0.2 --wrong-fraction 0.5 --output mem.safetensors\n  dtlens probe --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --dataset mem.safetensors --output probe.json --svg probe.svg',
    )
    .action(async (o: ProbeCliOptions) => {
      check(o.rollouts === undefined || o.steer !== undefined, 'BAD_INPUT', '--rollouts needs --steer');
      const position = parseChoice<PositionKind>(o.position, POSITION_KINDS, '--position');
      const metrics = o.metrics
        .split(',')
        .map((m) => parseChoice<ProbeMetric>(m.trim(), PROBE_METRICS, '--metrics'));
      const options = {
        k: parseCount(o.k, '--k'),
        testFraction: parseFraction(o.testFraction, '--test-fraction'),
        shrinkage: parseFraction(o.shrinkage, '--shrinkage'),
        method: parseChoice<ProbeMethod>(o.method, PROBE_METHODS, '--method'),
        seed: parseCount(o.seed, '--seed'),
      };
      const labels = o.labels.split(',').map((s) => s.trim());
      const dataset = readDataset(readFileChecked(o.dataset, 'dataset'));
      const files = [o.model, ...(o.compare ?? [])];
      const backend = backendFromOption(o.backend);
      const runs: Run[] = [];
      for (const file of files) {
        const ckpt = readModelFile(file);
        const model = createModel(ckpt, backend);
        const set = buildProbeSet(dataset, {
          maxLen: model.maxLen,
          fits: { model, envId: ckpt.env.envId },
          labels,
          maxWindows: o.maxWindows === undefined ? undefined : parseCount(o.maxWindows, '--max-windows'),
          seed: options.seed,
        });
        const bar = o.quiet
          ? null
          : new cliProgress.SingleBar({ format: `probe ${file} |{bar}| {value}/{total}` });
        bar?.start(set.n, 0);
        const result = await probeSweep(model, set, selectHooks(model, o.hooks), position, options, {
          onProgress: (done, total) => {
            bar?.setTotal(total);
            bar?.update(done);
          },
        });
        bar?.stop();
        runs.push({ name: file, env: ckpt.env, result, model, set });
      }
      const steering = o.steer === undefined ? undefined : await steer(o, runs[0], labels, position);
      const rollouts =
        o.rollouts === undefined || !steering
          ? undefined
          : await withProgressBar('rollouts', (control) =>
              featureRollouts(
                runs[0].model,
                steeringExperiment(
                  runs[0].model,
                  probeSteeringVector(runs[0].model, steering.probe, steering.result.target, position),
                  parseNumberList(o.coefficients, '--coefficients'),
                  { controls: o.controls, seed: parseCount(o.rolloutSeed, '--rollout-seed') },
                ),
                {
                  ...control,
                  env: runs[0].env,
                  episodes: parseCount(o.rollouts!, '--rollouts'),
                  seed: parseCount(o.rolloutSeed, '--rollout-seed'),
                  targetRtg: parseNumber(o.rtg, '--rtg'),
                },
              ),
            );
      const written = writeOutputs(
        o,
        {
          command: 'probe',
          dataset: o.dataset,
          position,
          runs: runs.map(({ name, result }) => ({
            model: name,
            hooks: result.hooks,
            labels: result.labels,
            nWindows: result.nWindows,
            scores: result.scores,
          })),
          ...(steering ? { steering: steering.result } : {}),
          ...(rollouts ? { rollouts } : {}),
        },
        () => probeAccuracyFigure(runs, { metrics }),
      );
      for (const { name, result } of runs) {
        process.stdout.write(`${name}: best held-out accuracy per label (chance = train-majority answer)\n`);
        for (const l of result.labels) {
          const best = result.scores
            .filter((s) => s.label === l.name)
            .reduce((a, s) => (s.accuracy > a.accuracy ? s : a));
          process.stdout.write(
            `  ${l.name.padEnd(12)} ${best.accuracy.toFixed(3)} at ${best.hook} (chance ${best.chance.majority.toFixed(3)}, shuffled ${best.shuffled.toFixed(3)})\n`,
          );
        }
      }
      if (steering) {
        const r = steering.result;
        process.stdout.write(
          `steering ${r.label}=${r.target} at ${r.hook}: behaviour ${r.behaviourFollows ? 'follows' : 'does not follow'} on window ${o.window}\n`,
        );
      }
      if (rollouts) printVerdicts(rollouts);
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}

/** `--steer label=class`: the intervention along that probe's direction on one probe-set window. */
async function steer(o: ProbeCliOptions, run: Run, labels: string[], position: PositionKind) {
  const [label, target] = o.steer!.split('=');
  check(
    labels.includes(label) && target !== undefined,
    'BAD_INPUT',
    `--steer must be label=class with a probed label, got '${o.steer}'`,
  );
  const scores = run.result.scores.filter((s) => s.label === label);
  const hook = o.steerHook ?? scores.reduce((a, s) => (s.accuracy > a.accuracy ? s : a)).hook;
  const probe = run.result.directions.find((d) => d.label === label && d.hook === hook);
  check(probe !== undefined, 'BAD_INPUT', `--steer-hook ${hook} was not probed (see --hooks)`);
  const { set } = run;
  const i = parseCount(o.window, '--window');
  check(i < set.n, 'BAD_INPUT', `--window ${i} is outside the ${set.n} windows of the dataset`);
  const result = await probeSteering(run.model, set.inputs(i, i + 1), probe, target, position, {
    min: parseNumber(o.min, '--min'),
    max: parseNumber(o.max, '--max'),
    n: parseCount(o.n, '--n'),
  });
  return { probe: probe!, result };
}
