/**
 * Activation patching (TransformerLens 1.2.2 `patching` and DTI's patched copy, `dti_spec.md` §5.4) as
 * sweeps of `set` interventions, in noise mode (run the clean window, patch in corrupted activations;
 * DTI's default) or denoise mode (run the corrupted window, patch in clean ones). Every patched
 * forward of every requested sweep runs in one batched, chunked `runSweep`; each result carries the
 * raw metric of every patched run beside the normalised score, and the two unpatched values.
 *
 * Sweeps (shapes in C order, like TL's results):
 * - `resid_pre|resid_mid|resid_post|attn_out|mlp_out` [layer, pos]: `blocks.l.hook_<act>[:, pos]`
 * - `block_every` [3 (resid_pre, attn_out, mlp_out), layer, pos] (DTI / TL `get_act_patch_block_every`)
 * - `head_out_all_pos` [layer, head]: `attn.hook_z[:, :, h]`; `head_out_by_pos` [layer, pos, head]
 * - `head_all_pos_every` [5 (z, q, k, v, pattern), layer, head]; pattern = `hook_pattern[:, h]`
 * - `head_by_pos_every` [5, layer, pos, head]; pattern patched per destination position
 * - `head_pattern_dest_src` [layer, head, dest, src] (TL `get_act_patch_attn_head_pattern_dest_src_pos`)
 * - `mlp_neurons` [neuron] for one layer: `mlp.hook_post[:, :, n]` (DTI's "MLP - Neuron Detail")
 * - `mlp_neurons_by_pos` [pos, neuron] for one layer
 */
import { check } from '../../errors.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DTInputs, DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { tokenLabels } from '../../model/tokens.ts';
import { type Tensor, shapeString } from '../../tensor/tensor.ts';
import type { JobControl } from '../jobs.ts';
import type { Intervention, InterventionRow } from './intervention.ts';
import { type MetricReader, type MetricSpec, metricReader, metricReadout, recovery } from './metrics.ts';
import { runSweep } from './sweep.ts';

export type PatchMode = 'noise' | 'denoise';
export const PATCH_MODES: readonly PatchMode[] = ['noise', 'denoise'];

export const PATCH_SWEEPS = [
  'resid_pre',
  'resid_mid',
  'resid_post',
  'attn_out',
  'mlp_out',
  'block_every',
  'head_out_all_pos',
  'head_out_by_pos',
  'head_all_pos_every',
  'head_by_pos_every',
  'head_pattern_dest_src',
  'mlp_neurons',
  'mlp_neurons_by_pos',
] as const;
export type PatchSweepKind = (typeof PATCH_SWEEPS)[number];

export interface PatchSweepRequest {
  kind: PatchSweepKind;
  /** The MLP layer of `mlp_neurons*` sweeps. */
  layer?: number;
}

/** A clean/corrupted pair run once each with a full cache. */
export interface PatchPair {
  clean: RunResult;
  corrupted: RunResult;
  cleanInputs: DTInputs;
  corruptedInputs: DTInputs;
  /** Token embeddings [1, P, d] of each window */
  cleanTokens: Tensor;
  corruptedTokens: Tensor;
  tokenLabels: string[];
  /** True when both windows give the same tokens (every patch is then a no-op). */
  identical: boolean;
}

export interface PatchAxis {
  name: string;
  labels: string[];
}

export interface PatchingResult {
  sweep: PatchSweepRequest;
  mode: PatchMode;
  /** e.g. "logit difference left − right" */
  metric: string;
  axes: PatchAxis[];
  shape: number[];
  /** Normalised score per patched run, C order over `axes` (0 = unpatched, 1 = fully the source run). */
  score: Float32Array;
  /** Raw metric of each patched run (e.g. its logit difference). */
  patched: Float32Array;
  /** Raw metric of the unpatched clean and corrupted runs. */
  clean: number;
  corrupted: number;
  /** For the RTG metric on models with a reward head: reward predictions (patched, clean, corrupted). */
  extra?: { label: string; patched: Float32Array; clean: number; corrupted: number };
}

/** Runs both windows of a pair (same shapes required) with a full cache. */
export function patchPair(model: DecisionTransformer, clean: DTInputs, corrupted: DTInputs): PatchPair {
  const shapes = (x: DTInputs) =>
    `${shapeString(x.states.shape)} ${x.actions?.length ?? 'none'} ${x.rtgs.length} ${x.timesteps.length}`;
  check(
    shapes(clean) === shapes(corrupted) && clean.states.shape[0] === 1,
    'BAD_SHAPE',
    () =>
      `clean and corrupted must be single windows of one shape; got ${shapes(clean)} and ${shapes(corrupted)}`,
  );
  const heads = model.weights.rewardPredictor ? (['action', 'reward'] as const) : (['action'] as const);
  // On the hooked core, as the patched runs: an identity patch reproduces these runs bit for bit.
  const c = model.run(clean, { cache: true, heads, core: 'hooked' });
  const k = model.run(corrupted, { cache: true, heads, core: 'hooked' });
  const P = c.transformerOut.shape[1];
  const cleanTokens = model.toTokens(clean);
  const corruptedTokens = model.toTokens(corrupted);
  return {
    clean: c,
    corrupted: k,
    cleanInputs: clean,
    corruptedInputs: corrupted,
    cleanTokens,
    corruptedTokens,
    tokenLabels: tokenLabels(P),
    identical: cleanTokens.data.every((v, i) => v === corruptedTokens.data[i]),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const HEAD_ACTS = ['z', 'q', 'k', 'v', 'pattern'] as const;
const BLOCK_ACTS = ['resid_pre', 'attn_out', 'mlp_out'] as const;

const hookOf = (act: string, l: number): string =>
  ['z', 'q', 'k', 'v', 'pattern'].includes(act) ? `blocks.${l}.attn.hook_${act}` : `blocks.${l}.hook_${act}`;

/** Axes and rows of one sweep (rows in C order over the axes); `source` names the patched-in cache. */
export function patchSweepRows(
  req: PatchSweepRequest,
  arch: DTArchitecture,
  labels: string[],
  source: string,
): { axes: PatchAxis[]; rows: InterventionRow[] } {
  const { nLayers: L, nHeads: H, dMlp: m } = arch;
  const P = labels.length;
  const set = (hook: string, where: Intervention['where']): InterventionRow => [
    { hook, op: { kind: 'set', source }, where },
  ];
  const layerAxis = { name: 'layer', labels: range(L).map(String) };
  const posAxis = { name: 'position', labels };
  const headAxis = { name: 'head', labels: range(H).map(String) };
  const layerPos = (act: string) =>
    range(L).flatMap((l) => range(P).map((p) => set(hookOf(act, l), { positions: [p] })));
  const headAll = (act: string) =>
    range(L).flatMap((l) => range(H).map((h) => set(hookOf(act, l), { heads: [h] })));
  const headByPos = (act: string) =>
    range(L).flatMap((l) =>
      range(P).flatMap((p) =>
        range(H).map((h) =>
          set(hookOf(act, l), act === 'pattern' ? { heads: [h], dest: [p] } : { heads: [h], positions: [p] }),
        ),
      ),
    );
  const neuronLayer = () => {
    const l = req.layer ?? 0;
    check(Number.isInteger(l) && l >= 0 && l < L, 'BAD_INPUT', `MLP layer ${l} is outside 0..${L - 1}`);
    return l;
  };
  const neuronAxis = { name: 'neuron', labels: range(m).map(String) };
  switch (req.kind) {
    case 'resid_pre':
    case 'resid_mid':
    case 'resid_post':
    case 'attn_out':
    case 'mlp_out':
      return { axes: [layerAxis, posAxis], rows: layerPos(req.kind) };
    case 'block_every':
      return {
        axes: [{ name: 'component', labels: [...BLOCK_ACTS] }, layerAxis, posAxis],
        rows: BLOCK_ACTS.flatMap(layerPos),
      };
    case 'head_out_all_pos':
      return { axes: [layerAxis, headAxis], rows: headAll('z') };
    case 'head_out_by_pos':
      return { axes: [layerAxis, posAxis, headAxis], rows: headByPos('z') };
    case 'head_all_pos_every':
      return {
        axes: [{ name: 'activation', labels: [...HEAD_ACTS] }, layerAxis, headAxis],
        rows: HEAD_ACTS.flatMap(headAll),
      };
    case 'head_by_pos_every':
      return {
        axes: [{ name: 'activation', labels: [...HEAD_ACTS] }, layerAxis, posAxis, headAxis],
        rows: HEAD_ACTS.flatMap(headByPos),
      };
    case 'head_pattern_dest_src':
      return {
        axes: [layerAxis, headAxis, { name: 'destination', labels }, { name: 'source', labels }],
        rows: range(L).flatMap((l) =>
          range(H).flatMap((h) =>
            range(P).flatMap((dst) =>
              range(P).map((s) => set(hookOf('pattern', l), { heads: [h], dest: [dst], src: [s] })),
            ),
          ),
        ),
      };
    case 'mlp_neurons': {
      const l = neuronLayer();
      return {
        axes: [neuronAxis],
        rows: range(m).map((n) => set(`blocks.${l}.mlp.hook_post`, { neurons: [n] })),
      };
    }
    case 'mlp_neurons_by_pos': {
      const l = neuronLayer();
      return {
        axes: [posAxis, neuronAxis],
        rows: range(P).flatMap((p) =>
          range(m).map((n) => set(`blocks.${l}.mlp.hook_post`, { positions: [p], neurons: [n] })),
        ),
      };
    }
  }
}

export interface PatchingOptions extends JobControl {
  metric?: MetricSpec;
}

/**
 * Every requested sweep in `mode` as one batched sweep. Returns one result per request, in order.
 */
export async function activationPatching(
  model: DecisionTransformer,
  pair: PatchPair,
  mode: PatchMode,
  requests: readonly PatchSweepRequest[],
  options: PatchingOptions = {},
): Promise<PatchingResult[]> {
  check(requests.length > 0, 'BAD_INPUT', 'no patching sweep was requested');
  check(PATCH_MODES.includes(mode), 'BAD_INPUT', `mode must be noise or denoise, got '${mode}'`);
  const [runOn, source] = mode === 'noise' ? ['clean', 'corrupted'] : ['corrupted', 'clean'];
  const reader: MetricReader = metricReader(model, options.metric ?? { kind: 'logit-diff' }, pair.clean);
  if (reader.spec.kind === 'rtg') checkRtgOnly(pair);
  const built = requests.map((req) => patchSweepRows(req, model.arch, pair.tokenLabels, source));
  const rows = built.flatMap((b) => b.rows);
  // Raw values in float64 so that the scores are not rounded twice.
  const patched = new Float64Array(rows.length);
  const extra = reader.extra ? new Float64Array(rows.length) : undefined;
  const noActions = pair.cleanInputs.actions === null;
  await runSweep(
    model,
    { tokens: mode === 'noise' ? pair.cleanTokens : pair.corruptedTokens, noActions },
    rows,
    (run, ids) =>
      ids.forEach((r, i) => {
        patched[r] = reader.read(run, i);
        if (extra) extra[r] = reader.extra!.read(run, i);
      }),
    {
      ...options,
      sources: { clean: pair.clean.cache!, corrupted: pair.corrupted.cache! },
      cache: reader.cache,
      heads: reader.heads,
      base: (mode === 'noise' ? pair.clean : pair.corrupted).cache,
      readout: metricReadout(reader, pair.tokenLabels.length),
    },
  );
  const vClean = reader.read(pair.clean, 0);
  const vCorrupted = reader.read(pair.corrupted, 0);
  const [vRun, vSource] = runOn === 'clean' ? [vClean, vCorrupted] : [vCorrupted, vClean];
  let offset = 0;
  return built.map(({ axes }, i) => {
    const n = axes.reduce((p, a) => p * a.labels.length, 1);
    const raw = patched.slice(offset, offset + n);
    const result: PatchingResult = {
      sweep: requests[i],
      mode,
      metric: reader.label,
      axes,
      shape: axes.map((a) => a.labels.length),
      score: Float32Array.from(raw, (v) => recovery(v, vRun, vSource)),
      patched: Float32Array.from(raw),
      clean: vClean,
      corrupted: vCorrupted,
    };
    if (extra)
      result.extra = {
        label: reader.extra!.label,
        patched: Float32Array.from(extra.subarray(offset, offset + n)),
        clean: reader.extra!.read(pair.clean, 0),
        corrupted: reader.extra!.read(pair.corrupted, 0),
      };
    offset += n;
    return result;
  });
}

/** The RTG metric needs a pair that differs only in its RTG tokens. */
function checkRtgOnly(pair: PatchPair): void {
  const a = pair.cleanInputs;
  const b = pair.corruptedInputs;
  const same = (x: ArrayLike<number> | null, y: ArrayLike<number> | null) =>
    x === y ||
    (x !== null && y !== null && x.length === y.length && Array.from(x).every((v, i) => v === y[i]));
  check(
    same(a.states.data, b.states.data) && same(a.actions, b.actions) && same(a.timesteps, b.timesteps),
    'BAD_INPUT',
    'the RTG metric needs a corruption of the RTG tokens only (states, actions and timesteps must match)',
  );
}
