/**
 * Closed-loop results -> figures: a rate per condition (success or a goal choice) with its 95% interval,
 * and one window's action probabilities under each condition.
 */
import * as Plot from '@observablehq/plot';
import type { ClosedLoopResult, GoalChoice } from '../causal/closedLoop.ts';
import { heatmapFigure } from './charts.ts';
import { type FigureSpec, col, hover } from './figure.ts';

export function closedLoopFigure(r: ClosedLoopResult, rate: 'success' | GoalChoice = 'success'): FigureSpec {
  const name = rate === 'success' ? 'success rate' : `share choosing ${rate}`;
  const title = `Closed loop: ${name} per condition (${r.episodes} seeds from ${r.seed}, RTG ${r.targetRtg}; Wilson 95%)`;
  const columns = ['condition', name, 'low', 'high'];
  const rows = r.conditions.map((c) => {
    const i = rate === 'success' ? c.successRate : c.choices[rate];
    return [c.label, i.estimate, i.low, i.high];
  });
  const labels = r.conditions.map((c) => c.label);
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(360, Math.min(1400, 120 + labels.length * 28)),
      height: 360,
      marginTop: 40,
      marginLeft: 60,
      marginBottom: 100,
      x: { domain: labels, label: 'condition', tickRotate: -60 },
      y: { domain: [0, 1], label: name, grid: true },
      marks: [
        Plot.ruleX(rows, { x: col(0), y1: col(2), y2: col(3), stroke: '#888' }),
        Plot.dot(rows, { x: col(0), y: col(1), fill: 'steelblue', r: 4, ...hover(columns, interactive) }),
      ],
    }),
  };
}

/** One window under each condition: its action probabilities at the last S token, conditions × actions. */
export function windowConditionsFigure(w: {
  labels: string[];
  actionNames: string[];
  probabilities: number[][];
}): FigureSpec {
  return heatmapFigure({
    title: 'Current window: action probabilities at the last S token under each condition',
    columns: ['condition', 'action', 'probability'],
    rows: w.labels.flatMap((label, k) => w.actionNames.map((a, j) => [label, a, w.probabilities[k][j]])),
    x: { column: 1, domain: w.actionNames, label: 'action' },
    y: { column: 0, domain: w.labels, label: 'condition' },
    value: 2,
    cellSize: 28,
  });
}
