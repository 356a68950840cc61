/**
 * The engine behind the app, isomorphic and synchronous: the browser runs it in a Web Worker, tests
 * call it directly. It owns the loaded model and play session, executes one command per request, then
 * runs the window once (caching only what the open panels need) and computes those panels.
 */
import type { AnalysisRun } from '../analysis/dynamic/run.ts';
import { parameterCount } from '../model/weights.ts';
import { tokenLabels as positionLabels } from '../model/tokens.ts';
import { IDX_TO_ACTION } from '../env/core/actions.ts';
import { renderGridSvg, renderObservationSvg } from '../env/render/index.ts';
import { DtlensError } from '../errors.ts';
import { type Checkpoint, loadCheckpoint } from '../io/checkpoint.ts';
import { envConfigToJson, modelConfigToJson } from '../config/config.ts';
import { type NameFilter, matchesFilter } from '../model/hooks.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { frameTokenLabels, stepsTaken } from './history.ts';
import { openSession } from './openSession.ts';
import { type PanelNeeds, panelById } from './panels.ts';
import type { PlaySession } from './playSession.ts';
import { predictionFrom } from './playSession.ts';
import {
  type EngineCommand,
  type EngineReply,
  type EngineRequest,
  type EngineResult,
  type Frame,
  type ModelInfo,
  type PanelOutcome,
  type PanelRequest,
  type SessionView,
  type WindowToken,
  toEngineError,
} from './protocol.ts';

const WEIGHTS = 'processed';

export class Engine {
  private session: PlaySession | null = null;
  private seed = 0;
  private frames: Frame[] = [];

  constructor(
    private readonly gemm: Gemm,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Handles one request; never throws (errors become `{ ok: false, error }` replies). */
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
    if (command.type === 'load') {
      const ckpt = loadCheckpoint(command.bytes, command.fileName);
      // Build everything before replacing the current session, so a bad file leaves the app as it was.
      const session = openSession(ckpt, {
        gemm: this.gemm,
        weights: WEIGHTS,
        initialRtg: command.initialRtg,
      });
      session.reset(command.seed);
      const frames = [this.frame(session)];
      for (const a of command.actions) {
        if (session.episodeEnd || !Number.isInteger(a) || a < 0 || a >= session.env.nActions) break;
        session.step(a);
        frames.push(this.frame(session));
      }
      model = modelInfo(ckpt, command.fileName, session);
      this.session = session;
      this.seed = command.seed;
      this.frames = frames;
      framesFrom = 0;
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
          const action = command.type === 'act' ? session.predict().greedyAction : command.action;
          session.step(action);
          this.frames.push(this.frame(session));
          break;
        }
        case 'setRtg':
          session.setInitialRtg(command.initialRtg);
          break;
        case 'refresh':
          break;
        default:
          throw new DtlensError('BAD_INPUT', `unknown command ${(command as { type: unknown }).type}`);
      }
    }
    const { view, panels: outcomes } = this.observe(framesFrom, panels);
    return { model, view, panels: outcomes, computeMs: this.now() - start };
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

  /** Runs the window once, caching what the open panels need, and computes them. */
  private observe(
    framesFrom: number,
    requests: PanelRequest[],
  ): { view: SessionView; panels: Record<string, PanelOutcome> } {
    const session = this.current();
    const model = session.model;
    const inputs = session.window();
    const known = requests.flatMap((r) => {
      const panel = panelById(r.id);
      return panel ? [{ request: r, panel }] : [];
    });
    const needs = known.map(({ panel, request }) => panel.needs(model.arch, request.params));
    const result = model.run(inputs, { cache: unionFilter(needs) });
    const panels: Record<string, PanelOutcome> = {};
    for (const r of requests) if (!panelById(r.id)) panels[r.id] = unknownPanel(r.id);
    if (known.length) {
      const run: AnalysisRun = {
        model,
        inputs,
        transformerOut: result.transformerOut,
        actionPreds: result.actionPreds!,
        cache: result.cache!,
        tokenLabels: positionLabels(result.transformerOut.shape[1]),
      };
      for (const { panel, request } of known) {
        try {
          panels[panel.id] = { ok: true, data: panel.compute(run, request.params) };
        } catch (e) {
          panels[panel.id] = { ok: false, error: toEngineError(e) };
        }
      }
    }
    const prediction = predictionFrom(result.actionPreds!);
    return {
      view: {
        ...this.describe(session, inputs.actions),
        prediction: {
          logits: Array.from(prediction.logits),
          probs: Array.from(prediction.probs),
          entropy: prediction.entropy,
          greedyAction: prediction.greedyAction,
        },
        frames: { from: framesFrom, items: this.frames.slice(framesFrom) },
      },
      panels,
    };
  }

  private describe(
    session: PlaySession,
    windowActions: Int32Array | null,
  ): Omit<SessionView, 'prediction' | 'frames'> {
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

function unknownPanel(id: string): PanelOutcome {
  return { ok: false, error: { code: 'BAD_INPUT', message: `unknown panel "${id}"` } };
}

/** One cache filter covering every panel's needs (false when no panel is open). */
function unionFilter(needs: PanelNeeds[]): boolean | NameFilter {
  if (needs.length === 0) return false;
  if (needs.some((n) => n === true)) return true;
  const filters = needs as NameFilter[];
  return (name: string) => filters.some((f) => matchesFilter(f, name));
}

function modelInfo(ckpt: Checkpoint, fileName: string, session: PlaySession): ModelInfo {
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
    weights: WEIGHTS,
  };
}
