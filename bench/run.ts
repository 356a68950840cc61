/**
 * Benchmark runner (`npm run bench [-- name-filter...]`): imports every `bench/*.bench.ts` module
 * whose file name contains one of the filters (all when none) and awaits its default export.
 * A module's default export is `() => void | Promise<void>` and prints its own table.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const modules = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (modules.length === 0) {
  console.error(`no bench/*.bench.ts module matches ${filters.join(', ')}`);
  process.exit(1);
}
console.log(
  `node ${process.version}, ${new Date().toISOString()}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const file of modules) {
  console.log(`\n=== ${file} ===`);
  const mod = (await import(pathToFileURL(`${benchDir}/${file}`).href)) as {
    default: () => void | Promise<void>;
  };
  await mod.default();
}
