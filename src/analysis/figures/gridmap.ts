/**
 * Gridmaps (DTI `plot_gridmap_from_embedding_congruence`): one score per state feature
 * (`"key, (2,6)"`) shown as 7×7 grids per channel, rows = y, columns = x, faceted by channel.
 */
import { check } from '../../errors.ts';
import { heatmapFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

const FEATURE = /^(.*), \((\d+),(\d+)\)$/;

/** Gridmap of `values[i]` for state-feature labels, restricted to `channels` (default all). */
export function gridmapFigure(
  title: string,
  labels: string[],
  values: ArrayLike<number>,
  valueName: string,
  channels?: string[],
): FigureSpec {
  const rows: Cell[][] = [];
  const seen: string[] = [];
  let size = 0;
  labels.forEach((label, i) => {
    const m = FEATURE.exec(label);
    check(m, 'BAD_INPUT', `"${label}" is not a state feature label; gridmaps need the state vocabulary`);
    const [, channel, x, y] = m;
    if (channels && !channels.includes(channel)) return;
    if (!seen.includes(channel)) seen.push(channel);
    size = Math.max(size, Number(x) + 1, Number(y) + 1);
    rows.push([channel, Number(x), Number(y), values[i]]);
  });
  for (const c of channels ?? [])
    check(
      seen.includes(c),
      'BAD_INPUT',
      `channel "${c}" does not exist (channels: ${[...new Set(labels.map((l) => l.split(',')[0]))].join(', ')})`,
    );
  const range = Array.from({ length: size }, (_, i) => String(i));
  return heatmapFigure({
    title,
    columns: ['channel', 'x', 'y', valueName],
    rows: rows.map(([c, x, y, v]) => [c, String(x), String(y), v]),
    x: { column: 1, domain: range, label: 'x' },
    y: { column: 2, domain: range, label: 'y' },
    fx: { column: 0, domain: seen, label: 'channel' },
    value: 3,
    cellSize: 14,
  });
}
