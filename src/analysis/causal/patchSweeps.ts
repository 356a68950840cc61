/**
 * DTI's activation-patching sweeps as node sets (`dti_spec.md` §5.4, TL `get_act_patch_*`): the nodes
 * one sweep patches one at a time, with the grid shape of its result. Shared by attribution patching
 * and its comparison with real patching.
 */
import type { DTArchitecture } from '../../model/architecture.ts';
import { type NodeSet, blockSenders, headSenders } from './pathNodes.ts';

export const PATCH_SWEEPS = [
  'block_every',
  'head_out',
  'head_q',
  'head_k',
  'head_v',
  'head_pattern',
  'head_out_by_pos',
  'mlp_neurons',
] as const;
export type PatchSweep = (typeof PATCH_SWEEPS)[number];

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** One head's q, k, v or pattern at all positions, for every (layer, head): [L, H]. */
function headPart(arch: DTArchitecture, part: 'q' | 'k' | 'v' | 'pattern'): NodeSet {
  const { nLayers: L, nHeads: H } = arch;
  return {
    nodes: range(L).flatMap((l) =>
      range(H).map((h) => ({
        hook: `blocks.${l}.attn.hook_${part}`,
        where: { heads: [h] },
        label: `L${l}H${h}.${part}`,
      })),
    ),
    shape: [L, H],
  };
}

/** The nodes of a sweep over a window of P tokens. */
export function patchSweep(arch: DTArchitecture, P: number, sweep: PatchSweep): NodeSet {
  switch (sweep) {
    case 'block_every':
      return blockSenders(arch, P);
    case 'head_out':
      return headSenders(arch);
    case 'head_out_by_pos':
      return headSenders(arch, P);
    case 'mlp_neurons':
      return {
        nodes: range(arch.nLayers).flatMap((l) =>
          range(arch.dMlp).map((n) => ({
            hook: `blocks.${l}.mlp.hook_post`,
            where: { neurons: [n] },
            label: `L${l}N${n}`,
          })),
        ),
        shape: [arch.nLayers, arch.dMlp],
      };
    default:
      return headPart(arch, sweep.slice(5) as 'q' | 'k' | 'v' | 'pattern');
  }
}
