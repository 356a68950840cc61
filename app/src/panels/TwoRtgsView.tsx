/** The window at two target RTGs: attention change per head, the most-changed head's difference, logit lens and attribution changes. */
import {
  attentionChangeByHead,
  attentionChangeFigure,
  attentionDifferenceFigure,
  attributionChangeFigure,
  logitLensChangeFigure,
} from '../../../src/analysis/figures/twoRtgFigures.ts';
import type { TwoRtgsResult } from '../../../src/session/panels/twoRtgs.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function TwoRtgsView({ data }: PanelViewProps) {
  const r = data as TwoRtgsResult;
  const change = attentionChangeByHead(r.attention, r.position);
  const order = change.map((_, i) => i).sort((a, b) => change[b] - change[a]);
  const [lo, hi] = r.lens.rtgs;
  const final = r.lens.layers.length - 1;
  return (
    <div className="two-rtgs">
      <p className="summary" data-testid="two-rtgs-summary">
        {r.lens.direction} at {r.attention.tokenLabels[r.position]}: {r.lens.low[final].toFixed(3)} at RTG{' '}
        {lo}, {r.lens.high[final].toFixed(3)} at RTG {hi}; attention moves most in{' '}
        {order
          .slice(0, 3)
          .map((i) => `${r.attention.heads[i]} (${change[i].toFixed(2)})`)
          .join(', ')}
      </p>
      <SpecFigures
        specs={[
          attentionChangeFigure(r.attention, r.position),
          attentionDifferenceFigure(r.attention, order[0]),
          logitLensChangeFigure(r.lens),
          attributionChangeFigure(r.attribution),
        ]}
        name="two-rtgs"
        deps={[data]}
      />
    </div>
  );
}
