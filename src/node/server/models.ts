/**
 * The model folders the server exposes: only checkpoint files directly inside the given folders are
 * listed and served, by bare file name, so no request can name a path outside them. Hidden files,
 * symlinks leading out of the folder, non-regular and unreadable files are neither listed nor served.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { servableFile } from './files.ts';

export const MODEL_EXTENSIONS = ['.pt', '.pth', '.safetensors', '.dtlens'];

export interface ModelFile {
  name: string;
  size: number;
  /** The folder as given on the command line. */
  folder: string;
  /** Real path of the file (symlinks resolved, inside the folder). */
  path: string;
}

const isModelName = (name: string) =>
  !name.startsWith('.') && MODEL_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

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
      const file = servableFile(folder, join(folder, name));
      if (file) seen.set(name, { name, size: file.size, folder, path: file.real });
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
