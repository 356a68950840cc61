/**
 * The training loop (DTI `train.py`, offline DT training): windows from `WindowSampler`, cross-entropy
 * of the action logits on non-padded steps, `backward`, AdamW with DTI's decay groups and the chosen
 * schedule. Step k draws its batch from a generator seeded by (seed, k), so a run is reproducible and a
 * resumed run continues exactly as an uninterrupted one would.
 */
import { check } from '../errors.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { RawTensor } from '../io/rawTensor.ts';
import type { ModelConfig } from '../config/config.ts';
import { DecisionTransformer, invalidateDerivedWeights } from '../model/decisionTransformer.ts';
import type { FusedCore } from '../model/transformer.ts';
import { createModel } from '../model/load.ts';
import { npRandom } from '../env/rng/index.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { Tensor } from '../tensor/tensor.ts';
import { backward } from './backward.ts';
import type { Dataset } from './dataset.ts';
import { crossEntropy } from './grad/crossEntropy.ts';
import { initialCheckpoint } from './init.ts';
import { AdamW } from './optimizer.ts';
import { type Parameter, trainableParameters } from './parameters.ts';
import { WindowSampler } from './sampler.ts';
import { type ScheduleName, learningRate } from './schedule.ts';

export interface TrainConfig {
  model: ModelConfig;
  batchSize: number;
  /** Number of optimiser updates. */
  steps: number;
  lr: number;
  lrEnd: number;
  weightDecay: number;
  scheduler: ScheduleName;
  warmUpSteps: number;
  numCycles: number;
  pctTraj: number;
  probGoFromEnd: number;
  /** Decision-step oversampling: with probability `probFocusStep` a window ends at step `focusStep`. */
  probFocusStep?: number;
  focusStep?: number;
  seed: number;
}

export interface StepStats {
  step: number;
  loss: number;
  accuracy: number;
  lr: number;
  /** Non-padded timesteps in the batch. */
  timesteps: number;
}

export interface TrainingState {
  /** Updates done so far. */
  step: number;
  /** The model's weights as a checkpoint (state-dict names). */
  checkpoint: Checkpoint;
  /** AdamW moments by parameter name. */
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class Trainer {
  readonly model: DecisionTransformer;
  /** The same weights on the TS core only: training forwards (their cache feeds the backward). */
  private readonly trainingModel: DecisionTransformer;
  readonly sampler: WindowSampler;
  private readonly params: Parameter[];
  private readonly optimizer: AdamW;
  private readonly base: Checkpoint;

  /**
   * `fusedCore` (optional) serves the model's hook-free runs, i.e. evaluation rollouts; training
   * forwards keep a cache for the backward and always run the TS core.
   */
  constructor(
    readonly dataset: Dataset,
    readonly config: TrainConfig,
    gemm: Gemm,
    resume?: TrainingState,
    fusedCore?: FusedCore,
  ) {
    check(config.batchSize > 0 && config.steps >= 0, 'BAD_INPUT', 'batch size and steps must be positive');
    check(config.lr > 0 && config.weightDecay >= 0, 'BAD_INPUT', 'lr must be > 0 and weight decay >= 0');
    check(
      (config.model.nCtx - 2) % 3 === 0,
      'BAD_INPUT',
      `n_ctx must be 2, 5, 8, ... (3T - 1), got ${config.model.nCtx}`,
    );
    this.base =
      resume?.checkpoint ??
      initialCheckpoint(config.model, dataset.env, dataset.nActions, dataset.obsShape, config.seed);
    this.model = createModel(this.base, { weights: 'raw', gemm, fusedCore });
    this.trainingModel = new DecisionTransformer(this.model.arch, this.model.weights, gemm);
    this.sampler = new WindowSampler(dataset, {
      maxLen: this.model.maxLen,
      pctTraj: config.pctTraj,
      probGoFromEnd: config.probGoFromEnd,
      probFocusStep: config.probFocusStep,
      focusStep: config.focusStep,
    });
    const maxT = dataset.episodes.reduce((m, e) => Math.max(m, e.actions.length - 1), 0);
    check(
      maxT <= this.model.maxTimestep,
      'BAD_DATASET',
      `episodes reach timestep ${maxT}, beyond the time embedding (max_steps ${dataset.env.maxSteps})`,
    );
    this.params = trainableParameters(this.model.weights);
    this.optimizer = new AdamW(this.params, { weightDecay: config.weightDecay });
    if (resume) {
      const ck = resume.checkpoint;
      check(
        ck.env.envId === dataset.env.envId &&
          ck.nActions === dataset.nActions &&
          ck.obsShape.join() === dataset.obsShape.join(),
        'BAD_INPUT',
        `the training state (${ck.env.envId}, ${ck.nActions} actions, observations ${ck.obsShape.join('x')}) ` +
          `does not fit the data (${dataset.env.envId}, ${dataset.nActions} actions, observations ${dataset.obsShape.join('x')})`,
      );
      this.optimizer.step = resume.step;
      for (const [moments, saved] of [
        [this.optimizer.m, resume.m],
        [this.optimizer.v, resume.v],
      ] as const)
        for (const p of this.params) {
          const s = saved.get(p.name);
          check(
            s?.length === p.data.length,
            'BAD_INPUT',
            `the resume file's optimizer state for ${p.name} is missing or mis-sized`,
          );
          moments.get(p.name)!.set(s);
        }
    }
  }

  /** Updates done so far. */
  get step(): number {
    return this.optimizer.step;
  }

  /** One optimiser update on a fresh batch. */
  trainStep(): StepStats {
    const { config, model } = this;
    const step = this.step;
    const rng = npRandom(BigInt(config.seed) * 1_000_003n + BigInt(step));
    const { inputs, targets } = this.sampler.sample(config.batchSize, rng);
    const run = this.trainingModel.run(inputs, { cache: true });
    const preds = run.actionPreds!;
    const ce = crossEntropy(preds.data, targets, model.arch.nActions, model.arch.nActions);
    const { weightGrads } = backward(
      model,
      run.cache!,
      { actionPreds: new Tensor(ce.dLogits, preds.shape) },
      { inputs },
    );
    const lr = learningRate(
      {
        name: config.scheduler,
        lr: config.lr,
        lrEnd: config.lrEnd,
        warmUpSteps: config.warmUpSteps,
        totalSteps: config.steps,
        numCycles: config.numCycles,
      },
      step,
    );
    this.optimizer.update(weightGrads, lr);
    invalidateDerivedWeights(model.weights);
    return {
      step: step + 1,
      loss: ce.loss,
      accuracy: ce.count ? ce.correct / ce.count : 0,
      lr,
      timesteps: ce.count,
    };
  }

  /** The current weights as a native checkpoint, with `record` as its training metadata. */
  checkpoint(record?: Record<string, unknown>): Checkpoint {
    const weights = new Map<string, RawTensor>(this.base.weights);
    for (const p of this.params) weights.set(p.name, { dtype: 'F32', shape: p.shape, data: p.data.slice() });
    return {
      ...this.base,
      format: 'dtlens',
      weights,
      ...(record ? { offline: record } : {}),
      provenance: { created: 'dtlens train' },
    };
  }

  state(): TrainingState {
    return {
      step: this.step,
      checkpoint: this.checkpoint(),
      m: new Map([...this.optimizer.m].map(([k, v]) => [k, v.slice()])),
      v: new Map([...this.optimizer.v].map(([k, v]) => [k, v.slice()])),
    };
  }
}
