/**
 * Interventions as data. An `Intervention` names a TransformerLens hook point, an operation and where
 * in the activation it applies; it is plain JSON (for the URL, the CLI and saved experiments). A
 * sweep row is a list of interventions applied together (composition, in order); a sweep is a list of
 * rows run as one batched forward (`runSweep`), each row getting only its own interventions.
 *
 * Activation layouts per batch row (TL 1.2.2): residual-like hooks (`hook_embed`, `hook_pos_embed`,
 * `hook_resid_pre|mid|post`, `hook_attn_out`, `hook_mlp_out`, `*.hook_normalized`) [pos, d];
 * `*.hook_scale` [pos, 1]; `attn.hook_q|k|v|z|result` [pos, head, d_head];
 * `attn.hook_pattern|attn_scores` [head, dest, src]; `mlp.hook_pre|mid|post` [pos, neuron].
 */
import { DtlensError, check } from '../../errors.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import { hookNames } from '../../model/architecture.ts';

/** What to do with the selected elements. Sources are named caches supplied when the sweep runs. */
export type InterventionOp =
  /** Overwrite with the same hook's activation in a source cache (activation patching). */
  | { kind: 'set'; source: string; row?: number }
  /** Add `coefficient` times a vector: a literal broadcast along the last axis, or `source − minus`. */
  | { kind: 'add'; coefficient?: number; vector: number[] | { source: string; minus?: string } }
  | { kind: 'zero' }
  /**
   * Mean ablation: `dataset` = mean over the rows of a source cache (per element); `window` = mean
   * over the window's positions (this row's own activation); `own` = DTI's ablation, the mean of each
   * vector over its last axis (d_head or d_model), broadcast.
   */
  | { kind: 'mean'; over: 'dataset'; source: string }
  | { kind: 'mean'; over: 'window' | 'own' }
  /** Overwrite with a seeded random row of a batched source cache (resample ablation). */
  | { kind: 'resample'; source: string; seed: number }
  | { kind: 'scale'; factor: number };

/** Index sets per axis; an absent key means every index of that axis. */
export interface InterventionWhere {
  /** Token positions (every layout with a position axis). */
  positions?: number[];
  /** Attention heads (`attn.*` hooks). */
  heads?: number[];
  /** MLP neurons (`mlp.*` hooks). */
  neurons?: number[];
  /** Destination (query) positions of `hook_pattern` / `hook_attn_scores`. */
  dest?: number[];
  /** Source (key) positions of `hook_pattern` / `hook_attn_scores`. */
  src?: number[];
}

export interface Intervention {
  /** Full TransformerLens hook name, e.g. `blocks.1.attn.hook_z`. */
  hook: string;
  op: InterventionOp;
  where?: InterventionWhere;
}

/** Interventions applied together to one batch row (empty = an untouched run). */
export type InterventionRow = readonly Intervention[];

export type HookLayout = 'resid' | 'scale' | 'heads' | 'pattern' | 'neurons';

/** Axis names of each layout (per batch row), in memory order. */
export const LAYOUT_AXES: Record<HookLayout, readonly (keyof InterventionWhere | 'last')[]> = {
  resid: ['positions', 'last'],
  scale: ['positions', 'last'],
  heads: ['positions', 'heads', 'last'],
  pattern: ['heads', 'dest', 'src'],
  neurons: ['positions', 'neurons'],
};

/** Layout of a hook point's activation. */
export function hookLayout(hook: string): HookLayout {
  if (/\.hook_scale$/.test(hook)) return 'scale';
  if (/attn\.hook_(pattern|attn_scores)$/.test(hook)) return 'pattern';
  if (/attn\.hook_(q|k|v|z|result)$/.test(hook)) return 'heads';
  if (/mlp\.hook_(pre|mid|post)$/.test(hook)) return 'neurons';
  return 'resid';
}

/**
 * First layer whose computation a hook changes: `blocks.L.*` -> L, `ln_final.*` -> nLayers, and
 * -1 for `hook_embed` / `hook_pos_embed` (the run must start from the tokens).
 */
export function hookLayer(hook: string, nLayers: number): number {
  const m = /^blocks\.(\d+)\./.exec(hook);
  if (m) return Number(m[1]);
  return hook.startsWith('ln_final.') ? nLayers : -1;
}

/** Axis sizes per batch row of a hook's activation for `nTokens` positions. */
export function hookRowShape(hook: string, arch: DTArchitecture, nTokens: number): number[] {
  const P = nTokens;
  switch (hookLayout(hook)) {
    case 'resid':
      return [P, arch.dModel];
    case 'scale':
      return [P, 1];
    case 'heads':
      return [P, arch.nHeads, hook.endsWith('hook_result') ? arch.dModel : arch.dHead];
    case 'pattern':
      return [arch.nHeads, P, P];
    case 'neurons':
      return [P, arch.dMlp];
  }
}

const OP_KINDS = ['set', 'add', 'zero', 'mean', 'resample', 'scale'] as const;
const WHERE_KEYS: readonly (keyof InterventionWhere)[] = ['positions', 'heads', 'neurons', 'dest', 'src'];

/**
 * Checks an intervention against a model and window length: the hook exists, the op is well formed,
 * every index is in range and each `where` key fits the hook's layout. Throws BAD_INPUT naming the
 * problem.
 */
export function validateIntervention(iv: Intervention, arch: DTArchitecture, nTokens: number): void {
  check(
    hookNames(arch).includes(iv.hook),
    'BAD_INPUT',
    () => `unknown hook point "${iv.hook}" for this model (e.g. blocks.0.hook_resid_pre)`,
  );
  const layout = hookLayout(iv.hook);
  const axes = LAYOUT_AXES[layout];
  const shape = hookRowShape(iv.hook, arch, nTokens);
  for (const key of WHERE_KEYS) {
    const idx = iv.where?.[key];
    if (idx === undefined) continue;
    const axis = axes.indexOf(key);
    check(axis >= 0, 'BAD_INPUT', () => `"${key}" does not apply to ${iv.hook} (axes: ${axes.join(', ')})`);
    check(Array.isArray(idx) && idx.length > 0, 'BAD_INPUT', () => `where.${key} must be a non-empty list`);
    for (const i of idx)
      check(
        Number.isInteger(i) && i >= 0 && i < shape[axis],
        'BAD_INPUT',
        () => `where.${key} index ${i} is outside 0..${shape[axis] - 1} for ${iv.hook}`,
      );
  }
  validateOp(iv.op);
}

function validateOp(op: InterventionOp): void {
  check(
    typeof op === 'object' && op !== null && (OP_KINDS as readonly string[]).includes(op.kind),
    'BAD_INPUT',
    () => `intervention op must be one of ${OP_KINDS.join(', ')}, got ${JSON.stringify(op)}`,
  );
  const name = (s: unknown, what: string) =>
    check(typeof s === 'string' && s.length > 0, 'BAD_INPUT', `${op.kind}: ${what} must be a source name`);
  const finite = (x: unknown, what: string) =>
    check(
      typeof x === 'number' && Number.isFinite(x),
      'BAD_INPUT',
      `${op.kind}: ${what} must be a finite number`,
    );
  switch (op.kind) {
    case 'set':
      name(op.source, 'source');
      if (op.row !== undefined)
        check(Number.isInteger(op.row) && op.row >= 0, 'BAD_INPUT', 'set: row must be an integer >= 0');
      return;
    case 'add':
      if (op.coefficient !== undefined) finite(op.coefficient, 'coefficient');
      if (Array.isArray(op.vector)) {
        check(op.vector.length > 0, 'BAD_INPUT', 'add: the vector is empty');
        op.vector.forEach((v) => finite(v, 'each vector entry'));
      } else {
        check(typeof op.vector === 'object' && op.vector !== null, 'BAD_INPUT', 'add: vector missing');
        name(op.vector.source, 'vector.source');
        if (op.vector.minus !== undefined) name(op.vector.minus, 'vector.minus');
      }
      return;
    case 'mean':
      check(
        ['dataset', 'window', 'own'].includes(op.over),
        'BAD_INPUT',
        `mean: over must be dataset, window or own, got ${String(op.over)}`,
      );
      if (op.over === 'dataset') name(op.source, 'source');
      return;
    case 'resample':
      name(op.source, 'source');
      check(Number.isInteger(op.seed), 'BAD_INPUT', 'resample: seed must be an integer');
      return;
    case 'scale':
      finite(op.factor, 'factor');
      return;
    case 'zero':
      return;
  }
}

/** Source cache names an intervention reads. */
export function sourcesOf(iv: Intervention): string[] {
  const op = iv.op;
  switch (op.kind) {
    case 'set':
    case 'resample':
      return [op.source];
    case 'mean':
      return op.over === 'dataset' ? [op.source] : [];
    case 'add':
      return Array.isArray(op.vector)
        ? []
        : [op.vector.source, ...(op.vector.minus ? [op.vector.minus] : [])];
    default:
      return [];
  }
}

/** Sweep rows as JSON (the format the URL state and `--interventions` files use). */
export const interventionsToJson = (rows: readonly InterventionRow[]): string => JSON.stringify(rows);

/**
 * Parses sweep rows from JSON: a list of rows (each a list of interventions), or a single row, or a
 * single intervention. Validates each against the model; throws BAD_INPUT on anything malformed.
 */
export function interventionsFromJson(
  json: string,
  arch: DTArchitecture,
  nTokens: number,
): InterventionRow[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new DtlensError('BAD_INPUT', `interventions are not valid JSON: ${(e as Error).message}`);
  }
  const isIv = (v: unknown): v is Intervention =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && 'hook' in v && 'op' in v;
  const rows: unknown[] = isIv(value)
    ? [[value]]
    : Array.isArray(value) && value.length > 0 && value.every(isIv)
      ? [value]
      : Array.isArray(value)
        ? value
        : [];
  check(rows.length > 0, 'BAD_INPUT', 'interventions: expected a non-empty list of rows');
  return rows.map((row, r) => {
    check(
      Array.isArray(row) && row.every(isIv),
      'BAD_INPUT',
      () => `interventions row ${r} must be a list of {hook, op, where?} objects`,
    );
    for (const iv of row) {
      for (const k of Object.keys(iv.where ?? {}))
        check(
          (WHERE_KEYS as readonly string[]).includes(k),
          'BAD_INPUT',
          () => `row ${r}: unknown where key "${k}" (use ${WHERE_KEYS.join(', ')})`,
        );
      validateIntervention(iv, arch, nTokens);
    }
    return row;
  });
}
