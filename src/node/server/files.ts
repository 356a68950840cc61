/**
 * What the server may serve: regular, readable files whose real path (symlinks resolved) lies inside the
 * real path of a served folder. Reads never follow a symlink swapped in after the check.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { sep } from 'node:path';

export interface ServableFile {
  /** The real path (no symlinks). */
  real: string;
  size: number;
}

/** `path` as a servable file under `root`, or null (outside, not regular, unreadable or missing). */
export function servableFile(root: string, path: string): ServableFile | null {
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(path);
    if (!real.startsWith(realRoot + sep)) return null;
    const st = statSync(real);
    if (!st.isFile()) return null;
    accessSync(real, constants.R_OK);
    return { real, size: st.size };
  } catch {
    return null;
  }
}

/** Reads a checked file's bytes, refusing it if it became a symlink or a non-regular file since. */
export async function readServable(file: ServableFile): Promise<Uint8Array<ArrayBuffer> | null> {
  let handle;
  try {
    handle = await open(file.real, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!(await handle.stat()).isFile()) return null;
    return new Uint8Array(await handle.readFile());
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}
