/**
 * DTI's calibration curve: mean return and success rate per target RTG, as a JSON record and a line
 * figure (two series over the target RTG axis).
 */
import { lineFigure } from '../analysis/figures/charts.ts';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import type { RtgResult } from './rollout.ts';

export interface CalibrationRecord {
  model: string;
  envId: string;
  episodes: number;
  seed: number;
  results: Array<Omit<RtgResult, 'returns'>>;
}

export function calibrationRecord(
  model: string,
  envId: string,
  seed: number,
  results: readonly RtgResult[],
): CalibrationRecord {
  return {
    model,
    envId,
    episodes: results[0]?.episodes ?? 0,
    seed,
    results: results.map(({ returns: _returns, ...rest }) => rest),
  };
}

export function calibrationFigure(rec: CalibrationRecord): FigureSpec {
  const label = (r: number) => r.toFixed(2);
  const rows = rec.results.flatMap((r) => [
    [label(r.targetRtg), r.meanReturn, 'mean return'],
    [label(r.targetRtg), r.successRate, 'success rate'],
  ]);
  return lineFigure({
    title: `${rec.envId}: success rate (orange) and mean return (blue), ${rec.episodes} episodes per target RTG`,
    columns: ['target RTG', 'value', 'measure'],
    rows,
    x: { column: 0, domain: rec.results.map((r) => label(r.targetRtg)), label: 'target RTG' },
    y: 1,
    series: 2,
  });
}
