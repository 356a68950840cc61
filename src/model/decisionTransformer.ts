/**
 * DTI's DecisionTransformer: embeddings (R, s, a tokens + time), the hooked transformer core and the
 * prediction heads with `get_logits` semantics. One `run` does a batched forward with hooks and cache.
 */
import { DtlensError, check } from '../errors.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { Tensor, shapeString } from '../tensor/tensor.ts';
import { ActivationCache } from './activationCache.ts';
import { type DTArchitecture, hookNames } from './architecture.ts';
import { maxLenOf, tokenCount, tokenKind } from './tokens.ts';
import { type Hook, HookRunner, type NameFilter, matchesFilter } from './hooks.ts';
import {
  type FusedCore,
  type TransformerContext,
  invalidateCompiled,
  runTransformer,
  runTransformerFrom,
} from './transformer.ts';
import { type DTWeights, type LinearWeights, isLinearTimeEmbedding } from './weights.ts';

/** One batch of model inputs, as DTI's `forward` takes them. */
export interface DTInputs {
  /** [B, T, X, Y, C] observations (MiniGrid [x][y][c] images), any numeric values */
  states: Tensor;
  /**
   * [B, Ta] action ids (pad id = nActions), Ta = T-1 (usual) or T (legacy 3-token layout);
   * an empty array (Ta = 0) means "empty actions"; null means "no actions" (DTI's `actions=None`).
   */
  actions: Int32Array | null;
  /** [B, T] returns-to-go */
  rtgs: Float32Array;
  /** [B, T] timesteps (integers, 0 <= t <= max timestep of the time embedding) */
  timesteps: Float32Array | Int32Array;
}

export type PredictionHead = 'action' | 'state' | 'reward';

export interface RunOptions {
  hooks?: readonly Hook[];
  /** Cache every hook point (true) or those matching a filter. */
  cache?: boolean | NameFilter;
  /** Prediction heads to compute (default: action only). */
  heads?: readonly PredictionHead[];
  /**
   * Compute only what the last token needs in the last block (`TransformerContext.lastPositionOnly`):
   * `transformerOut` is [B, 1, d] and `actionPreds` [B, 1, A] (the last token must be an S token;
   * only the action head), and the cache holds every hook point at the last token only (position axis
   * of length 1, the query axis of patterns and scores; `ActivationCache.nTokens` keeps P). Hooks still
   * see whole activations.
   */
  lastPositionOnly?: boolean;
  /**
   * `hooked`: run on the hooked TS core even without hooks, so that the run is bit-comparable with
   * hooked runs of the same model (the baseline of an intervention); default `auto`: a hook-free run
   * goes to the fused core when the model has one that covers it.
   */
  core?: 'auto' | 'hooked';
}

export interface RunResult {
  /** Transformer output after ln_final [B, P, d] */
  transformerOut: Tensor;
  /** [B, T', A] action logits, read at the S tokens */
  actionPreds?: Tensor;
  /** [B, T', nObs], read at the A tokens (the last one from DTI's copied R token) */
  statePreds?: Tensor;
  /** [B, T', 1] */
  rewardPreds?: Tensor;
  cache?: ActivationCache;
}

export class DecisionTransformer {
  /**
   * `fusedCore`, when given, runs the transformer core of hook-free runs (a batch of predictions,
   * cached or not, full or last-position) in one backend call when it covers the run; runs with hooks
   * and runs it does not cover use the hooked TS core.
   */
  constructor(
    readonly arch: DTArchitecture,
    readonly weights: DTWeights,
    readonly gemm: Gemm,
    readonly fusedCore?: FusedCore,
  ) {}

  /** Timesteps per full window. */
  get maxLen(): number {
    return maxLenOf(this.arch.nCtx);
  }

  /** Every hook point, in forward order. */
  get hookNames(): string[] {
    return hookNames(this.arch);
  }

  /** Largest timestep the time embedding accepts (Infinity for a linear time embedding). */
  get maxTimestep(): number {
    const t = this.weights.timeEmbedding;
    return isLinearTimeEmbedding(t) ? Infinity : t.shape[0] - 1;
  }

  /** DTI `to_tokens`: token embeddings [B, P, d] (R, s, a interleaved, time added, no W_pos). */
  toTokens(inputs: DTInputs): Tensor {
    const [B, T] = this.checkInputs(inputs);
    return this.assembleTokens(inputs, B, T, this.stateEmbeddings(inputs.states, B * T), T);
  }

  /**
   * Tokens [n, P, d] of n copies of one window (`window`: a batch of one) with each copy's own
   * returns-to-go and timesteps (`rtgs`, `timesteps` [n, T]): `toTokens` of the repeated window with
   * those values (bit for bit), embedding the window's states once.
   */
  variantTokens(window: DTInputs, rtgs: Float32Array, timesteps: Int32Array | Float32Array): Tensor {
    const [B, T] = this.checkInputs(window);
    check(B === 1, 'BAD_SHAPE', `expected one window, got a batch of ${B}`);
    const n = rtgs.length / T;
    check(
      Number.isInteger(n) && n >= 1 && timesteps.length === rtgs.length,
      'BAD_SHAPE',
      () =>
        `variant rtgs and timesteps must both be [n, ${T}], got ${rtgs.length} and ${timesteps.length} values`,
    );
    this.checkSequences(rtgs, timesteps);
    const { actions } = window;
    const tiled = actions && new Int32Array(actions.length * n).map((_, i) => actions[i % actions.length]);
    const variants = { states: window.states, actions: tiled, rtgs, timesteps };
    return this.assembleTokens(variants, n, T, this.stateEmbeddings(window.states, T), 0);
  }

  /**
   * DTI `to_tokens` from embedded states: `state` holds row b's embedding of timestep t at
   * `(b * stateStride + t) * d` (stateStride = T; 0 when every row has the same states).
   */
  private assembleTokens(
    inputs: Pick<DTInputs, 'actions' | 'rtgs' | 'timesteps'>,
    B: number,
    T: number,
    state: Float32Array,
    stateStride: number,
  ): Tensor {
    const { arch, weights } = this;
    const d = arch.dModel;
    const Ta = inputs.actions ? inputs.actions.length / B : 0;
    const hasActionTokens = Ta > 0;
    const time = this.timeEmbeddings(inputs.timesteps, B * T);
    const P = tokenCount(T, Ta);
    const tokens = new Float32Array(B * P * d);
    const wR = weights.rtgEmbedding.data;
    const actionTable = weights.actionEmbedding;
    const nTimesteps = hasActionTokens ? T : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < nTimesteps; t++) {
        const bt = b * T + t;
        const rtg = inputs.rtgs[bt];
        const rOff = (b * P + 3 * t) * d;
        const sOff = rOff + d;
        const stateOff = (b * stateStride + t) * d;
        for (let j = 0; j < d; j++) {
          tokens[rOff + j] = rtg * wR[j] + time[bt * d + j];
          tokens[sOff + j] = state[stateOff + j] + time[bt * d + j];
        }
        if (hasActionTokens && t < Ta) {
          const a = inputs.actions![b * Ta + t];
          const aOff = sOff + d;
          for (let j = 0; j < d; j++) tokens[aOff + j] = actionTable.data[a * d + j] + time[bt * d + j];
        }
      }
    }
    return new Tensor(tokens, [B, P, d]);
  }

  /** Full forward: tokens, transformer (with hooks and cache) and the requested prediction heads. */
  run(inputs: DTInputs, options: RunOptions = {}): RunResult {
    return this.runFromTokens(this.toTokens(inputs), { ...options, noActions: inputs.actions === null });
  }

  /**
   * Transformer + heads from token embeddings [B, P, d] (DTI's `transformer.run_with_cache(tokens)`
   * followed by `get_logits`). `noActions` selects DTI's 2-token read-out for `actions=None`.
   */
  runFromTokens(tokens: Tensor, options: RunOptions & { noActions?: boolean } = {}): RunResult {
    check(
      tokens.rank === 3 && tokens.shape[2] === this.arch.dModel,
      'BAD_SHAPE',
      () => `tokens must have shape [B, P, ${this.arch.dModel}], got ${shapeString(tokens.shape)}`,
    );
    const fused = options.hooks?.length || options.core === 'hooked' ? null : this.runFused(tokens, options);
    return fused ?? this.runCore(options, tokens.shape[1], (ctx) => runTransformer(ctx, tokens));
  }

  /** A hook-free run on the fused core, or null when there is none or it does not cover the run. */
  private runFused(tokens: Tensor, options: RunOptions & { noActions?: boolean }): RunResult | null {
    if (!this.fusedCore) return null;
    const filter = options.cache ?? false;
    const cache = filter ? this.hookNames.filter((n) => filter === true || matchesFilter(filter, n)) : [];
    const lastPositionOnly = options.lastPositionOnly ?? false;
    this.checkLastPositionRun(options, tokens.shape[1]);
    const fused = this.fusedCore.run(this.arch, this.weights, tokens, { cache, lastPositionOnly });
    if (!fused) return null;
    return {
      ...this.heads(fused.out, options),
      ...(filter && { cache: new ActivationCache(fused.acts, this, tokens.shape[1]) }),
    };
  }

  /**
   * Transformer from `blocks.{layer}.hook_resid_pre` on: `residPre` [B, P, d] is that hook point's
   * input (e.g. a cached clean residual repeated per row), then the heads. Equals the full run whose
   * residual it is; hook points before that one neither fire nor appear in the cache.
   */
  runFromResidual(
    layer: number,
    residPre: Tensor,
    options: RunOptions & { noActions?: boolean } = {},
  ): RunResult {
    return this.runCore(options, residPre.shape[1], (ctx) => runTransformerFrom(ctx, layer, residPre));
  }

  private runCore(
    options: RunOptions & { noActions?: boolean },
    nTokens: number,
    core: (ctx: TransformerContext) => Tensor,
  ): RunResult {
    const lastPositionOnly = options.lastPositionOnly ?? false;
    this.checkLastPositionRun(options, nTokens);
    const hooks = new HookRunner(options.hooks, options.cache ?? false, lastPositionOnly);
    const ctx = { arch: this.arch, weights: this.weights, gemm: this.gemm, hooks, lastPositionOnly };
    return {
      ...this.heads(core(ctx), options),
      ...(options.cache && { cache: new ActivationCache(hooks.cache, this, nTokens) }),
    };
  }

  /** Throws unless a last-position run reads an S token last with the action head only. */
  private checkLastPositionRun(options: RunOptions, nTokens: number): void {
    if (!options.lastPositionOnly) return;
    check(
      tokenKind(nTokens - 1) === 'S',
      'BAD_INPUT',
      `a last-position run needs an S token last (the action is read there); token ${nTokens - 1} is not`,
    );
    check(
      (options.heads ?? ['action']).every((h) => h === 'action'),
      'BAD_INPUT',
      'a last-position run computes only the action head',
    );
  }

  /** The transformer output and the prediction heads read from it (the last S token's action only in a last-position run). */
  private heads(
    transformerOut: Tensor,
    options: RunOptions & { noActions?: boolean },
  ): Omit<RunResult, 'cache'> {
    if (options.lastPositionOnly) {
      const B = transformerOut.shape[0];
      return {
        transformerOut,
        actionPreds: this.headAt(this.weights.actionPredictor, transformerOut, B, 1, () => 0),
      };
    }
    return {
      transformerOut,
      ...this.predict(transformerOut, options.heads ?? ['action'], options.noActions ?? false),
    };
  }

  /** DTI `get_logits` on the transformer output x [B, P, d]. */
  predict(
    x: Tensor,
    heads: readonly PredictionHead[],
    noActions: boolean,
  ): Pick<RunResult, 'actionPreds' | 'statePreds' | 'rewardPreds'> {
    const [B, P] = x.shape;
    if (noActions) {
      check(P % 2 === 0, 'BAD_SHAPE', `without actions the token count must be even, got ${P}`);
      const T = P / 2;
      return heads.includes('action')
        ? { actionPreds: this.head(this.weights.actionPredictor, x, T, 2, 1) }
        : {};
    }
    // P = 3T - 1: DTI appends a copy of x[:, -2] (the last R token) as a fake final A token.
    const padded = P % 3 !== 0 && (P + 1) % 3 === 0;
    const T = padded ? (P + 1) / 3 : P / 3;
    check(Number.isInteger(T), 'BAD_SHAPE', `cannot split ${P} tokens into (R, s, a) triples`);
    const slot = (t: number, k: number) => {
      const p = 3 * t + k;
      return p < P ? p : P - 2;
    };
    const out: Pick<RunResult, 'actionPreds' | 'statePreds' | 'rewardPreds'> = {};
    if (heads.includes('action'))
      out.actionPreds = this.headAt(this.weights.actionPredictor, x, B, T, (t) => slot(t, 1));
    if (heads.includes('state')) {
      const w = this.requireHead(this.weights.statePredictor, 'state');
      out.statePreds = this.headAt(w, x, B, T, (t) => slot(t, 2));
    }
    if (heads.includes('reward')) {
      const w = this.requireHead(this.weights.rewardPredictor, 'reward');
      out.rewardPreds = this.headAt(w, x, B, T, (t) => slot(t, 2));
    }
    return out;
  }

  private requireHead(w: LinearWeights | undefined, name: string): LinearWeights {
    if (!w) throw new DtlensError('UNSUPPORTED', `this checkpoint has no ${name} predictor`);
    return w;
  }

  /** Linear head on x[:, k::stride] for T slots (the 2-token layout). */
  private head(w: LinearWeights, x: Tensor, T: number, stride: number, k: number): Tensor {
    return this.headAt(w, x, x.shape[0], T, (t) => stride * t + k);
  }

  /** Applies a linear head (W [out, d], b [out]) to the token at `position(t)` for each t < T. */
  private headAt(w: LinearWeights, x: Tensor, B: number, T: number, position: (t: number) => number): Tensor {
    const [, P, d] = x.shape;
    const nOut = w.W.shape[0];
    const gathered = new Float32Array(B * T * d);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const src = (b * P + position(t)) * d;
        gathered.set(x.data.subarray(src, src + d), (b * T + t) * d);
      }
    const out = this.gemm.matmul(gathered, w.W.data, B * T, d, nOut, { transB: true });
    if (w.b) for (let r = 0; r < B * T; r++) for (let j = 0; j < nOut; j++) out[r * nOut + j] += w.b.data[j];
    return new Tensor(out, [B, T, nOut]);
  }

  /** Validates input shapes and ranges; returns [B, T]. */
  private checkInputs(inputs: DTInputs): [number, number] {
    const { states, actions, rtgs, timesteps } = inputs;
    const [X, Y, C] = this.arch.obsShape;
    check(
      states.rank === 5 && states.shape[2] === X && states.shape[3] === Y && states.shape[4] === C,
      'BAD_SHAPE',
      () => `states must have shape [B, T, ${X}, ${Y}, ${C}], got ${shapeString(states.shape)}`,
    );
    const [B, T] = states.shape;
    check(T >= 1 && B >= 1, 'BAD_SHAPE', 'states must hold at least one batch item and one timestep');
    check(
      rtgs.length === B * T,
      'BAD_SHAPE',
      () => `rtgs must have B*T = ${B * T} values, got ${rtgs.length}`,
    );
    check(
      timesteps.length === B * T,
      'BAD_SHAPE',
      () => `timesteps must have B*T = ${B * T} values, got ${timesteps.length}`,
    );
    if (actions) {
      const Ta = actions.length / B;
      check(
        Number.isInteger(Ta) && (Ta === 0 || Ta === T - 1 || Ta === T),
        'BAD_SHAPE',
        () =>
          `actions must have shape [B, T-1] (or [B, T], or be empty), got ${actions.length} values for B=${B}, T=${T}`,
      );
      const pad = this.arch.nActions;
      for (const a of actions) {
        check(
          Number.isInteger(a) && a >= 0 && a <= pad,
          'BAD_INPUT',
          () => `action ${a} is outside 0..${pad} (${pad} = padding)`,
        );
      }
      const P = tokenCount(T, Ta);
      check(
        P <= this.arch.nCtx,
        'BAD_SHAPE',
        () => `${T} timesteps make ${P} tokens, more than the context of ${this.arch.nCtx}`,
      );
    }
    check(
      (actions && actions.length > 0) || T === 1,
      'BAD_INPUT',
      () => `without action tokens only one timestep can be embedded (DTI uses [R1, S1]); got T=${T}`,
    );
    this.checkSequences(rtgs, timesteps);
    const badState = firstNonFinite(states.data);
    check(badState < 0, 'BAD_INPUT', () => `states contain a non-finite value (${states.data[badState]})`);
    return [B, T];
  }

  /** Throws unless every return-to-go is finite and every timestep is in the time embedding's range. */
  private checkSequences(rtgs: Float32Array, timesteps: ArrayLike<number>): void {
    const bad = firstNonFinite(rtgs);
    check(bad < 0, 'BAD_INPUT', () => `rtgs contain a non-finite value (${rtgs[bad]})`);
    const maxT = this.maxTimestep;
    for (let i = 0; i < timesteps.length; i++) {
      const t = timesteps[i];
      if (!(t >= 0 && t <= maxT))
        throw new DtlensError('BAD_INPUT', `timestep ${t} is outside the time embedding's range 0..${maxT}`);
    }
  }

  /** Time embeddings for n timesteps: [n, d]. */
  private timeEmbeddings(timesteps: ArrayLike<number>, n: number): Float64Array {
    const d = this.arch.dModel;
    const out = new Float64Array(n * d);
    const emb = this.weights.timeEmbedding;
    if (isLinearTimeEmbedding(emb)) {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < d; j++)
          out[i * d + j] = Math.fround(timesteps[i] * emb.W.data[j]) + (emb.b ? emb.b.data[j] : 0);
    } else {
      for (let i = 0; i < n; i++) out.set(emb.data.subarray(timesteps[i] * d, (timesteps[i] + 1) * d), i * d);
    }
    return out;
  }

  /**
   * State embeddings [n, d] = flatten_chw(obs) @ W_state^T. Observations are sparse (one-hot ones
   * have 3 ones per 20-channel cell), so small batches use a gather over the non-zero entries; large
   * ones a dense product on the GEMM backend when that is cheaper.
   */
  private stateEmbeddings(states: Tensor, n: number): Float32Array {
    const d = this.arch.dModel;
    const W = stateEmbeddingByObsIndex(this.weights.stateEmbedding, this.arch.obsShape);
    const nObs = W.length / d;
    const data = states.data;
    let nonZeros = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nonZeros++;
    const sparseMicros = (nonZeros * d) / SPARSE_LOOP_MACS_PER_MICROSECOND;
    const denseMicros = (n * nObs * d) / this.gemm.macsPerMicrosecond;
    if (denseMicros < sparseMicros) return this.gemm.matmul(data, W, n, nObs, d);
    const out = new Float32Array(n * d);
    const acc = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      acc.fill(0);
      const base = i * nObs;
      for (let k = 0; k < nObs; k++) {
        const v = data[base + k];
        if (v === 0) continue;
        const row = k * d;
        for (let j = 0; j < d; j++) acc[j] += v * W[row + j];
      }
      out.set(acc, i * d);
    }
    return out;
  }
}

/** Multiply-accumulates per microsecond of the sparse gather loop (measured order of magnitude). */
const SPARSE_LOOP_MACS_PER_MICROSECOND = 500;

/** Index of the first non-finite value, or -1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

const byObsIndexCache = new WeakMap<Tensor, Float32Array>();

/**
 * Drops every rearranged copy of the weights the forward pass caches (fused block matrices, the
 * reordered state embedding). Call after updating weights in place, e.g. after an optimiser step.
 */
export function invalidateDerivedWeights(w: DTWeights): void {
  for (const b of w.blocks) invalidateCompiled(b);
  byObsIndexCache.delete(w.stateEmbedding);
}

/**
 * W_state [d, nObs] (columns in (c, x, y) order) as [nObs, d] with rows in the observation's own
 * [x][y][c] order, so a batch of observations multiplies it directly. Cached per weight tensor.
 */
function stateEmbeddingByObsIndex(W: Tensor, [X, Y, C]: readonly [number, number, number]): Float32Array {
  let out = byObsIndexCache.get(W);
  if (!out) {
    const [d, nObs] = W.shape;
    out = new Float32Array(d * nObs);
    for (let x = 0; x < X; x++)
      for (let y = 0; y < Y; y++)
        for (let c = 0; c < C; c++) {
          const row = ((x * Y + y) * C + c) * d;
          const col = c * X * Y + x * Y + y;
          for (let j = 0; j < d; j++) out[row + j] = W.data[j * nObs + col];
        }
    byObsIndexCache.set(W, out);
  }
  return out;
}
