/**
 * The typed message protocol between the UI and the engine worker. A command request carries an id and
 * the open panels; the worker answers first with a `reply` (the new view and prediction, or an error
 * `{ code, message }`), then with one `panels` message per open panel that changed (its outcome), each
 * computed in its own task and dropped once a newer command is waiting. Jobs run on request, report
 * `progress`, end with `job`, and stop on `cancel`. Files (window, pair, report) come back as `file`.
 */
import type { DatasetSummary } from './panels/dataset.ts';
import type { WeightVariant } from '../model/processing.ts';

/** A panel the user has open, with its own parameters (plain data). */
export interface PanelRequest {
  id: string;
  params: Record<string, unknown>;
}

export type EngineCommand =
  /** Loads a checkpoint, resets with `seed` and replays `actions` (a restored URL; extra actions are dropped). */
  | {
      type: 'load';
      bytes: Uint8Array;
      fileName: string;
      seed: number;
      initialRtg: number;
      actions: number[];
      /** Weights variant (default `raw`). */
      weights?: WeightVariant;
    }
  | { type: 'reset'; seed: number }
  | { type: 'step'; action: number }
  /** The model takes its greedy action (DTI's evaluation policy). */
  | { type: 'act' }
  | { type: 'setRtg'; initialRtg: number }
  /** Rebuilds the model with another weights variant and replays the episode. */
  | { type: 'setWeights'; weights: WeightVariant }
  /** Keeps a saved-directions .safetensors file for the loaded model (the circuit panels' 'directions'). */
  | { type: 'setDirections'; bytes: Uint8Array }
  /** Keeps a window dataset file (`dtlens dataset`) as the session's dataset (`JobContext.dataset`). */
  | { type: 'setDataset'; bytes: Uint8Array }
  /**
   * Keeps the checkpoints of one training series (`dtlens train --series-every`; one architecture) for
   * the across-training panel (`JobContext.series`); cleared when another model is loaded.
   */
  | { type: 'setSeries'; files: { name: string; bytes: Uint8Array }[] }
  /**
   * Steers the played model (`src/session/playSteering.ts`; null removes it): while `on`, the prediction
   * and the model's greedy `act` come from the steered forward pass. Kept until removed or another model
   * is loaded; the episode is untouched.
   */
  | { type: 'setPlayIntervention'; steering: { on: boolean; params: Record<string, unknown> } | null }
  /** Recomputes the prediction and the open panels (after opening a panel or changing its parameters). */
  | { type: 'refresh' };

export interface EngineRequest {
  id: number;
  command: EngineCommand;
  panels: PanelRequest[];
  /** Token position every window panel looks at. */
  position?: TokenPosition;
}

/** A token of the window: its label (`S7`), its index, or null for the last S token. */
export type TokenPosition = string | number | null;

/** Messages from the UI to the worker. */
export type ToEngine =
  | ({ kind: 'command' } & EngineRequest)
  /** Runs a job panel on the current model and a snapshot of the current window. */
  | { kind: 'job'; jobId: number; panel: PanelRequest; position: TokenPosition }
  | { kind: 'cancel'; jobId: number }
  /** The current window as safetensors in the `inputs.*` layout (`dtlens forward` reads it). */
  | { kind: 'exportWindow'; id: number }
  /** The HTML report (`dtlens report`) of the model with the current window. */
  | { kind: 'report'; id: number }
  /** The current window and its corruption under a causal panel's settings (`dtlens corrupt`'s pair file). */
  | { kind: 'exportPair'; id: number; panel: PanelRequest };

/** Messages from the worker to the UI. */
export type FromEngine =
  | ({ kind: 'reply' } & EngineReply)
  | { kind: 'panels'; id: number; panels: Record<string, PanelOutcome>; computeMs: number }
  | { kind: 'progress'; jobId: number; done: number; total: number }
  | { kind: 'job'; jobId: number; outcome: PanelOutcome }
  | {
      kind: 'file';
      id: number;
      outcome: { ok: true; bytes: Uint8Array } | { ok: false; error: EngineError };
    };

export interface EngineError {
  code: string;
  message: string;
}

export type PanelOutcome = { ok: true; data: unknown } | { ok: false; error: EngineError };

export interface ModelInfo {
  fileName: string;
  format: string;
  envId: string;
  nActions: number;
  actionNames: string[];
  obsShape: [number, number, number];
  maxLen: number;
  nCtx: number;
  nLayers: number;
  nHeads: number;
  /** Trainable values in the checkpoint's state dict. */
  nParams: number;
  /** [name, value] rows of the model and env configs. */
  config: [string, string][];
  hookNames: string[];
  /** Weight processing used by the app. */
  weights: WeightVariant;
}

/** One token of the window fed to the model. */
export interface WindowToken {
  label: string;
  kind: 'R' | 'S' | 'A';
  /** RTG for R, timestep for S, action id for A. */
  value: number;
  padding: boolean;
}

/** One real frame of the episode (index 0 = after reset), rendered as SVG. */
export interface Frame {
  gridSvg: string;
  obsSvg: string;
}

/** The model's read-out at the last timestep. */
export interface PredictionView {
  logits: number[];
  probs: number[];
  entropy: number;
  greedyAction: number;
}

/** The play steering and both predictions of the current window (present while steering is set). */
export interface SteeringView {
  on: boolean;
  /** The complete settings (what the URL holds). */
  params: Record<string, string | number>;
  /** What is added, e.g. `corrupted − clean at blocks.0.hook_resid_pre (S9 (2, 6): key -> ball)`. */
  description: string;
  /** True when the vector is zero for this window (the corruption changes nothing). */
  identical: boolean;
  unsteered: PredictionView;
  steered: PredictionView;
}

export interface SessionView {
  seed: number;
  initialRtg: number;
  steps: number;
  /** Timestep of the newest observation. */
  time: number;
  /** RTG of the newest timestep. */
  rtg: number;
  episodeEnd: 'terminated' | 'truncated' | null;
  totalReward: number;
  /** What the agent acts on: the steered prediction while steering is on. */
  prediction: PredictionView;
  steering: SteeringView | null;
  window: WindowToken[];
  /** Real steps: action taken, reward received, RTG and timestep fed before it. */
  trajectory: { actions: number[]; rewards: number[]; rtgs: number[]; timesteps: number[] };
  /** New frames starting at index `from` (the UI keeps the earlier ones). */
  frames: { from: number; items: Frame[] };
  /** Token label of every frame in the current window (`S{maxLen}` = newest), null outside it. */
  frameLabels: (string | null)[];
  /** The session's window dataset (sampled or loaded), summarised; null before there is one. */
  dataset: DatasetSummary | null;
}

export interface EngineResult {
  /** Present after a load or a weights change. */
  model?: ModelInfo;
  view: SessionView;
  /** Worker time for the command and the forward pass (ms). */
  computeMs: number;
}

export type EngineReply =
  { id: number; ok: true; result: EngineResult } | { id: number; ok: false; error: EngineError };

/** `{ code, message }` of anything thrown: DtlensError codes are kept, anything else is INTERNAL. */
export function toEngineError(e: unknown): EngineError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'INTERNAL', message: e.message };
  }
  return { code: 'INTERNAL', message: String(e) };
}
