/**
 * The dynamic figures of the HTML report for one window: the action distribution, the logit lens, the
 * direct logit attribution per component and per head, and every head's attention pattern. The logit
 * direction is the greedy action minus the runner-up (what the model weighs at its decision).
 */
import { attentionPatterns } from '../analysis/dynamic/attention.ts';
import { decomposeLogitDiff } from '../analysis/dynamic/decomposition.ts';
import { logitLens } from '../analysis/dynamic/logitLens.ts';
import { analysisRun } from '../analysis/dynamic/run.ts';
import { attentionHeadGridFigure } from '../analysis/figures/attentionFigures.ts';
import { barFigure } from '../analysis/figures/charts.ts';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import {
  attributionFigure,
  headAttributionFigure,
  logitLensFigure,
} from '../analysis/figures/logitLensFigures.ts';
import { IDX_TO_ACTION } from '../env/core/actions.ts';
import type { DTInputs, DecisionTransformer } from '../model/decisionTransformer.ts';
import { predictionFrom } from '../session/playSession.ts';

/** Figures of one window (batch of one) and a one-line summary of the model's decision. */
export function windowFigures(
  model: DecisionTransformer,
  inputs: DTInputs,
): { summary: string; figures: FigureSpec[] } {
  const run = analysisRun(model, inputs);
  const p = predictionFrom(run.actionPreds);
  const order = Array.from(p.probs.keys()).sort((a, b) => p.probs[b] - p.probs[a]);
  const name = (a: number) => IDX_TO_ACTION[a] ?? `action ${a}`;
  const direction = { positive: order[0], negative: order[1] ?? null };
  const lens = logitLens(run, { direction });
  const decomposition = decomposeLogitDiff(run, { direction, neurons: false });
  return {
    summary:
      `greedy action ${name(order[0])} (p = ${p.probs[order[0]].toFixed(4)}), entropy ${p.entropy.toFixed(3)} nats; ` +
      `logit difference ${decomposition.direction.label} = ${decomposition.logitDiff.toFixed(4)}`,
    figures: [
      barFigure({
        title: 'action probabilities (softmax of the logits)',
        labels: order.map(name),
        values: order.map((a) => p.probs[a]),
        labelName: 'action',
        valueName: 'probability',
      }),
      logitLensFigure(lens),
      attributionFigure(decomposition, 'components'),
      headAttributionFigure(decomposition),
      attentionHeadGridFigure(attentionPatterns(run)),
    ],
  };
}
