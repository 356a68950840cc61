/**
 * Access to the reference data in `../shared` (models and golden outputs of the original Python).
 * Tests that need it use `describeWithShared`, which skips with a one-line reason where it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Root of the shared reference data (override with DTLENS_SHARED). */
export const SHARED_DIR = process.env.DTLENS_SHARED ?? resolve(repoRoot, '../shared');
export const sharedAvailable =
  existsSync(join(SHARED_DIR, 'golden')) && existsSync(join(SHARED_DIR, 'models'));
export const SHARED_SKIP_REASON = `skipped: reference data not found at ${SHARED_DIR} (fresh clone without ../shared)`;

export const sharedPath = (...parts: string[]): string => join(SHARED_DIR, ...parts);
export const readSharedJson = <T = unknown>(...parts: string[]): T =>
  JSON.parse(readFileSync(sharedPath(...parts), 'utf8')) as T;

/**
 * `describe` that runs only where ../shared exists. Elsewhere its body is never called (so it may
 * read ../shared while collecting tests) and one skipped test reports why.
 */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedAvailable) describe(name, body);
  else describe(name, () => it.skip(SHARED_SKIP_REASON, () => {}));
}
