/**
 * An SAE spliced into the forward pass as a hook, and interventions on its features. At the SAE's
 * hook point and positions, the activation x becomes
 *   - `reconstruct`: x̂ = decode(encode(x)) (the model as the SAE sees it; metrics), or
 *   - `edit`: x + decode(edit(z)) − decode(z) with z = encode(x): only the edited features change
 *     the activation and the SAE's reconstruction error is kept, so no edits is an exact no-op.
 * Feature edits: `zero`, `clamp` (set to a value) or `add` a value, per latent.
 */
import { check } from '../../errors.ts';
import type { Hook } from '../../model/hooks.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { type Sae, decode, encode } from './sae.ts';

export interface FeatureEdit {
  latent: number;
  op: 'zero' | 'clamp' | 'add';
  value?: number;
}

export interface SpliceOptions {
  mode: 'reconstruct' | 'edit';
  edits?: readonly FeatureEdit[];
  /** Token positions spliced (default: all). */
  positions?: readonly number[];
  /** Batch rows spliced (default: all). */
  rows?: readonly number[];
}

/** The hook splicing `sae` in at `hook` (a transcoder replaces its output hook from its input's value). */
export function saeHook(gemm: Gemm, sae: Sae, hook: string, options: SpliceOptions): Hook {
  const { dIn, dOut, latents } = sae.config;
  for (const e of options.edits ?? [])
    check(
      Number.isInteger(e.latent) && e.latent >= 0 && e.latent < latents,
      'BAD_INPUT',
      `feature ${e.latent} is outside the SAE's 0..${latents - 1}`,
    );
  check(
    dIn === dOut,
    'UNSUPPORTED',
    'splicing a transcoder needs its input and output hooks; splice SAEs only',
  );
  return {
    name: hook,
    fn: (act) => {
      const [B, P] = act.shape;
      const width = act.size / (B * P);
      check(width === dIn, 'BAD_SHAPE', `the SAE reads vectors of width ${dIn}, ${hook} has width ${width}`);
      const positions = options.positions ?? Array.from({ length: P }, (_, p) => p);
      for (const p of positions)
        check(
          Number.isInteger(p) && p >= 0 && p < P,
          'BAD_INPUT',
          `spliced position ${p} is outside 0..${P - 1}`,
        );
      const batch = options.rows ?? Array.from({ length: B }, (_, b) => b);
      for (const b of batch)
        check(Number.isInteger(b) && b >= 0 && b < B, 'BAD_INPUT', `spliced row ${b} is outside 0..${B - 1}`);
      const n = batch.length * positions.length;
      const x = new Float32Array(n * width);
      const rows = (fn: (row: number, offset: number) => void) => {
        let r = 0;
        for (const b of batch) for (const p of positions) fn(r++, (b * P + p) * width);
      };
      rows((r, o) => x.set(act.data.subarray(o, o + width), r * width));
      const z = encode(gemm, sae, x, n);
      if (options.mode === 'reconstruct') {
        const xh = decode(gemm, sae, z, n);
        rows((r, o) => act.data.set(xh.subarray(r * width, (r + 1) * width), o));
        return;
      }
      const edits = options.edits ?? [];
      if (edits.length === 0) return;
      const edited = z.slice();
      for (let r = 0; r < n; r++)
        for (const e of edits) {
          const i = r * latents + e.latent;
          edited[i] = e.op === 'zero' ? 0 : e.op === 'clamp' ? (e.value ?? 0) : edited[i] + (e.value ?? 0);
        }
      const before = decode(gemm, sae, z, n);
      const after = decode(gemm, sae, edited, n);
      rows((r, o) => {
        for (let j = 0; j < width; j++) act.data[o + j] += after[r * width + j] - before[r * width + j];
      });
    },
  };
}
