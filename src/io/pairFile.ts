/**
 * A clean/corrupted pair of windows as safetensors: `clean.*` and `corrupted.*` (`states`, `rtgs`,
 * `timesteps`, `actions`) in the layout of the golden analysis pairs, what `dtlens patch`,
 * `path-patch` and `attribution-patch` read. `dtlens corrupt` and the app's "Export pair" both write it.
 */
import type { DTInputs } from '../model/decisionTransformer.ts';
import { inputsToTensors } from '../model/inputs.ts';
import { writeSafetensors } from './safetensors.ts';

export function pairFile(clean: DTInputs, corrupted: DTInputs, metadata: Record<string, string>): Uint8Array {
  return writeSafetensors(
    { ...inputsToTensors(clean, 'clean.'), ...inputsToTensors(corrupted, 'corrupted.') },
    metadata,
  );
}
