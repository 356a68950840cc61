/**
 * Sender and receiver nodes of path patching, and a compact text syntax for them (CLI `--senders` /
 * `--receivers`, app settings). A node set keeps the grid shape of its result (e.g. `[3, L, P]`).
 *
 * Senders: `blocks` (resid_pre, attn_out, mlp_out × layer × each position, [3, L, P]), `heads` (each
 * head's z, all positions, [L, H]), `heads@each` ([L, H, P]), `mlps` (mlp_out, [L]), `embeds` (the R,
 * S and A token embeddings and the position embedding, [4]), or single nodes: `L1H2`, `L1H2@25`,
 * `mlp0`, `attn0`, `resid_pre0@3`, `embed:R|S|A`, `pos_embed`, `time` (the time embedding of every
 * token).
 * Receivers: `final` (the final residual), `L1H2` (its q, k and v), `L1H2.q|k|v|pattern` (pattern =
 * q and k), `L1.q|k|v` (that input of every head of layer 1), `mlp1` (DTI's `(1, "mlp_out")`),
 * `mlp1.in` (the MLP's normalized input, `blocks.1.ln2.hook_normalized`).
 */
import { DtlensError, check } from '../../errors.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import { type TokenKind, tokenKind, tokenLabels } from '../../model/tokens.ts';
import { type PathNode, TIME_SOURCE, finalResidual } from './pathPatch.ts';

export interface NodeSet {
  nodes: PathNode[];
  /** Grid shape of one result per node (product = nodes.length). */
  shape: number[];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export const BLOCK_SENDERS = ['resid_pre', 'attn_out', 'mlp_out'] as const;
export type BlockSender = (typeof BLOCK_SENDERS)[number];

export const headNode = (l: number, h: number, positions?: number[]): PathNode => ({
  hook: `blocks.${l}.attn.hook_z`,
  where: { heads: [h], ...(positions && { positions }) },
  label: `L${l}H${h}${positions?.length === 1 ? `@${positions[0]}` : ''}`,
});

export const blockNode = (kind: BlockSender, l: number, p?: number, P?: number): PathNode => ({
  hook: `blocks.${l}.hook_${kind}`,
  ...(p !== undefined && { where: { positions: [p] } }),
  label: `${kind} L${l}${p === undefined ? '' : ` ${P ? tokenLabels(P)[p] : p}`}`,
});

/** The token embeddings of one kind (R, S or A) at every position of that kind. */
export function embedNode(kind: TokenKind, P: number): PathNode {
  const positions = range(P).filter((p) => tokenKind(p) === kind);
  check(
    positions.length > 0,
    'BAD_INPUT',
    `embed:${kind} names no token: this model's window of ${P} tokens (${tokenLabels(P).join(' ')}) has no ${kind} tokens`,
  );
  return { hook: 'hook_embed', where: { positions }, label: `${kind} embeddings` };
}

/** The time embedding of every token (patched to the corrupted window's timesteps). */
export const timeNode = (): PathNode => ({ hook: 'hook_embed', source: TIME_SOURCE, label: 'time' });

/** DTI's `all_blocks` × each position: [3, L, P]. */
export const blockSenders = (arch: DTArchitecture, P: number): NodeSet => ({
  nodes: BLOCK_SENDERS.flatMap((k) =>
    range(arch.nLayers).flatMap((l) => range(P).map((p) => blockNode(k, l, p, P))),
  ),
  shape: [3, arch.nLayers, P],
});

/** Each head's z at all positions, [L, H] (or at each position, [L, H, P]). */
export function headSenders(arch: DTArchitecture, P?: number): NodeSet {
  const { nLayers: L, nHeads: H } = arch;
  const nodes = range(L).flatMap((l) =>
    range(H).flatMap((h) => (P === undefined ? [headNode(l, h)] : range(P).map((p) => headNode(l, h, [p])))),
  );
  return { nodes, shape: P === undefined ? [L, H] : [L, H, P] };
}

/** One input (q, k or v) of heads of a layer (all heads by default). */
export const headInput = (l: number, input: 'q' | 'k' | 'v', heads?: number[]): PathNode => ({
  hook: `blocks.${l}.attn.hook_${input}`,
  ...(heads && { where: { heads } }),
  label: `L${l}${heads?.length === 1 ? `H${heads[0]}` : ''}.${input}`,
});

function senderTerm(term: string, arch: DTArchitecture, P: number): NodeSet {
  const one = (node: PathNode): NodeSet => ({ nodes: [node], shape: [1] });
  let m: RegExpExecArray | null;
  if (term === 'blocks') return blockSenders(arch, P);
  if (term === 'heads') return headSenders(arch);
  if (term === 'heads@each') return headSenders(arch, P);
  if (term === 'mlps')
    return { nodes: range(arch.nLayers).map((l) => blockNode('mlp_out', l)), shape: [arch.nLayers] };
  if (term === 'embeds')
    return {
      nodes: [
        ...(['R', 'S', 'A'] as const).map((k) => embedNode(k, P)),
        { hook: 'hook_pos_embed', label: 'pos_embed' },
      ],
      shape: [4],
    };
  if ((m = /^L(\d+)H(\d+)(?:@(\d+))?$/.exec(term)))
    return one(headNode(+m[1], +m[2], m[3] === undefined ? undefined : [+m[3]]));
  if ((m = /^(mlp|attn)(\d+)$/.exec(term)))
    return one(blockNode(m[1] === 'mlp' ? 'mlp_out' : 'attn_out', +m[2]));
  if ((m = /^(resid_pre|resid_mid|resid_post|attn_out|mlp_out)(\d+)(?:@(\d+))?$/.exec(term)))
    return one({
      hook: `blocks.${m[2]}.hook_${m[1]}`,
      ...(m[3] !== undefined && { where: { positions: [+m[3]] } }),
      label: term,
    });
  if ((m = /^embed:([RSA])$/.exec(term))) return one(embedNode(m[1] as TokenKind, P));
  if (term === 'pos_embed') return one({ hook: 'hook_pos_embed', label: 'pos_embed' });
  if (term === 'time') return one(timeNode());
  throw new DtlensError(
    'BAD_INPUT',
    `unknown sender "${term}" (use blocks, heads, heads@each, mlps, embeds, L1H2, L1H2@25, mlp0, attn0, resid_pre0@3, embed:R, pos_embed, time)`,
  );
}

function receiverTerm(term: string, arch: DTArchitecture): PathNode[] {
  let m: RegExpExecArray | null;
  if (term === 'final') return [finalResidual(arch)];
  if ((m = /^L(\d+)H(\d+)(?:\.(q|k|v|pattern))?$/.exec(term))) {
    const inputs = m[3] === undefined ? ['q', 'k', 'v'] : m[3] === 'pattern' ? ['q', 'k'] : [m[3]];
    return inputs.map((i) => headInput(+m![1], i as 'q' | 'k' | 'v', [+m![2]]));
  }
  if ((m = /^L(\d+)\.(q|k|v)$/.exec(term))) return [headInput(+m[1], m[2] as 'q' | 'k' | 'v')];
  if ((m = /^mlp(\d+)$/.exec(term))) return [{ hook: `blocks.${m[1]}.hook_mlp_out`, label: term }];
  if ((m = /^mlp(\d+)\.in$/.exec(term))) {
    if (!arch.normalization)
      throw new DtlensError(
        'UNSUPPORTED',
        `${term}: this model has no ln2, so its MLP input is not a separate hook`,
      );
    return [{ hook: `blocks.${m[1]}.ln2.hook_normalized`, label: term }];
  }
  throw new DtlensError(
    'BAD_INPUT',
    `unknown receiver "${term}" (use final, L1H2, L1H2.q|k|v|pattern, L1.q|k|v, mlp1, mlp1.in)`,
  );
}

const terms = (spec: string, what: string): string[] => {
  const list = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  check(list.length > 0, 'BAD_INPUT', `the ${what} list is empty`);
  return list;
};

/** Parses a sender list; one set keyword keeps its grid shape, anything else is a flat list. */
export function parseSenders(spec: string, arch: DTArchitecture, P: number): NodeSet {
  const sets = terms(spec, 'sender').map((t) => senderTerm(t, arch, P));
  if (sets.length === 1) return sets[0];
  const nodes = sets.flatMap((s) => s.nodes);
  return { nodes, shape: [nodes.length] };
}

/** Parses a receiver list (patched together in pass 2). */
export const parseReceivers = (spec: string, arch: DTArchitecture): PathNode[] =>
  terms(spec, 'receiver').flatMap((t) => receiverTerm(t, arch));
