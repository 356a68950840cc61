/**
 * Zip reading for torch `.pt` archives (fflate), with every failure mapped to `BAD_ARCHIVE` and a guard
 * against zip bombs: the declared sizes are checked before anything is inflated.
 */
import { unzipSync } from 'fflate';
import { DtlensError } from '../errors.ts';

/** Largest total uncompressed size accepted (4 GiB). */
export const MAX_ZIP_TOTAL_BYTES = 4 * 1024 ** 3;
/** Largest compression ratio accepted for a deflated entry above 1 MiB (real checkpoints are stored). */
export const MAX_ZIP_RATIO = 1000;

/** `true` when the bytes start with a zip local-file or end-of-central-directory signature. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** All entries of a zip archive, by name. Throws `BAD_ARCHIVE` on any unreadable, truncated or hostile input. */
export function readZipEntries(
  bytes: Uint8Array,
  maxTotalBytes = MAX_ZIP_TOTAL_BYTES,
): Record<string, Uint8Array> {
  const declared = new Map<string, number>();
  let total = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        total += file.originalSize;
        if (total > maxTotalBytes)
          throw new DtlensError(
            'BAD_ARCHIVE',
            `zip archive declares more than ${maxTotalBytes} bytes in total`,
          );
        if (
          file.compression !== 0 &&
          file.originalSize > 2 ** 20 &&
          file.originalSize > MAX_ZIP_RATIO * file.size
        )
          throw new DtlensError(
            'BAD_ARCHIVE',
            `zip entry ${file.name} claims a compression ratio above ${MAX_ZIP_RATIO} (possible zip bomb)`,
          );
        if (file.compression === 0 && file.size !== file.originalSize)
          throw new DtlensError('BAD_ARCHIVE', `stored zip entry ${file.name} has inconsistent sizes`);
        declared.set(file.name, file.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw new DtlensError('BAD_ARCHIVE', `unreadable zip archive (${(e as Error).message})`);
  }
  for (const [name, data] of Object.entries(entries))
    if (data.length !== declared.get(name))
      throw new DtlensError(
        'BAD_ARCHIVE',
        `zip entry ${name} is truncated (${data.length} of ${declared.get(name)} bytes)`,
      );
  return entries;
}
