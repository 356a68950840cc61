/**
 * `dtlens train`: trains a Decision Transformer on a dtlens dataset or a DTI trajectory file, with a
 * progress bar (loss, accuracy, throughput), periodic rollout evaluation at several target RTGs,
 * resumable training-state files, curriculum stages (`--until`, `--init-from`), and the native checkpoint
 * (training record in its metadata) at the end.
 */
import { renameSync } from 'node:fs';
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { saveNativeCheckpoint } from '../../../io/checkpoint.ts';
import {
  ACTIVATION_FNS,
  type ActivationFn,
  DEFAULT_MODEL_CONFIG,
  type LayerNormType,
} from '../../../config/config.ts';
import { evaluateAtRtgs } from '../../../train/rollout.ts';
import { SCHEDULES, type ScheduleName } from '../../../train/schedule.ts';
import { type TrainConfig, Trainer } from '../../../train/trainer.ts';
import { type StageRecord, readTrainingState, writeTrainingState } from '../../../train/trainingState.ts';
import { loadDataset } from '../../dataFile.ts';
import { loadFileWith } from '../../modelFile.ts';
import {
  BACKEND_OPTION,
  backendFromOption,
  parseChoice,
  parseCount,
  parseFraction,
  parseNumber,
  parseNumberList,
} from '../options.ts';
import { runTrainLoop } from '../trainLoop.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface TrainCliOptions {
  data: string;
  env: string;
  output: string;
  dModel: string;
  nHeads: string;
  dMlp: string;
  nLayers: string;
  nCtx: string;
  layerNorm: string;
  gatedMlp?: boolean;
  activation: string;
  batchSize: string;
  steps: string;
  lr: string;
  lrEnd: string;
  weightDecay: string;
  scheduler: string;
  warmUpSteps: string;
  numCycles: string;
  pctTraj: string;
  probGoFromEnd: string;
  probFocusStep: string;
  focusStep: string;
  seed: string;
  evalEvery: string;
  evalEpisodes: string;
  evalRtgs: string;
  evalMaxSteps: string;
  checkpointEvery: string;
  seriesEvery: string;
  until?: string;
  resume?: string;
  initFrom?: string;
  record?: string;
  backend: string;
  quiet?: boolean;
}

const LAYER_NORMS = ['LN', 'LNPre', 'none'] as const;

function configFromOptions(o: TrainCliOptions): TrainConfig {
  const dModel = parseCount(o.dModel, '--d-model');
  const nHeads = parseCount(o.nHeads, '--n-heads');
  check(nHeads > 0 && dModel % nHeads === 0, 'BAD_INPUT', '--d-model must be a multiple of --n-heads');
  const ln = parseChoice(o.layerNorm, LAYER_NORMS, '--layer-norm');
  return {
    model: {
      ...DEFAULT_MODEL_CONFIG,
      dModel,
      nHeads,
      dHead: dModel / nHeads,
      dMlp: parseCount(o.dMlp, '--d-mlp'),
      nLayers: parseCount(o.nLayers, '--n-layers'),
      nCtx: parseCount(o.nCtx, '--n-ctx'),
      layerNorm: (ln === 'none' ? null : ln) as LayerNormType,
      gatedMlp: o.gatedMlp ?? false,
      activationFn: parseChoice<ActivationFn>(o.activation, ACTIVATION_FNS, '--activation'),
      seed: parseCount(o.seed, '--seed'),
    },
    batchSize: parseCount(o.batchSize, '--batch-size'),
    steps: parseCount(o.steps, '--steps'),
    lr: parseNumber(o.lr, '--lr'),
    lrEnd: parseNumber(o.lrEnd, '--lr-end'),
    weightDecay: parseNumber(o.weightDecay, '--weight-decay'),
    scheduler: parseChoice<ScheduleName>(o.scheduler, SCHEDULES, '--scheduler'),
    warmUpSteps: parseCount(o.warmUpSteps, '--warm-up-steps'),
    numCycles: parseCount(o.numCycles, '--num-cycles'),
    pctTraj: parseNumber(o.pctTraj, '--pct-traj'),
    probGoFromEnd: parseFraction(o.probGoFromEnd, '--prob-go-from-end'),
    probFocusStep: parseFraction(o.probFocusStep, '--prob-focus-step'),
    focusStep: parseCount(o.focusStep, '--focus-step'),
    seed: parseCount(o.seed, '--seed'),
  };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a Decision Transformer on demonstrations (dtlens dataset or DTI trajectory file)')
    .requiredOption('--data <file>', 'dtlens dataset (.safetensors) or DTI trajectories (.pkl, .gz, .xz)')
    .requiredOption('--env <id>', 'environment id of the data (also used for evaluation rollouts)')
    .requiredOption('--output <file>', 'model file to write (dtlens native .safetensors)')
    .option('--d-model <n>', 'residual width', '128')
    .option('--n-heads <n>', 'attention heads', '4')
    .option('--d-mlp <n>', 'MLP width', '256')
    .option('--n-layers <n>', 'transformer blocks', '2')
    .option('--n-ctx <n>', 'token positions, 3 * timesteps - 1 (2, 5, 8, ..., 26)', '26')
    .option('--layer-norm <kind>', 'LN | LNPre | none', 'LN')
    .option('--gated-mlp', 'TransformerLens GatedMLP blocks')
    .option('--activation <fn>', ACTIVATION_FNS.filter((a) => a !== 'solu_ln').join(' | '), 'relu')
    .option('--batch-size <n>', 'windows per update', '64')
    .option('--steps <n>', 'optimiser updates', '2000')
    .option('--lr <x>', 'peak learning rate', '0.001')
    .option('--lr-end <x>', 'final learning rate of the cosine schedule', '1e-7')
    .option('--weight-decay <x>', 'AdamW weight decay (matrices only)', '0.1')
    .option('--scheduler <name>', SCHEDULES.join(' | '), 'CosineAnnealingWarmup')
    .option('--warm-up-steps <n>', 'linear warm-up updates', '100')
    .option('--num-cycles <n>', 'cosine restarts', '1')
    .option('--pct-traj <x>', 'keep the best-return episodes covering this share of steps', '1')
    .option('--prob-go-from-end <p>', 'probability that a window ends at the episode end', '0')
    .option('--prob-focus-step <p>', 'probability that a window ends at episode step --focus-step', '0')
    .option('--focus-step <n>', 'decision step to oversample (e.g. 4: the MemoryS7 corridor junction)', '0')
    .option('--seed <n>', 'initialisation and batch sampling seed', '1')
    .option('--eval-every <n>', 'rollout evaluation every n updates (0: only at the end)', '0')
    .option('--eval-episodes <n>', 'episodes per target RTG in evaluations', '20')
    .option('--eval-rtgs <list>', 'target RTGs of the evaluations', '0,0.5,1')
    .option('--eval-max-steps <n>', 'step cap of evaluation episodes', '100')
    .option('--checkpoint-every <n>', 'write <output>.resume.safetensors every n updates (0: never)', '0')
    .option(
      '--until <n>',
      'stop after update n (default --steps), keeping the --steps schedule; writes <output>.resume.safetensors',
    )
    .option(
      '--series-every <n>',
      'checkpoint series: write <output>.step<N>.safetensors every n updates and at the last (0: none)',
      '0',
    )
    .option('--resume <file>', 'continue from a training-state file (its config wins over the flags)')
    .option(
      '--init-from <file>',
      "curriculum stage: start from a training-state file's weights, AdamW moments and update count, " +
        "with this run's data and training flags (the architecture comes from the file)",
    )
    .option('--record <file>', 'also write the training record (config, data, timings, evaluations) as JSON')
    .option(...BACKEND_OPTION)
    .option('--quiet', 'no progress bar')
    .action(async (o: TrainCliOptions) => {
      const { gemm, fusedCore } = backendFromOption(o.backend);
      check(!(o.resume && o.initFrom), 'BAD_INPUT', '--resume and --init-from exclude each other');
      let config = configFromOptions(o);
      let resume;
      let stages: StageRecord[] = [];
      const from = o.resume ?? o.initFrom;
      if (from) {
        const r = loadFileWith(from, o.resume ? 'resume file' : 'init-from file', readTrainingState);
        config = o.resume ? r.config : { ...config, model: r.config.model };
        resume = r.state;
        stages = r.stages;
      }
      const until = o.until === undefined ? config.steps : parseCount(o.until, '--until');
      check(
        until <= config.steps && until > (resume?.step ?? 0),
        'BAD_INPUT',
        `--until must be after the starting update ${resume?.step ?? 0} and at most --steps ${config.steps}, got ${until}`,
      );
      const evalEvery = parseCount(o.evalEvery, '--eval-every');
      const checkpointEvery = parseCount(o.checkpointEvery, '--checkpoint-every');
      const evalOptions = {
        rtgs: parseNumberList(o.evalRtgs, '--eval-rtgs'),
        episodes: parseCount(o.evalEpisodes, '--eval-episodes'),
        maxEpisodeSteps: parseCount(o.evalMaxSteps, '--eval-max-steps'),
      };
      const dataset = await loadDataset(o.data, o.env);
      const trainer = new Trainer(dataset, config, gemm, resume, fusedCore);
      const resumePath = `${o.output}.resume.safetensors`;
      const saveState = (stageRecords: StageRecord[]) => {
        writeOutputFile(`${resumePath}.tmp`, writeTrainingState(trainer.state(), config, stageRecords));
        renameSync(`${resumePath}.tmp`, resumePath);
      };
      const evaluate = () =>
        evaluateAtRtgs(trainer.model, evalOptions.rtgs, {
          env: dataset.env,
          episodes: evalOptions.episodes,
          seed: 1_000_000 + config.seed,
          maxEpisodeSteps: evalOptions.maxEpisodeSteps,
        }).map((r) => ({ rtg: r.targetRtg, meanReturn: r.meanReturn, successRate: r.successRate }));
      const started = performance.now();
      const startStep = trainer.step;
      const stats = runTrainLoop(trainer, {
        until,
        evalEvery,
        checkpointEvery,
        quiet: o.quiet ?? false,
        evaluate,
        saveState: () => saveState(stages),
        seriesEvery: parseCount(o.seriesEvery, '--series-every'),
        saveSeries: (step) =>
          writeOutputFile(
            seriesPath(o.output, step),
            saveNativeCheckpoint(
              trainer.checkpoint({ trainer: 'dtlens train', updates: step, series: true }),
            ),
          ),
      });
      const seconds = (performance.now() - started) / 1000;
      const trainSeconds = stats.updateSeconds;
      const final = evaluate();
      const stage: StageRecord = {
        data: o.data,
        data_source: dataset.source,
        episodes: dataset.episodes.length,
        from_step: startStep,
        to_step: trainer.step,
        lr: config.lr,
        prob_focus_step: config.probFocusStep ?? 0,
        focus_step: config.focusStep ?? 0,
        update_seconds: Number(trainSeconds.toFixed(1)),
      };
      const isStage = o.initFrom !== undefined || stages.length > 0 || until < config.steps;
      const allStages = isStage ? [...stages, stage] : [];
      if (until < config.steps) saveState(allStages);
      const record = {
        trainer: 'dtlens train',
        data: o.data,
        data_source: dataset.source,
        episodes: dataset.episodes.length,
        config,
        updates: trainer.step,
        train_seconds: Number(seconds.toFixed(1)),
        update_seconds: Number(trainSeconds.toFixed(1)),
        timesteps_per_second: Number((stats.timesteps / Math.max(trainSeconds, 1e-9)).toFixed(1)),
        updates_this_run: trainer.step - startStep,
        final_loss: stats.finalLoss,
        backend: gemm.name,
        evaluations: [...stats.evaluations, { step: trainer.step, results: final }],
        ...(allStages.length ? { stages: allStages } : {}),
      };
      writeOutputFile(o.output, saveNativeCheckpoint(trainer.checkpoint(record)));
      if (o.record) writeOutputFile(o.record, `${JSON.stringify(record, null, 2)}\n`);
      process.stdout.write(
        `wrote ${o.output} after ${trainer.step} updates in ${seconds.toFixed(1)} s (${record.timesteps_per_second} timesteps/s); ` +
          `final: ${final.map((r) => `RTG ${r.rtg}: success ${(r.successRate * 100).toFixed(0)}%, return ${r.meanReturn.toFixed(3)}`).join('; ')}\n`,
      );
    });
}

/** File of the checkpoint-series model at update `step`: `<output>.step000500.safetensors`. */
export const seriesPath = (output: string, step: number): string =>
  `${output}.step${String(step).padStart(6, '0')}.safetensors`;
