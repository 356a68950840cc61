/**
 * Hook points with TransformerLens names and semantics. A hook is a plain function called with
 * the activation at a hook point; it may read it, modify it in place, or return a replacement.
 * Hooks run in the order given; the cache stores the activation after every hook has run.
 * Hooks live for one run only.
 */
import { DtlensError } from '../errors.ts';
import { Tensor, shapeString } from '../tensor/tensor.ts';

export interface HookContext {
  /** Full hook name, e.g. `blocks.0.attn.hook_pattern`. */
  name: string;
  /**
   * Token positions the activation's position axis holds (the destination axis of attention
   * patterns/scores), when it is not every position: the last layer of a last-position readout run.
   */
  positions?: readonly number[];
}

export type HookFn = (activation: Tensor, hook: HookContext) => Tensor | void;

export type NameFilter = string | readonly string[] | ((name: string) => boolean);

export interface Hook {
  /** A hook name, a list of names, or a predicate over names. */
  name: NameFilter;
  fn: HookFn;
}

export function matchesFilter(filter: NameFilter, name: string): boolean {
  if (typeof filter === 'string') return filter === name;
  if (typeof filter === 'function') return filter(name);
  return filter.includes(name);
}

/**
 * Position axis of a hook point's activation: the query axis of attention patterns and scores
 * [B, H, Pq, Pk], axis 1 of everything else.
 */
export const positionAxis = (name: string): number => (/hook_(pattern|attn_scores)$/.test(name) ? 2 : 1);

/**
 * Applies the hooks of one run at each hook point and collects the cache. With `lastPositionOnly`
 * (a last-position run) the cache keeps every activation at the last token only: its position axis
 * (`positionAxis`) has length 1; hooks still see the whole activation.
 */
export class HookRunner {
  readonly cache = new Map<string, Tensor>();
  private readonly hooks: readonly Hook[];
  private readonly cacheFilter: NameFilter | null;

  constructor(
    hooks: readonly Hook[] = [],
    cache: boolean | NameFilter = false,
    private readonly lastPositionOnly = false,
  ) {
    this.hooks = hooks;
    this.cacheFilter = cache === true ? () => true : cache === false ? null : cache;
  }

  /** True if anything (a hook or the cache) wants the activation `name`. */
  wants(name: string): boolean {
    return (
      (this.cacheFilter !== null && matchesFilter(this.cacheFilter, name)) ||
      this.hooks.some((h) => matchesFilter(h.name, name))
    );
  }

  /**
   * Runs the hooks registered for `name` on `x`; returns the (possibly replaced) activation.
   * `positions`: the token positions x holds when it is not every position (see `HookContext`).
   */
  point(name: string, x: Tensor, positions?: readonly number[]): Tensor {
    let act = x;
    const context: HookContext = positions ? { name, positions } : { name };
    for (const h of this.hooks) {
      if (!matchesFilter(h.name, name)) continue;
      const replaced = h.fn(act, context);
      if (replaced !== undefined) {
        if (!(replaced instanceof Tensor) || replaced.size !== act.size) {
          throw new DtlensError(
            'BAD_SHAPE',
            `hook on ${name} returned ${replaced instanceof Tensor ? `shape ${shapeString(replaced.shape)}` : 'a non-tensor'}; expected shape ${shapeString(act.shape)}`,
          );
        }
        act = replaced.shape.length === act.shape.length ? replaced : replaced.reshape(act.shape);
      }
    }
    if (this.cacheFilter !== null && matchesFilter(this.cacheFilter, name)) {
      const axis = positionAxis(name);
      this.cache.set(name, this.lastPositionOnly && act.shape[axis] > 1 ? act.lastAlong(axis) : act);
    }
    return act;
  }
}

/** TransformerLens short names (`utils.get_act_name`) to full hook names. */
export function actName(short: string, layer?: number): string {
  const block = (s: string) => {
    if (layer === undefined) throw new DtlensError('BAD_INPUT', `hook "${short}" needs a layer`);
    return `blocks.${layer}.${s}`;
  };
  switch (short) {
    case 'embed':
    case 'pos_embed':
      return `hook_${short}`;
    case 'resid_pre':
    case 'resid_mid':
    case 'resid_post':
    case 'attn_out':
    case 'mlp_out':
      return block(`hook_${short}`);
    case 'q':
    case 'k':
    case 'v':
    case 'z':
    case 'pattern':
    case 'attn_scores':
    case 'result':
      return block(`attn.hook_${short}`);
    case 'pre':
    case 'post':
    case 'mid':
      return block(`mlp.hook_${short}`);
    case 'scale':
    case 'normalized':
      return layer === undefined ? `ln_final.hook_${short}` : block(`ln2.hook_${short}`);
    default:
      throw new DtlensError('BAD_INPUT', `unknown hook short name "${short}"`);
  }
}
