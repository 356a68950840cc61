/**
 * The one hook runner of the causal layer: turns sweep rows (lists of interventions) into hooks for a
 * batched run in which batch row b gets exactly the interventions of `rows[b]`, applied in place and in
 * order at their hook points. Rows without interventions at a hook are not touched.
 */
import { DtlensError, check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { Hook, HookContext } from '../../model/hooks.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { numelOf } from '../../tensor/tensor.ts';
import {
  type Intervention,
  type InterventionRow,
  LAYOUT_AXES,
  hookLayout,
  hookRowShape,
  sourcesOf,
  validateIntervention,
} from './intervention.ts';

/** Named activation caches the interventions read (`set`, `add` from sources, dataset means, resampling). */
export type SourceCaches = Readonly<Record<string, ActivationCache>>;

/** The position axis of a layout (the destination axis for attention patterns and scores). */
const positionAxis = (hook: string): number => (hookLayout(hook) === 'pattern' ? 1 : 0);

/** Flat offsets (within one batch row) of the elements an intervention selects. */
export function selectedOffsets(iv: Intervention, rowShape: readonly number[]): Int32Array {
  return selection(iv, rowShape).full;
}

/**
 * The selected elements' offsets in the full row and, when the activation holds only the positions
 * `held` (see `HookContext.positions`), in the reduced row (other positions are dropped).
 */
function selection(
  iv: Intervention,
  rowShape: readonly number[],
  held?: readonly number[],
): { full: Int32Array; reduced: Int32Array } {
  const axes = LAYOUT_AXES[hookLayout(iv.hook)];
  const posAxis = positionAxis(iv.hook);
  const lists = rowShape.map((n, a) => {
    const key = axes[a];
    const chosen = key === 'last' ? undefined : iv.where?.[key];
    const all = chosen ?? Array.from({ length: n }, (_, i) => i);
    return held && a === posAxis ? all.filter((p) => held.includes(p)) : all;
  });
  const reducedShape = rowShape.map((n, a) => (held && a === posAxis ? held.length : n));
  const strides = rowShape.map((_, a) => numelOf(rowShape.slice(a + 1)));
  const reducedStrides = reducedShape.map((_, a) => numelOf(reducedShape.slice(a + 1)));
  const count = lists.reduce((p, l) => p * l.length, 1);
  const full = new Int32Array(count);
  const reduced = new Int32Array(count);
  let k = 0;
  const walk = (axis: number, base: number, red: number): void => {
    if (axis === lists.length) {
      full[k] = base;
      reduced[k++] = red;
      return;
    }
    for (const i of lists[axis]) {
      const r = held && axis === posAxis ? held.indexOf(i) : i;
      walk(axis + 1, base + i * strides[axis], red + r * reducedStrides[axis]);
    }
  };
  walk(0, 0, 0);
  return { full, reduced };
}

/** mulberry32: the resample row of a seed (deterministic, isomorphic). */
function seededIndex(seed: number, n: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

/** A compiled intervention: applies itself to batch row `b` of an activation [B, ...rowShape]. */
type Apply = (act: Float32Array, base: number) => void;

function sourceActivation(sources: SourceCaches, name: string, hook: string, rowSize: number): Tensor {
  const cache = sources[name];
  check(cache !== undefined, 'BAD_INPUT', () => `no source cache named "${name}" was given`);
  const t = cache.get(hook);
  check(
    t.size % rowSize === 0 && t.size > 0,
    'BAD_SHAPE',
    () =>
      `source "${name}" has ${hook} of shape [${t.shape.join(', ')}], which does not fit rows of ${rowSize} values (a window of another length or model?)`,
  );
  return t;
}

function sourceRow(t: Tensor, rowSize: number, row: number, name: string): Float32Array {
  const rows = t.size / rowSize;
  check(row < rows, 'BAD_INPUT', () => `source "${name}" has ${rows} row(s); row ${row} was asked for`);
  return t.data.subarray(row * rowSize, (row + 1) * rowSize);
}

/**
 * Compiles one intervention for activations holding every position, or only `held` ones (then `act`
 * offsets are into the reduced row, source offsets into the full one).
 */
function compile(
  iv: Intervention,
  arch: DTArchitecture,
  nTokens: number,
  sources: SourceCaches,
  held?: readonly number[],
): Apply {
  const shape = hookRowShape(iv.hook, arch, nTokens);
  const rowSize = numelOf(shape);
  const { full: srcIdx, reduced: idx } = selection(iv, shape, held);
  const last = shape[shape.length - 1];
  const op = iv.op;
  const src = (name: string) => sourceActivation(sources, name, iv.hook, rowSize);
  switch (op.kind) {
    case 'set':
    case 'resample': {
      const t = src(op.source);
      const row = op.kind === 'set' ? (op.row ?? 0) : seededIndex(op.seed, t.size / rowSize);
      const from = sourceRow(t, rowSize, row, op.source);
      return (act, base) => {
        for (let i = 0; i < idx.length; i++) act[base + idx[i]] = from[srcIdx[i]];
      };
    }
    case 'zero':
      return (act, base) => {
        for (const o of idx) act[base + o] = 0;
      };
    case 'scale':
      return (act, base) => {
        for (const o of idx) act[base + o] *= op.factor;
      };
    case 'add': {
      const c = op.coefficient ?? 1;
      let delta: (o: number) => number;
      if (Array.isArray(op.vector)) {
        const v = op.vector;
        check(
          v.length === last,
          'BAD_SHAPE',
          () => `add: the vector has ${v.length} values; ${iv.hook} needs ${last} (its last axis)`,
        );
        delta = (o) => v[o % last];
      } else {
        const plus = sourceRow(src(op.vector.source), rowSize, 0, op.vector.source);
        const minusName = op.vector.minus;
        const minus = minusName ? sourceRow(src(minusName), rowSize, 0, minusName) : null;
        delta = minus ? (o) => plus[o] - minus[o] : (o) => plus[o];
      }
      const add = Float32Array.from(srcIdx, (o) => c * delta(o));
      return (act, base) => {
        for (let i = 0; i < idx.length; i++) act[base + idx[i]] += add[i];
      };
    }
    case 'mean': {
      if (op.over === 'dataset') {
        const t = src(op.source);
        const rows = t.size / rowSize;
        const mean = Float32Array.from(srcIdx, (o) => {
          let s = 0;
          for (let r = 0; r < rows; r++) s += t.data[r * rowSize + o];
          return s / rows;
        });
        return (act, base) => {
          for (let i = 0; i < idx.length; i++) act[base + idx[i]] = mean[i];
        };
      }
      if (op.over === 'own') {
        // DTI: each vector (last axis) replaced by its own mean, broadcast.
        return (act, base) => {
          const means = new Map<number, number>();
          for (const o of idx) {
            const start = o - (o % last);
            if (!means.has(start)) {
              let s = 0;
              for (let j = 0; j < last; j++) s += act[base + start + j];
              means.set(start, s / last);
            }
          }
          for (const o of idx) act[base + o] = means.get(o - (o % last))!;
        };
      }
      check(
        LAYOUT_AXES[hookLayout(iv.hook)][0] === 'positions',
        'BAD_INPUT',
        () => `mean over the window needs a position axis; ${iv.hook} has none`,
      );
      check(
        held === undefined,
        'UNSUPPORTED',
        () => `mean over the window at ${iv.hook} needs every position (not a last-position run)`,
      );
      // Mean over positions of this row's activation, for each remaining index.
      const P = shape[0];
      const perPos = rowSize / P;
      return (act, base) => {
        const mean = new Float64Array(perPos);
        for (let p = 0; p < P; p++) for (let j = 0; j < perPos; j++) mean[j] += act[base + p * perPos + j];
        for (const o of idx) act[base + o] = mean[o % perPos] / P;
      };
    }
  }
}

/**
 * Hooks applying `rows[b]` to batch row b of a run over `nTokens` positions (one hook per hook name).
 * Validates every intervention; source caches are read once here; a missing source or hook raises
 * BAD_INPUT before the run.
 */
export function interventionHooks(
  rows: readonly InterventionRow[],
  arch: DTArchitecture,
  nTokens: number,
  sources: SourceCaches = {},
): Hook[] {
  const byHook = new Map<string, Array<{ row: number; iv: Intervention; apply: Apply }>>();
  rows.forEach((row, b) => {
    for (const iv of row) {
      validateIntervention(iv, arch, nTokens);
      for (const s of sourcesOf(iv))
        if (!(s in sources)) throw new DtlensError('BAD_INPUT', `no source cache named "${s}" was given`);
      const list = byHook.get(iv.hook) ?? [];
      list.push({ row: b, iv, apply: compile(iv, arch, nTokens, sources) });
      byHook.set(iv.hook, list);
    }
  });
  return [...byHook].map(([hook, list]) => {
    const rowShape = hookRowShape(hook, arch, nTokens);
    let reduced: { held: readonly number[]; applies: Apply[] } | undefined;
    return {
      name: hook,
      fn: (act: Tensor, ctx: HookContext) => {
        const held = ctx.positions;
        const rowSize = held
          ? (numelOf(rowShape) / rowShape[positionAxis(hook)]) * held.length
          : numelOf(rowShape);
        check(
          act.size === rows.length * rowSize,
          'BAD_SHAPE',
          () => `${hook} has ${act.size} values; ${rows.length} rows of ${rowSize} were expected`,
        );
        if (!held) {
          for (const { row, apply } of list) apply(act.data, row * rowSize);
          return;
        }
        if (reduced?.held !== held)
          reduced = { held, applies: list.map(({ iv }) => compile(iv, arch, nTokens, sources, held)) };
        list.forEach(({ row }, i) => reduced!.applies[i](act.data, row * rowSize));
      },
    };
  });
}
