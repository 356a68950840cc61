/**
 * Path patching (two passes; Wang et al. 2022, DTI `patching.path_patch`, `dti_spec.md` §5.4). For
 * each sender node s and a set of receiver nodes R:
 *  1. run the clean window with every attention head's `hook_z` frozen to the clean run and s set to
 *     the corrupted run (the time embedding: to the clean window's tokens with the corrupted
 *     timesteps); keep the receivers' activations;
 *  2. run the clean window with the receivers set to those values and read the logit difference.
 * Only the direct paths s -> R (through the residual stream and MLPs, not through other heads) carry
 * the corruption. Each pass is one batched sweep (`runSweep`) over the whole sender set.
 *
 * Heads of layers before the sender's are not frozen: they read the clean residual there, so they
 * already hold their clean values (and the sweep can start from the cached clean residual). When the
 * only receiver is the final residual (`blocks.{L−1}.hook_resid_post`, all positions), pass 2 would
 * feed ln_final the same residual, so pass 1's output is used directly.
 *
 * Results: DTI's metric `m = (v − v_corrupted) / (v_clean − v_corrupted)` per sender (1 = clean, 0 =
 * fully corrupted; v = the logit difference by default, any metric of `metrics.ts`) and `1 − m`, what
 * DTI plots.
 */
import { check } from '../../errors.ts';
import { ActivationCache } from '../../model/activationCache.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import { hookNames } from '../../model/architecture.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { JobControl } from '../jobs.ts';
import { type MetricSpec, metricReader, metricReadout, recovery } from './metrics.ts';
import type { PatchPair } from './patching.ts';
import {
  type Intervention,
  type InterventionRow,
  type InterventionWhere,
  hookLayer,
  validateIntervention,
} from './intervention.ts';
import { runSweep } from './sweep.ts';

/** A model node: a hook point and the elements of it (positions, heads) that belong to the node. */
export interface PathNode {
  hook: string;
  where?: InterventionWhere;
  label: string;
  /**
   * As a sender: the source cache its corrupted value comes from (default `corrupted`, the corrupted
   * run); `TIME_SOURCE` for the time embedding.
   */
  source?: string;
}

/**
 * Source of the time-embedding sender: `hook_embed` of the clean window with the corrupted window's
 * timesteps (its R, S and A embeddings clean, its time embedding corrupted).
 */
export const TIME_SOURCE = 'time';

function timeSource(model: DecisionTransformer, pair: PatchPair): ActivationCache {
  const tokens = model.toTokens({ ...pair.cleanInputs, timesteps: pair.corruptedInputs.timesteps });
  return new ActivationCache(new Map([['hook_embed', tokens]]), model);
}

export interface PathPatchResult {
  senders: string[];
  receivers: string[];
  /** [nSenders] DTI's metric m = (v − v_corrupted) / (v_clean − v_corrupted) */
  metric: Float64Array;
  /** [nSenders] 1 − m, as DTI's app plots it (0 = no effect, 1 = the full corruption) */
  plotted: Float64Array;
  /** [nSenders] raw metric of each path-patched run (e.g. its logit difference) */
  values: Float64Array;
  /** Raw metric of the clean and corrupted runs */
  clean: number;
  corrupted: number;
  /** e.g. "logit difference left − right" */
  metricLabel: string;
}

/** Position of a hook in the forward order (for "receiver earlier than sender" checks). */
const forwardIndex = (arch: DTArchitecture, hook: string): number => hookNames(arch).indexOf(hook);

/** The final residual (what ln_final reads): `blocks.{L−1}.hook_resid_post`, all positions. */
export const finalResidual = (arch: DTArchitecture): PathNode => ({
  hook: `blocks.${arch.nLayers - 1}.hook_resid_post`,
  label: 'final residual',
});

/** True if a receiver node runs before the sender's hook (no path from sender to receiver). */
export function receiverPrecedes(arch: DTArchitecture, sender: PathNode, receiver: PathNode): boolean {
  return forwardIndex(arch, receiver.hook) < forwardIndex(arch, sender.hook);
}

/** Pass-1 row: heads from the sender's layer on frozen to clean, then the sender set to corrupted. */
function senderRow(arch: DTArchitecture, sender: PathNode): InterventionRow {
  const from = Math.max(0, hookLayer(sender.hook, arch.nLayers));
  const freeze: Intervention[] = [];
  for (let l = from; l < arch.nLayers; l++)
    freeze.push({ hook: `blocks.${l}.attn.hook_z`, op: { kind: 'set', source: 'clean' } });
  const op = { kind: 'set', source: sender.source ?? 'corrupted' } as const;
  return [...freeze, { hook: sender.hook, op, where: sender.where }];
}

export interface PathPatchOptions extends JobControl {
  /** Default: the logit difference left − right (DTI). */
  metric?: MetricSpec;
  /**
   * `error` (default): a receiver that runs before a sender is BAD_INPUT. `skip`: such receivers are
   * left out for that sender (DTI patches them with their step-1 value, which is their clean value, a
   * no-op) and a sender with no receiver after it keeps the clean run (m = 1).
   */
  unreachable?: 'error' | 'skip';
}

/**
 * Path patching of every sender to the receiver set (together). Throws BAD_INPUT for an empty sender or
 * receiver set and (unless `unreachable: 'skip'`) for a receiver that runs before a sender.
 */
export async function pathPatch(
  model: DecisionTransformer,
  pair: PatchPair,
  senders: readonly PathNode[],
  receivers: readonly PathNode[],
  options: PathPatchOptions = {},
): Promise<PathPatchResult> {
  const { arch } = model;
  const { unreachable = 'error', metric: spec, ...control } = options;
  const P = pair.cleanTokens.shape[1];
  const reader = metricReader(model, spec ?? { kind: 'logit-diff' }, pair.clean);
  const clean = reader.read(pair.clean, 0);
  const corrupted = reader.read(pair.corrupted, 0);
  check(senders.length > 0, 'BAD_INPUT', 'path patching needs at least one sender');
  check(receivers.length > 0, 'BAD_INPUT', 'path patching needs at least one receiver');
  for (const node of [...senders, ...receivers])
    validateIntervention({ hook: node.hook, op: { kind: 'zero' }, where: node.where }, arch, P);
  // Receivers after each sender.
  const reach = senders.map((s) =>
    receivers.filter((r) => {
      const before = receiverPrecedes(arch, s, r);
      check(
        !before || unreachable === 'skip',
        'BAD_INPUT',
        () => `receiver ${r.label} (${r.hook}) runs before sender ${s.label} (${s.hook}): there is no path`,
      );
      return !before;
    }),
  );
  const run = senders.map((_, i) => i).filter((i) => reach[i].length > 0);
  const values = new Float64Array(senders.length).fill(clean);
  const base = { tokens: pair.cleanTokens, noActions: pair.cleanInputs.actions === null };
  const sources = {
    clean: pair.clean.cache!,
    corrupted: pair.corrupted.cache!,
    ...(senders.some((s) => s.source === TIME_SOURCE) && { [TIME_SOURCE]: timeSource(model, pair) }),
  };
  const readAll = (result: RunResult, ids: readonly number[]) =>
    ids.forEach((r, k) => (values[run[r]] = reader.read(result, k)));
  // Runs that only feed the metric compute just what the last token needs (`metricReadout`); pass 1
  // towards other receivers keeps every position for them.
  const runOptions = { heads: reader.heads };
  const readout = metricReadout(reader, P);
  const final = finalResidual(arch);
  const direct = receivers.every((r) => r.hook === final.hook && r.where === undefined);
  const receiverHooks = [...new Set(receivers.map((r) => r.hook))];
  const paths = new Map<string, Tensor>();
  const n = run.length;
  const passes = direct ? 1 : 2;
  const progress = (pass: number) => (done: number, total: number) =>
    control.onProgress?.((pass * total + done) / passes, total);

  if (n > 0)
    await runSweep(
      model,
      base,
      run.map((i) => senderRow(arch, senders[i])),
      (result, rows) => {
        if (direct) return readAll(result, rows);
        // A receiver before this group's start layer is not cached: it precedes these senders.
        for (const hook of receiverHooks.filter((h) => result.cache!.has(h))) {
          const act = result.cache!.get(hook);
          const rowSize = act.size / act.shape[0];
          let all = paths.get(hook);
          if (!all) {
            all = new Tensor(new Float32Array(n * rowSize), [n, ...act.shape.slice(1)]);
            paths.set(hook, all);
          }
          rows.forEach((r, k) =>
            all!.data.set(act.data.subarray(k * rowSize, (k + 1) * rowSize), r * rowSize),
          );
        }
      },
      {
        ...control,
        ...runOptions,
        sources,
        cache: direct ? reader.cache : [...receiverHooks, ...reader.cache],
        readout: direct ? readout : 'all',
        onProgress: progress(0),
      },
    );

  if (n > 0 && !direct) {
    const rows = run.map((i, k) =>
      reach[i].map((r) => ({
        hook: r.hook,
        op: { kind: 'set' as const, source: 'paths', row: k },
        where: r.where,
      })),
    );
    await runSweep(model, base, rows, readAll, {
      ...control,
      ...runOptions,
      cache: reader.cache,
      readout,
      sources: { paths: new ActivationCache(paths, model) },
      onProgress: progress(1),
    });
  }
  const metric = values.map((v) => recovery(v, corrupted, clean));
  return {
    senders: senders.map((s) => s.label),
    receivers: receivers.map((r) => r.label),
    metric,
    plotted: metric.map((m) => 1 - m),
    values,
    clean,
    corrupted,
    metricLabel: reader.label,
  };
}
