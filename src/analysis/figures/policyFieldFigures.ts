/**
 * The policy field on the grid: in every cell the agent can stand on, one arrow per facing direction
 * (east, south, west, north), its length and colour the probability of one action with the agent in
 * that pose (or its change at the second RTG, red = less likely, blue = more). Cells the agent cannot
 * stand on are grey; the agent's actual pose is ringed and its arrow drawn in black.
 */
import * as Plot from '@observablehq/plot';
import { check } from '../../errors.ts';
import type { PolicyFieldResult } from '../scans/policyField.ts';
import { type Cell, type FigureSpec, hoverText, valueColour } from './figure.ts';
import { maxAbs } from './colours.ts';

export type PolicyFieldView = 'first' | 'second' | 'difference';

const DIRECTIONS = ['east', 'south', 'west', 'north'];
const STEP: [number, number][] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

/** The action drawn by default: the model's choice at the agent's actual pose. */
export function agentAction(r: PolicyFieldResult): number {
  const A = r.actionNames.length;
  const p = Array.from(r.probabilities.data.subarray(r.agentRow * A, (r.agentRow + 1) * A));
  return p.indexOf(Math.max(...p));
}

export function policyFieldFigure(
  r: PolicyFieldResult,
  options: { view?: PolicyFieldView; action?: number } = {},
): FigureSpec {
  const view = options.view ?? 'first';
  const A = r.actionNames.length;
  const action = options.action ?? agentAction(r);
  check(
    Number.isInteger(action) && action >= 0 && action < A,
    'BAD_INPUT',
    `action ${action} is outside 0..${A - 1}`,
  );
  check(view === 'first' || r.second, 'BAD_INPUT', `the ${view} view needs a second RTG`);
  const source =
    view === 'first' ? r.probabilities : view === 'second' ? r.second!.probabilities : r.second!.difference;
  const name =
    view === 'difference'
      ? `Δ p(${r.actionNames[action]}) at RTG ${r.second!.rtg}`
      : `p(${r.actionNames[action]})${view === 'second' ? ` at RTG ${r.second!.rtg}` : ''}`;
  const columns = ['x', 'y', 'facing', name];
  const rows: Cell[][] = r.poses.map((p, i) => [p.x, p.y, DIRECTIONS[p.dir], source.data[i * A + action]]);
  const limit = maxAbs(rows.map((row) => row[3] as number)) || 1;
  const arrows = r.poses.map((p, i) => {
    const len = (0.45 * Math.abs(rows[i][3] as number)) / limit;
    const [dx, dy] = STEP[p.dir];
    return {
      x1: p.x + 0.5,
      y1: p.y + 0.5,
      x2: p.x + 0.5 + dx * len,
      y2: p.y + 0.5 + dy * len,
      row: rows[i],
      i,
    };
  });
  const free = new Set(r.poses.map((p) => `${p.x},${p.y}`));
  const blocked: { x: number; y: number }[] = [];
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++) if (!free.has(`${x},${y}`)) blocked.push({ x, y });
  const agentArrow = arrows.filter((a) => a.i === r.agentRow);
  const cell = 52;
  return {
    title: `policy field: ${name} with the agent in each pose`,
    table: { columns, rows },
    options: (interactive) => ({
      width: r.width * cell + 60,
      height: r.height * cell + 60,
      marginTop: 20,
      marginLeft: 40,
      marginBottom: 40,
      x: { domain: [0, r.width], label: 'x', ticks: [] },
      y: { domain: [0, r.height], label: 'y', reverse: true, ticks: [] },
      color: valueColour(
        name,
        rows.map((row) => row[3]),
      ),
      marks: [
        Plot.rect(blocked, { x1: 'x', x2: (d) => d.x + 1, y1: 'y', y2: (d) => d.y + 1, fill: '#94a3b8' }),
        Plot.gridX({ ticks: r.width + 1, stroke: '#e2e8f0', strokeOpacity: 1 }),
        Plot.gridY({ ticks: r.height + 1, stroke: '#e2e8f0', strokeOpacity: 1 }),
        Plot.dot([r.agent], { x: (d) => d.x + 0.5, y: (d) => d.y + 0.5, r: cell / 2.4, stroke: 'black' }),
        Plot.arrow(arrows, {
          x1: 'x1',
          y1: 'y1',
          x2: 'x2',
          y2: 'y2',
          stroke: (a: (typeof arrows)[number]) => a.row[3],
          strokeWidth: 2.5,
          headLength: 6,
          title: (a: (typeof arrows)[number]) => hoverText(columns, a.row),
          tip: interactive,
        }),
        Plot.arrow(agentArrow, {
          x1: 'x1',
          y1: 'y1',
          x2: 'x2',
          y2: 'y2',
          stroke: 'black',
          strokeWidth: 1.2,
          headLength: 6,
        }),
      ],
    }),
  };
}
