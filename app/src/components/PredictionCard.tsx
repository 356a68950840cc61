/** The model's action distribution at the last timestep: softmax bar chart and entropy. */
import type { ModelInfo, SessionView } from '../../../src/session/protocol.ts';
import { Figure } from '../figures/Figure.tsx';
import { barsX } from '../figures/plots.ts';

export function PredictionCard({
  model,
  view,
  computeMs,
}: {
  model: ModelInfo;
  view: SessionView;
  computeMs: number;
}) {
  const { probs, logits, entropy, greedyAction } = view.prediction;
  const rows = model.actionNames.map((action, a) => ({ action, probability: probs[a], logit: logits[a] }));
  const greedy = model.actionNames[greedyAction];
  return (
    <section className="card prediction" aria-label="prediction">
      <div className="card-head">
        <h2>Prediction</h2>
        {view.steering?.on && (
          <span className="badge steered" title={view.steering.description}>
            steered
          </span>
        )}
        <span className="muted">t = {view.time}</span>
      </div>
      <Figure
        name={`prediction-t${view.time}`}
        title="Action probabilities (softmax of the logits)"
        rows={rows}
        deps={[view.prediction]}
        draw={() =>
          barsX(
            rows.map((r) => ({ label: r.action, value: r.probability })),
            { domain: [0, 1], format: '%', highlight: greedy },
          )
        }
      />
      <div className="stats">
        <div className="stat">
          <span>Entropy</span>
          <strong data-testid="entropy">{entropy.toFixed(3)}</strong>
        </div>
        <div className="stat">
          <span>Greedy action</span>
          <strong data-testid="greedy-action">{greedy}</strong>
        </div>
        <div className="stat">
          <span>Engine</span>
          <strong>{computeMs.toFixed(0)} ms</strong>
        </div>
      </div>
    </section>
  );
}
