/**
 * Observation view (DTI "Observation View"): the channels of one observation of the window as small
 * grids (rows = y, columns = x, as DTI's `imshow(obs[c].T)`), and what the state embedding makes of
 * each channel: `emb[c] = Σ_{x,y} W_state[:, (c,x,y)] · obs[x,y,c]` (its norm and its projection on
 * the logit direction), the per-cell weight projections `dir · W_state[:, (c,x,y)]` and activation
 * projections (weight projection × observation value). No LN, as in DTI. The S token is
 * `Σ_c emb[c] + time embedding`.
 */
import { DENSE_CHANNEL_NAMES, SPARSE_CHANNEL_NAMES } from '../../env/features.ts';
import { isLinearTimeEmbedding } from '../../model/weights.ts';
import { type AnalysisRun, type NdArray, resolveIndex } from './run.ts';
import { DEFAULT_LOGIT_DIRECTION, type LogitDirectionSpec, logitDirection } from './logitDirection.ts';

export interface ObservationOptions {
  direction?: LogitDirectionSpec;
  batch?: number;
  /** Timestep of the window (default -1: the current observation). */
  timestep?: number;
}

/** A d-vector summarised by its L2 norm and its projection on the logit direction. */
export interface VectorSummary {
  norm: number;
  logitDiff: number;
}

export interface ChannelView {
  channel: number;
  name: string;
  /** [Y, X] observation values */
  values: NdArray;
  /** Non-zero cells */
  active: number;
  /** [Y, X] direction · W_state column of each cell */
  weightProjection: NdArray;
  /** [Y, X] weightProjection × values */
  activationProjection: NdArray;
  /** The channel's share of the state embedding */
  embedding: VectorSummary;
}

export interface ObservationResult {
  /** 'one-hot' (20 channels), 'index' (object/color/state codes) or 'other' */
  encoding: 'one-hot' | 'index' | 'other';
  batch: number;
  /** Index into the window */
  timestep: number;
  /** The timestep value fed to the model */
  timestepValue: number;
  /** Label of the state token, e.g. "S9" */
  tokenLabel: string;
  direction: { positive: number; negative: number | null; label: string };
  channels: ChannelView[];
  /** Whole state embedding (sum of the channels) */
  state: VectorSummary;
  time: VectorSummary;
  /** The assembled S token (state + time embedding; without the positional embedding) */
  token: VectorSummary;
}

export function observationView(run: AnalysisRun, options: ObservationOptions = {}): ObservationResult {
  const { model, inputs } = run;
  const [X, Y, C] = model.arch.obsShape;
  const [B, T] = inputs.states.shape;
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const t = resolveIndex(options.timestep ?? -1, T, 'window timestep');
  const dir = logitDirection(run.cache, options.direction ?? DEFAULT_LOGIT_DIRECTION);
  const d = model.arch.dModel;
  const W = model.weights.stateEmbedding.data; // [d, X*Y*C], column (c, x, y)
  const nObs = X * Y * C;
  const obs = inputs.states.data.subarray((b * T + t) * nObs, (b * T + t + 1) * nObs); // [x][y][c]
  const names = C === 20 ? SPARSE_CHANNEL_NAMES : C === 3 ? DENSE_CHANNEL_NAMES : [];
  const stateVec = new Float64Array(d);
  const channels: ChannelView[] = [];
  for (let c = 0; c < C; c++) {
    const values = new Float32Array(Y * X);
    const wproj = new Float32Array(Y * X);
    const aproj = new Float32Array(Y * X);
    const emb = new Float64Array(d);
    let active = 0;
    for (let x = 0; x < X; x++)
      for (let y = 0; y < Y; y++) {
        const col = c * X * Y + x * Y + y;
        const v = obs[(x * Y + y) * C + c];
        let wp = 0;
        for (let j = 0; j < d; j++) {
          const w = W[j * nObs + col];
          wp += w * dir.vector[j];
          if (v !== 0) emb[j] += w * v;
        }
        values[y * X + x] = v;
        wproj[y * X + x] = wp;
        aproj[y * X + x] = wp * v;
        if (v !== 0) active++;
      }
    for (let j = 0; j < d; j++) stateVec[j] += emb[j];
    channels.push({
      channel: c,
      name: names[c] ?? `channel ${c}`,
      values: { shape: [Y, X], data: values },
      active,
      weightProjection: { shape: [Y, X], data: wproj },
      activationProjection: { shape: [Y, X], data: aproj },
      embedding: summarise(emb, dir.vector),
    });
  }
  const timestepValue = Number(inputs.timesteps[b * T + t]);
  const time = timeEmbedding(run, timestepValue);
  const P = run.tokenLabels.length;
  const sPos = 3 * t + 1;
  const token = run.cache.get('hook_embed').data.subarray((b * P + sPos) * d, (b * P + sPos + 1) * d);
  return {
    encoding: C === 20 ? 'one-hot' : C === 3 ? 'index' : 'other',
    batch: b,
    timestep: t,
    timestepValue,
    tokenLabel: run.tokenLabels[sPos],
    direction: { positive: dir.positive, negative: dir.negative, label: dir.label },
    channels,
    state: summarise(stateVec, dir.vector),
    time: summarise(time, dir.vector),
    token: summarise(token, dir.vector),
  };
}

function summarise(v: ArrayLike<number>, dir: Float32Array): VectorSummary {
  let n = 0;
  let p = 0;
  for (let j = 0; j < v.length; j++) {
    n += v[j] * v[j];
    p += v[j] * dir[j];
  }
  return { norm: Math.sqrt(n), logitDiff: p };
}

/** The time embedding added to every token of a timestep (lookup row, or linear `t·w + b`). */
export function timeEmbedding(run: AnalysisRun, t: number): Float32Array {
  const emb = run.model.weights.timeEmbedding;
  const d = run.model.arch.dModel;
  if (!isLinearTimeEmbedding(emb)) return emb.data.slice(t * d, (t + 1) * d);
  return Float32Array.from(
    { length: d },
    (_, j) => Math.fround(t * emb.W.data[j]) + (emb.b ? emb.b.data[j] : 0),
  );
}
