/**
 * The engine behind the app, isomorphic: the browser runs it in a Web Worker, tests call it directly.
 * It owns the loaded model and play session. `handle` executes one command and runs the window once
 * (caching what the open window panels need) to answer with the new view and prediction;
 * `panelUpdates` then computes, one at a time, the open panels whose inputs changed (window panels from
 * that run, model panels once per model and settings); `runJob` runs a job panel with progress and
 * cancellation; `windowFile`, `pairFile` and `report` write the app's exports.
 */
import type { DecisionTransformer } from '../model/decisionTransformer.ts';
import { type AnalysisRun, resolveIndex } from '../analysis/dynamic/run.ts';
import type { JobControl } from '../analysis/jobs.ts';
import { parameterCount } from '../model/weights.ts';
import { lastStatePosition, tokenLabels as positionLabels } from '../model/tokens.ts';
import { IDX_TO_ACTION } from '../env/core/actions.ts';
import { renderGridSvg, renderObservationSvg } from '../env/render/index.ts';
import { DtlensError } from '../errors.ts';
import { directionsFromTensors } from '../analysis/static/directions.ts';
import { pairFile } from '../io/pairFile.ts';
import { type WindowDataset, checkDatasetFits, readWindowDataset } from '../analysis/scans/windowDataset.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { checkSameArchitecture, checkpointStep } from '../analysis/features/acrossTraining.ts';
import { architectureOf, createModel } from '../model/load.ts';
import { type Checkpoint, loadCheckpoint } from '../io/checkpoint.ts';
import { envConfigToJson, modelConfigToJson } from '../config/config.ts';
import { type NameFilter, matchesFilter } from '../model/hooks.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../model/processing.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { frameTokenLabels, stepsTaken } from './history.ts';
import { makeSessionEnv, openSession } from './openSession.ts';
import { PANELS, type PanelNeeds, type PanelSpec, type WindowPanel } from './panels/index.ts';
import type { JobContext } from './panels/types.ts';
import { corrupt } from './panels/causal.ts';
import { type DatasetSummary, summariseDataset } from './panels/dataset.ts';
import { keepDirections } from './panels/weights.ts';
import { normalizeParams } from './params.ts';
import { PlaySession, type Prediction, predictionFrom } from './playSession.ts';
import { PLAY_STEERING_PARAMS, type PlaySteering, steeredPrediction } from './playSteering.ts';
import {
  type EngineCommand,
  type EngineReply,
  type EngineRequest,
  type EngineResult,
  type Frame,
  type ModelInfo,
  type PanelOutcome,
  type PanelRequest,
  type PredictionView,
  type SessionView,
  type SteeringView,
  type TokenPosition,
  type WindowToken,
  toEngineError,
} from './protocol.ts';
import { buildReport } from '../report/html.ts';
import { replayEpisode } from './replay.ts';
import { actionsTaken, windowFile } from './windowFile.ts';

/** The app's default weights variant (the trained weights as stored, as the CLI's default). */
export const DEFAULT_APP_WEIGHTS: WeightVariant = 'raw';

export class Engine {
  private ckpt: Checkpoint | null = null;
  private fileName = '';
  private weights: WeightVariant = DEFAULT_APP_WEIGHTS;
  private session: PlaySession | null = null;
  private seed = 0;
  private frames: Frame[] = [];
  /** Bumped whenever the model or its weights change (model panels recompute). */
  private modelVersion = 0;
  /** Bumped whenever the window changes (window panels recompute). */
  private windowVersion = 0;
  /** The latest forward pass, with the cache the open window panels need. */
  private lastRun: AnalysisRun | null = null;
  /** Per open panel, the key of the inputs of the outcome last returned (unchanged panels are skipped). */
  private readonly sent = new Map<string, string>();
  private readonly modelOutcomes = new Map<string, PanelOutcome>();
  /** The session's window dataset (sampled by a job or loaded with `setDataset`); cleared on load. */
  private dataset: WindowDataset | null = null;
  /** Bumped whenever `dataset` changes (window panels that read it recompute). */
  private datasetVersion = 0;
  /** `dataset` summarised once when it is kept (every view carries it). */
  private datasetSummary: DatasetSummary | null = null;
  /** The session's checkpoint series (`setSeries`, one architecture); cleared on load. */
  private series: { name: string; ckpt: Checkpoint }[] = [];
  /** The play steering (settings complete), kept across steps, resets and weights; null = none. */
  private steering: PlaySteering | null = null;
  /** The steering part of the latest view (what `act` follows while steering is on). */
  private lastSteering: SteeringView | null = null;

  constructor(
    private readonly gemm: Gemm,
    private readonly now: () => number = () => Date.now(),
    /** The panel registry (tests pass their own). */
    private readonly registry: readonly PanelSpec[] = PANELS,
  ) {}

  private spec(id: string): PanelSpec | undefined {
    return this.registry.find((p) => p.id === id);
  }

  /** Handles one command; never throws (errors become `{ ok: false, error }` replies). */
  handle(request: EngineRequest): EngineReply {
    try {
      return { id: request.id, ok: true, result: this.execute(request.command, request.panels) };
    } catch (e) {
      return { id: request.id, ok: false, error: toEngineError(e) };
    }
  }

  private execute(command: EngineCommand, panels: PanelRequest[]): EngineResult {
    const start = this.now();
    let model: ModelInfo | undefined;
    let framesFrom = this.frames.length;
    if (command.type === 'load' || command.type === 'setWeights') {
      const ckpt = command.type === 'load' ? loadCheckpoint(command.bytes, command.fileName) : this.loaded();
      const weights = command.weights ?? DEFAULT_APP_WEIGHTS;
      if (!WEIGHT_VARIANTS.includes(weights))
        throw new DtlensError(
          'BAD_INPUT',
          `weights must be one of ${WEIGHT_VARIANTS.join(', ')}, got "${weights}"`,
        );
      const previous = command.type === 'setWeights' ? this.current() : null;
      // Build everything before replacing the current session, so a bad file leaves the app as it was.
      const session = openSession(ckpt, {
        gemm: this.gemm,
        weights,
        initialRtg: command.type === 'load' ? command.initialRtg : previous!.initialRtg,
      });
      const seed = command.type === 'load' ? command.seed : this.seed;
      const actions = command.type === 'load' ? command.actions : actionsTaken(previous!);
      const frames: Frame[] = [];
      replayEpisode(session, seed, actions, () => frames.push(this.frame(session)));
      this.ckpt = ckpt;
      if (command.type === 'load') {
        this.fileName = command.fileName;
        this.dataset = null; // another model's windows may not fit
        this.datasetSummary = null;
        this.datasetVersion++;
        this.series = [];
      }
      this.weights = weights;
      model = modelInfo(ckpt, this.fileName, session, weights);
      this.session = session;
      this.seed = seed;
      this.frames = frames;
      framesFrom = 0;
      if (command.type === 'load') this.steering = null;
      this.modelVersion++;
      this.modelOutcomes.clear();
      this.sent.clear();
    } else {
      const session = this.current();
      switch (command.type) {
        case 'reset':
          session.reset(command.seed);
          this.seed = command.seed;
          this.frames = [this.frame(session)];
          framesFrom = 0;
          break;
        case 'step':
        case 'act': {
          const action = command.type === 'act' ? this.greedyAction(session) : command.action;
          session.step(action);
          this.frames.push(this.frame(session));
          break;
        }
        case 'setRtg':
          session.setInitialRtg(command.initialRtg);
          break;
        case 'setDirections': {
          const file = readSafetensors(command.bytes);
          keepDirections(session.model, directionsFromTensors(file.tensors, file.metadata));
          break;
        }
        case 'setDataset': {
          const dataset = readWindowDataset(command.bytes);
          this.keepDataset(session.model, dataset);
          break;
        }
        case 'setSeries': {
          const series = command.files.map((f) => ({ name: f.name, ckpt: loadCheckpoint(f.bytes, f.name) }));
          checkSameArchitecture(series.map((s) => ({ name: s.name, arch: architectureOf(s.ckpt) })));
          this.series = series;
          break;
        }
        case 'setPlayIntervention': {
          const steering = command.steering && {
            on: command.steering.on === true,
            params: normalizeParams(PLAY_STEERING_PARAMS, command.steering.params),
          };
          // Built once here so that bad settings are refused and the current steering stays.
          if (steering)
            steeredPrediction(session.model, session.window(), this.tokenCount(), steering.params);
          this.steering = steering;
          break;
        }
        case 'refresh':
          break;
        default:
          throw new DtlensError('BAD_INPUT', `unknown command ${(command as { type: unknown }).type}`);
      }
    }
    if (
      !['refresh', 'setDirections', 'setDataset', 'setSeries', 'setPlayIntervention'].includes(command.type)
    )
      this.windowVersion++;
    const view = this.observe(framesFrom, panels);
    return { model, view, computeMs: this.now() - start };
  }

  /**
   * Outcomes of the open panels whose inputs changed since they were last returned (window panels
   * from the latest `handle`'s forward pass at `position`, model panels once per model and settings;
   * unknown ids get an error). Panels left out of `panels` are forgotten.
   */
  computePanels(
    panels: PanelRequest[],
    position: TokenPosition = null,
  ): { panels: Record<string, PanelOutcome>; computeMs: number } {
    const start = this.now();
    const out: Record<string, PanelOutcome> = {};
    for (const [id, outcome] of this.panelUpdates(panels, position)) out[id] = outcome;
    return { panels: out, computeMs: this.now() - start };
  }

  /**
   * `computePanels` one panel at a time, each computed only when the next is asked for: the worker
   * posts each outcome as soon as it is ready and stops asking once a newer command is waiting (the
   * panels it did not reach are computed after that command).
   */
  *panelUpdates(panels: PanelRequest[], position: TokenPosition = null): Generator<[string, PanelOutcome]> {
    const open = new Set(panels.map((p) => p.id));
    for (const id of [...this.sent.keys()]) if (!open.has(id)) this.sent.delete(id);
    const late = (r: PanelRequest) =>
      Number(!!(this.spec(r.id) as { stateKey?: unknown } | undefined)?.stateKey);
    for (const request of [...panels].sort((a, b) => late(a) - late(b))) {
      const spec = this.spec(request.id);
      if (!spec) {
        yield [
          request.id,
          { ok: false, error: { code: 'BAD_INPUT', message: `unknown panel "${request.id}"` } },
        ];
        continue;
      }
      if (spec.scope === 'job') continue;
      const params = normalizeParams(spec.params, request.params);
      const paramKey = JSON.stringify(params);
      const key =
        spec.scope === 'model'
          ? `m${this.modelVersion}|${spec.stateKey?.(this.current().model) ?? ''}|${paramKey}`
          : `m${this.modelVersion}|w${this.windowVersion}|d${this.datasetVersion}|p${position}|${paramKey}`;
      if (this.sent.get(spec.id) === key) continue;
      const outcome =
        spec.scope === 'model'
          ? this.modelOutcome(spec, key, params)
          : this.windowOutcome(spec, params, position);
      this.sent.set(spec.id, key);
      yield [spec.id, outcome];
    }
  }

  /**
   * Runs a job panel on the current model and a snapshot of the current window; progress and
   * cancellation go through `control`. Never throws (errors, `CANCELLED` included, become outcomes).
   */
  async runJob(request: PanelRequest, position: TokenPosition, control: JobControl): Promise<PanelOutcome> {
    try {
      const spec = this.spec(request.id);
      if (!spec || spec.scope !== 'job')
        throw new DtlensError('BAD_INPUT', `"${request.id}" is not a job panel`);
      const session = this.current();
      const inputs = session.window();
      const P = this.lastRun?.transformerOut.shape[1] ?? session.model.arch.nCtx;
      const ckpt = this.loaded();
      const seed = this.seed;
      const actions = actionsTaken(session);
      const ctx: JobContext = {
        model: session.model,
        inputs,
        position: resolvePosition(position, P),
        weights: this.weights,
        episode: {
          env: ckpt.env,
          seed,
          actions,
          initialRtg: session.initialRtg,
          replay: () => {
            const copy = new PlaySession(
              session.model,
              makeSessionEnv(ckpt),
              session.initialRtg,
              session.layout,
            );
            replayEpisode(copy, seed, actions);
            return copy.env;
          },
        },
        dataset: this.dataset,
        keepDataset: (dataset) => this.keepDataset(session.model, dataset),
        series: () =>
          this.series.map(({ name, ckpt }, i) => ({
            name,
            step: checkpointStep(ckpt, i),
            model: createModel(ckpt, { gemm: this.gemm, weights: this.weights }),
          })),
      };
      return { ok: true, data: await spec.run(ctx, normalizeParams(spec.params, request.params), control) };
    } catch (e) {
      return { ok: false, error: toEngineError(e) };
    }
  }

  /** The current window as safetensors in the `inputs.*` layout (what `dtlens window` writes). */
  windowFile(): Uint8Array {
    return windowFile(this.current(), {
      model: this.fileName,
      envId: this.loaded().env.envId,
      weights: this.weights,
      seed: this.seed,
    });
  }

  /**
   * The current window and its corruption under the corruption settings of `panel` (a causal panel) as
   * a pair file (`clean.*`, `corrupted.*`: what `dtlens patch` and `path-patch` read).
   */
  pairFile(panel: PanelRequest): Uint8Array {
    const spec = this.spec(panel.id);
    if (!spec || !('corruption' in spec.params))
      throw new DtlensError('BAD_INPUT', `"${panel.id}" has no corruption settings to export a pair of`);
    const session = this.current();
    const clean = session.window();
    const variation = corrupt(session.model, clean, normalizeParams(spec.params, panel.params));
    return pairFile(clean, variation.corrupted, {
      model: this.fileName,
      weights: this.weights,
      env: this.loaded().env.envId,
      seed: String(this.seed),
      initial_rtg: String(session.initialRtg),
      actions: actionsTaken(session).join(','),
      changes: variation.changes.join('; '),
    });
  }

  /**
   * The HTML report of the model (its weights variant) with the window current when it was asked for,
   * as UTF-8 bytes; `control` yields between sections, so play goes on while it is built.
   */
  async report(generated: Date, control?: JobControl): Promise<Uint8Array> {
    const session = this.current();
    const html = await buildReport(
      {
        fileName: this.fileName,
        ckpt: this.loaded(),
        model: session.model,
        weights: this.weights,
        windows: [
          {
            label: `the app's window: seed ${this.seed}, initial RTG ${session.initialRtg}, ${session.steps} step(s)`,
            inputs: session.window(),
          },
        ],
        generated,
      },
      control,
    );
    return new TextEncoder().encode(html);
  }

  private modelOutcome(
    spec: PanelSpec & { scope: 'model' },
    key: string,
    params: Record<string, string | number>,
  ): PanelOutcome {
    const cacheKey = `${spec.id}|${key}`;
    let outcome = this.modelOutcomes.get(cacheKey);
    if (!outcome) {
      try {
        outcome = { ok: true, data: spec.compute(this.current().model, params) };
      } catch (e) {
        outcome = { ok: false, error: toEngineError(e) };
      }
      this.modelOutcomes.set(cacheKey, outcome);
    }
    return outcome;
  }

  /** Makes `dataset` the session's (it must fit `model`). */
  private keepDataset(model: DecisionTransformer, dataset: WindowDataset): void {
    checkDatasetFits(model, dataset);
    this.dataset = dataset;
    this.datasetSummary = summariseDataset(dataset);
    this.datasetVersion++;
  }

  private windowOutcome(
    spec: WindowPanel,
    params: Record<string, string | number>,
    position: TokenPosition,
  ): PanelOutcome {
    try {
      const run = this.lastRun;
      if (!run) throw new DtlensError('BAD_INPUT', 'no model is loaded: open a model first');
      const P = run.transformerOut.shape[1];
      const ctx = { position: resolvePosition(position, P), dataset: this.dataset };
      return { ok: true, data: spec.compute(run, params, ctx) };
    } catch (e) {
      return { ok: false, error: toEngineError(e) };
    }
  }

  private loaded(): Checkpoint {
    if (!this.ckpt) throw new DtlensError('BAD_INPUT', 'no model is loaded: open a model first');
    return this.ckpt;
  }

  private current(): PlaySession {
    if (!this.session) throw new DtlensError('BAD_INPUT', 'no model is loaded: open a model first');
    return this.session;
  }

  private frame(session: PlaySession): Frame {
    const h = session.history;
    return {
      gridSvg: renderGridSvg(session.snapshot(), { highlightView: true }),
      obsSvg: renderObservationSvg(h.obs[h.obs.length - 1], h.obsShape),
    };
  }

  /** Runs the window once, caching what the open window panels need; the view with the prediction. */
  private observe(framesFrom: number, requests: PanelRequest[]): SessionView {
    const session = this.current();
    const model = session.model;
    const inputs = session.window();
    const needs = requests.flatMap((r) => {
      const spec = this.spec(r.id);
      return spec?.scope === 'window' ? [spec.needs(model.arch, normalizeParams(spec.params, r.params))] : [];
    });
    const result = model.run(inputs, { cache: unionFilter(needs) });
    this.lastRun = {
      model,
      inputs,
      transformerOut: result.transformerOut,
      actionPreds: result.actionPreds!,
      cache: result.cache!,
      tokenLabels: positionLabels(result.transformerOut.shape[1]),
    };
    const unsteered = predictionView(predictionFrom(result.actionPreds!));
    const steering = this.steeringView(unsteered);
    return {
      ...this.describe(session, inputs.actions),
      prediction: steering?.on ? steering.steered : unsteered,
      steering,
      frames: { from: framesFrom, items: this.frames.slice(framesFrom) },
      dataset: this.datasetSummary,
    };
  }

  /** Tokens of the current window. */
  private tokenCount(): number {
    return this.lastRun?.transformerOut.shape[1] ?? this.current().model.arch.nCtx;
  }

  /**
   * The model's greedy action on the current window: while steering is on, the steered run's, as the
   * last view showed it (every command that changes the window or the steering computes a new view).
   */
  private greedyAction(session: PlaySession): number {
    return this.lastSteering?.on ? this.lastSteering.steered.greedyAction : session.predict().greedyAction;
  }

  /**
   * Both predictions of the window just run (`lastRun`) under the steering; a steering that no longer
   * fits (a saved direction gone with a weights change) is dropped.
   */
  private steeringView(unsteered: PredictionView): SteeringView | null {
    this.lastSteering = this.computeSteeringView(unsteered);
    return this.lastSteering;
  }

  private computeSteeringView(unsteered: PredictionView): SteeringView | null {
    if (!this.steering) return null;
    const run = this.lastRun!;
    try {
      const s = steeredPrediction(run.model, run.inputs, this.tokenCount(), this.steering.params);
      return {
        ...this.steering,
        description: s.description,
        identical: s.identical,
        unsteered,
        steered: predictionView(s.prediction),
      };
    } catch {
      this.steering = null;
      return null;
    }
  }

  private describe(
    session: PlaySession,
    windowActions: Int32Array | null,
  ): Omit<SessionView, 'prediction' | 'steering' | 'frames' | 'dataset'> {
    const h = session.history;
    const rtgs = session.rtgs();
    const pad = h.maxLen - 1;
    const first = h.obs.length - h.maxLen;
    const window: WindowToken[] = [];
    for (let t = 0; t < h.maxLen; t++) {
      const i = first + t;
      const padding = i < pad;
      window.push({ label: `R${t + 1}`, kind: 'R', value: rtgs[i], padding });
      window.push({ label: `S${t + 1}`, kind: 'S', value: h.timesteps[i], padding });
      if (windowActions && t < windowActions.length)
        window.push({
          label: `A${t + 1}`,
          kind: 'A',
          value: windowActions[t],
          // legacy: the previous action, a placeholder 0 before the first step
          padding: h.layout === 'legacy' ? h.actions.length === 0 : padding,
        });
    }
    const steps = stepsTaken(h);
    const real = (xs: number[]) => xs.slice(pad, pad + steps);
    return {
      seed: this.seed,
      initialRtg: session.initialRtg,
      steps,
      time: h.timesteps[h.timesteps.length - 1],
      rtg: rtgs[rtgs.length - 1],
      episodeEnd: session.episodeEnd,
      totalReward: h.rewards.reduce((a, r) => a + r, 0),
      window,
      trajectory: {
        actions: h.actions.slice(pad),
        rewards: h.rewards.slice(pad + 1),
        rtgs: real(rtgs),
        timesteps: real(h.timesteps),
      },
      frameLabels: frameTokenLabels(h),
    };
  }
}

/**
 * The chosen token position: null = the last S token, a token label (`S7`) or an index, checked against
 * the P tokens of the window.
 */
function resolvePosition(position: TokenPosition, P: number): number {
  if (position === null) return lastStatePosition(P);
  if (typeof position === 'number') return resolveIndex(position, P, 'token position');
  const labels = positionLabels(P);
  const i = labels.indexOf(position);
  if (i < 0)
    throw new DtlensError(
      'BAD_INPUT',
      `no token ${position} in this window (${labels[0]}..${labels[P - 1]})`,
    );
  return i;
}

/** A prediction as plain data for the page. */
function predictionView(p: Prediction): PredictionView {
  return {
    logits: Array.from(p.logits),
    probs: Array.from(p.probs),
    entropy: p.entropy,
    greedyAction: p.greedyAction,
  };
}

/** One cache filter covering every panel's needs (false when no panel is open). */
function unionFilter(needs: PanelNeeds[]): boolean | NameFilter {
  if (needs.length === 0) return false;
  if (needs.some((n) => n === true)) return true;
  const filters = needs as NameFilter[];
  return (name: string) => filters.some((f) => matchesFilter(f, name));
}

function modelInfo(
  ckpt: Checkpoint,
  fileName: string,
  session: PlaySession,
  weights: WeightVariant,
): ModelInfo {
  const arch = session.model.arch;
  const nParams = parameterCount(ckpt.weights);
  const rows = (prefix: string, json: Record<string, unknown>): [string, string][] =>
    Object.entries(json).map(([k, v]) => [`${prefix}.${k}`, typeof v === 'string' ? v : JSON.stringify(v)]);
  return {
    fileName,
    format: ckpt.format,
    envId: ckpt.env.envId,
    nActions: ckpt.nActions,
    actionNames: Array.from({ length: ckpt.nActions }, (_, a) => IDX_TO_ACTION[a] ?? `action ${a}`),
    obsShape: ckpt.obsShape,
    maxLen: session.history.maxLen,
    nCtx: arch.nCtx,
    nLayers: arch.nLayers,
    nHeads: arch.nHeads,
    nParams,
    config: [...rows('model', modelConfigToJson(ckpt.model)), ...rows('env', envConfigToJson(ckpt.env))],
    hookNames: session.model.hookNames,
    weights,
  };
}
