/**
 * Cost of the integrity checks on real checkpoint loads: the whole `loadCheckpoint` of each shared DTI
 * model against its parts that the hostile-file work added (CRC-32 of every zip entry, the non-finite
 * scan of every weight), measured interleaved in one run so the ratios hold on a loaded machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { crc32 } from '../src/io/crc32.ts';
import { firstNonFinite } from '../src/io/rawTensor.ts';
import { readZipEntries } from '../src/io/zip.ts';
import { compareMs, printTable } from './harness.ts';

const MODELS = process.env.DTLENS_SHARED ? `${process.env.DTLENS_SHARED}/models` : '../shared/models';
const FILES = ['MemoryGatedMLP.pt', 'DevModelNotCalibrated.pt', 'demo_model.pt'];

export default function load(): void {
  const present = FILES.filter((f) => existsSync(`${MODELS}/${f}`));
  if (present.length === 0) {
    console.log(`skipped: no reference checkpoints under ${MODELS}`);
    return;
  }
  const rows = present.map((f) => {
    const bytes = new Uint8Array(readFileSync(`${MODELS}/${f}`));
    const entries = [...readZipEntries(bytes).values()];
    const weights = [...loadCheckpoint(bytes).weights.values()];
    const [total, crc, finite] = compareMs([
      () => loadCheckpoint(bytes, f),
      () => entries.forEach((e) => crc32(e)),
      () => weights.forEach((w) => firstNonFinite(w)),
    ]);
    const pct = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
    return [
      f,
      (bytes.length / 1e6).toFixed(2),
      total.toFixed(2),
      `${crc.toFixed(2)} (${pct(crc)})`,
      `${finite.toFixed(2)} (${pct(finite)})`,
      (bytes.length / 1e3 / crc).toFixed(0),
    ];
  });
  printTable(
    ['checkpoint', 'MB', 'load ms', 'CRC-32 ms (share)', 'finite scan ms (share)', 'CRC MB/s'],
    rows,
  );
}
