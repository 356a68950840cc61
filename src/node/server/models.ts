/**
 * The model folders the server exposes: only checkpoint files directly inside the given folders are
 * listed and served, by bare file name, so no request can name a path outside them.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MODEL_EXTENSIONS = ['.pt', '.pth', '.safetensors', '.dtlens'];

export interface ModelFile {
  name: string;
  size: number;
  /** The folder as given on the command line. */
  folder: string;
  path: string;
}

const isModelName = (name: string) => MODEL_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/** Model files of every folder (missing folders are skipped); the first folder wins on duplicate names. */
export function listModels(folders: readonly string[]): ModelFile[] {
  const seen = new Map<string, ModelFile>();
  for (const folder of folders) {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of entries.sort()) {
      if (seen.has(name) || !isModelName(name)) continue;
      const path = resolve(join(folder, name));
      try {
        const st = statSync(path);
        if (st.isFile()) seen.set(name, { name, size: st.size, folder, path });
      } catch {
        // vanished or unreadable: not listed
      }
    }
  }
  return [...seen.values()];
}

/** The listed model called exactly `name`, or null (any other name, including paths, is refused). */
export function findModel(folders: readonly string[], name: string): ModelFile | null {
  if (!name || name.includes('/') || name.includes('\\') || name.includes('\0') || name.startsWith('.'))
    return null;
  return listModels(folders).find((m) => m.name === name) ?? null;
}
