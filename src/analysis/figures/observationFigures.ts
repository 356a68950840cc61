/**
 * Observation figures: the channels of one observation as small grids (rows = y, columns = x; the
 * observation values, or the weight or activation projections on the logit direction), and the
 * contribution of each channel's state embedding to the logit direction.
 */
import * as Plot from '@observablehq/plot';
import { check } from '../../errors.ts';
import type { ChannelView, ObservationResult } from '../dynamic/observation.ts';
import { barFigure } from './charts.ts';
import { type Cell, type FigureSpec, col, valueColour, hover } from './figure.ts';

export type ObservationGrid = 'values' | 'weightProjection' | 'activationProjection';

const GRID_NAMES: Record<ObservationGrid, string> = {
  values: 'observation',
  weightProjection: 'weight projection',
  activationProjection: 'activation projection',
};

const PER_ROW = 5;
const CELL = 14;

/** The chosen channels (default all) as 7×7 grids, five per row, titled by channel name. */
export function observationGridsFigure(
  r: ObservationResult,
  options: { grid?: ObservationGrid; channels?: number[] } = {},
): FigureSpec {
  const grid = options.grid ?? 'values';
  const chosen: ChannelView[] = (options.channels ?? r.channels.map((c) => c.channel)).map((c) => {
    const view = r.channels[c];
    check(view !== undefined, 'BAD_INPUT', `channel ${c} is outside 0..${r.channels.length - 1}`);
    return view;
  });
  check(chosen.length > 0, 'BAD_INPUT', 'choose at least one channel');
  const [Y, X] = chosen[0].values.shape;
  const valueName = grid === 'values' ? 'value' : `${GRID_NAMES[grid]} (${r.direction.label})`;
  const columns = ['channel', 'x', 'y', valueName];
  const rows: Cell[][] = [];
  for (const c of chosen)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) rows.push([c.name, x, y, c[grid].data[y * X + x]]);
  const slot = new Map(chosen.map((c, i) => [c.name, i]));
  const fx = (row: Cell[]) => slot.get(row[0] as string)! % PER_ROW;
  const fy = (row: Cell[]) => Math.floor(slot.get(row[0] as string)! / PER_ROW);
  const nfx = Math.min(PER_ROW, chosen.length);
  const nfy = Math.ceil(chosen.length / PER_ROW);
  const title = `${GRID_NAMES[grid]} channels of ${r.tokenLabel} (t = ${r.timestepValue})`;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: 40 + nfx * (X * CELL + 12),
      height: 50 + nfy * (Y * CELL + 26),
      marginTop: 50,
      marginLeft: 20,
      marginRight: 20,
      marginBottom: 10,
      padding: 0,
      x: { domain: range(X), axis: null },
      y: { domain: range(Y), axis: null },
      fx: { domain: range(nfx), axis: null, padding: 0.1 },
      fy: { domain: range(nfy), axis: null, padding: 0.2 },
      color: valueColour(
        valueName,
        rows.map((r) => r[3]),
      ),
      marks: [
        Plot.cell(rows, {
          x: col(1),
          y: col(2),
          fx,
          fy,
          fill: col(3),
          inset: 0.5,
          ...hover(columns, interactive),
        }),
        Plot.text(
          chosen.map((c) => [c.name]),
          { text: col(0), fx, fy, frameAnchor: 'top', dy: -12, fontSize: 10 },
        ),
      ],
    }),
  };
}

/** Each channel's embedding · direction, then the time embedding and the whole S token (DTI's bar chart). */
export function channelContributionFigure(r: ObservationResult): FigureSpec {
  return barFigure({
    title: `state-embedding contributions of ${r.tokenLabel}: ${r.direction.label}`,
    labels: [...r.channels.map((c) => c.name), 'time', 'token'],
    values: [...r.channels.map((c) => c.embedding.logitDiff), r.time.logitDiff, r.token.logitDiff],
    labelName: 'channel',
    valueName: `logit difference (${r.direction.label})`,
  });
}
