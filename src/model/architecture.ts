/**
 * The dimensions and options the forward pass needs, derived from a checkpoint's configs.
 * `normalization` is the effective one after weight processing (LN becomes LNPre when folded).
 */
import type { LayerNormType, ModelConfig } from '../config/config.ts';

export type Normalization = LayerNormType;

export interface DTArchitecture extends Pick<
  ModelConfig,
  'dModel' | 'nHeads' | 'dHead' | 'dMlp' | 'nLayers' | 'nCtx' | 'gatedMlp' | 'activationFn'
> {
  /** Effective normalization (LN becomes LNPre once folded). */
  normalization: Normalization;
  nActions: number;
  /** Observation shape [X, Y, C] as MiniGrid gives it ([x][y][c]). */
  obsShape: readonly [number, number, number];
}

/** Every hook point of the transformer core, in forward order (TransformerLens names). */
export function hookNames(arch: DTArchitecture): string[] {
  const names = ['hook_embed', 'hook_pos_embed'];
  const ln = (p: string) => (arch.normalization ? [`${p}.hook_scale`, `${p}.hook_normalized`] : []);
  for (let l = 0; l < arch.nLayers; l++) {
    const b = `blocks.${l}`;
    names.push(
      `${b}.hook_resid_pre`,
      ...ln(`${b}.ln1`),
      ...['q', 'k', 'v', 'attn_scores', 'pattern', 'z'].map((s) => `${b}.attn.hook_${s}`),
      `${b}.hook_attn_out`,
      `${b}.hook_resid_mid`,
      ...ln(`${b}.ln2`),
      `${b}.mlp.hook_pre`,
      ...(arch.activationFn === 'solu_ln' ? [`${b}.mlp.hook_mid`, ...ln(`${b}.mlp.ln`)] : []),
      `${b}.mlp.hook_post`,
      `${b}.hook_mlp_out`,
      `${b}.hook_resid_post`,
    );
  }
  names.push(...ln('ln_final'));
  return names;
}
