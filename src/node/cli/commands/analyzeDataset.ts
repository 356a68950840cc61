/** The dataset analyses of `dtlens analyze` (norms, kurtosis, head-types): run over a window dataset. */
import { type KurtosisResult, kurtosisScan, residualNorms } from '../../../analysis/scans/cacheStats.ts';
import { headTypes } from '../../../analysis/scans/headTypes.ts';
import { readWindowDataset } from '../../../analysis/scans/windowDataset.ts';
import { headTypesFigure, kurtosisFigure, normsFigure } from '../../../analysis/figures/datasetFigures.ts';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { readFileChecked } from '../../modelFile.ts';

export const DATASET_ANALYSES = ['norms', 'kurtosis', 'head-types'] as const;
export type DatasetAnalysis = (typeof DATASET_ANALYSES)[number];

const fmt = (v: number) => v.toFixed(2);

function kurtosisSummary(r: KurtosisResult): string {
  return r.hooks
    .map(
      (h) =>
        `${h.hook} ${fmt(h.excess)} (rotated ${fmt(h.rotated.min)}..${fmt(h.rotated.max)})${h.privileged ? ' privileged' : ''}`,
    )
    .join('\n');
}

/** Runs a dataset analysis on the dataset file `path`; returns the result, its figure and a summary. */
export async function analyseDataset(
  analysis: DatasetAnalysis,
  model: DecisionTransformer,
  path: string,
): Promise<{ result: object; figure: FigureSpec; summary: string }> {
  const ds = readWindowDataset(readFileChecked(path, 'dataset file'));
  const windows = ds.inputs.states.shape[0];
  if (analysis === 'norms') {
    const result = await residualNorms(model, ds);
    const last = result.tokenLabels.length - 1;
    const summary = result.states.labels
      .map((l, i) => `${l} ${fmt(result.states.mean[i][last])}±${fmt(result.states.std[i][last])}`)
      .join(', ');
    return {
      result,
      figure: normsFigure(result),
      summary: `${windows} windows; norms at ${result.tokenLabels[last]}: ${summary}`,
    };
  }
  if (analysis === 'kurtosis') {
    const result = await kurtosisScan(model, ds);
    return {
      result,
      figure: kurtosisFigure(result),
      summary: `${windows} windows; excess kurtosis:\n${kurtosisSummary(result)}`,
    };
  }
  const result = await headTypes(model, ds);
  const summary = result.heads.map((h, i) => `${h} ${result.types[i]}`).join(', ');
  return { result, figure: headTypesFigure(result), summary: `${windows} windows; head types: ${summary}` };
}
