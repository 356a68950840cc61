import type { FusedCore } from '../../src/model/transformer.ts';

/** Wraps a fused core, counting the runs it actually served (non-null results) in `served`. */
export function countingCore(inner: FusedCore): FusedCore & { served: number } {
  const core = {
    name: `counting ${inner.name}`,
    served: 0,
    run: (...args: Parameters<FusedCore['run']>) => {
      const out = inner.run(...args);
      if (out) core.served++;
      return out;
    },
  };
  return core;
}
