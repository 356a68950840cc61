/** Logit lens (accumulated residual by layer) and the decomposition of the logit difference into components. */
import type { DecompositionResult } from '../../../src/analysis/dynamic/decomposition.ts';
import type { LogitLensResult } from '../../../src/analysis/dynamic/logitLens.ts';
import { Figure } from '../figures/Figure.tsx';
import { barsY, heatmap, lineOver, matrixCells } from '../figures/plots.ts';
import { DirectionControls } from './DirectionControls.tsx';
import type { PanelViewProps } from './types.ts';

const bars = (a: { labels: string[]; values: number[] }) =>
  a.labels.map((label, i) => ({ label, value: a.values[i] }));

export function LogitLensView(props: PanelViewProps) {
  const { lens, decomposition: dec } = props.data as {
    lens: LogitLensResult;
    decomposition: DecompositionResult;
  };
  const dir = dec.direction.label;
  const accumulated = lens.layers.map((label, i) => ({ label, value: lens.logitDiff[i] }));
  const headLabels = Array.from({ length: dec.heads.grid[0]?.length ?? 0 }, (_, h) => `H${h}`);
  const layerLabels = dec.heads.grid.map((_, l) => `L${l}`);
  const headCells = matrixCells(dec.heads.grid.flat(), layerLabels, headLabels);
  const check = dec.components.check;
  const settings = `direction ${dir}, position ${dec.tokenLabel}, weights ${props.model.weights}`;
  return (
    <div className="logit-lens">
      <DirectionControls {...props} />
      <p className="summary">
        Logit difference <strong>{dir}</strong> at {dec.tokenLabel}:{' '}
        <strong data-testid="logit-diff">{dec.logitDiff.toFixed(4)}</strong> · components sum to{' '}
        {check.sum.toFixed(4)} (error {check.error.toExponential(1)})
        {dec.notes.map((n) => (
          <span key={n} className="muted">
            {' '}
            · {n}
          </span>
        ))}
      </p>
      <div className="figure-row">
        <Figure
          deps={[props.data]}
          settings={settings}
          name={`logit-lens-${dir}`}
          title="Accumulated residual (logit lens)"
          rows={accumulated.map((p) => ({ layer: p.label, logit_diff: p.value }))}
          draw={() => lineOver(accumulated, { yLabel: dir })}
        />
        <Figure
          deps={[props.data]}
          settings={settings}
          name={`layer-attribution-${dir}`}
          title="Per layer (embeddings, attention, MLP)"
          rows={bars(dec.layers).map((b) => ({ component: b.label, logit_diff: b.value }))}
          draw={() => barsY(bars(dec.layers), { yLabel: dir })}
        />
      </div>
      <div className="figure-row">
        <Figure
          deps={[props.data]}
          settings={settings}
          name={`component-attribution-${dir}`}
          title="Per component (heads, MLPs, embeddings, biases)"
          rows={bars(dec.components).map((b) => ({ component: b.label, logit_diff: b.value }))}
          draw={() => barsY(bars(dec.components), { yLabel: dir })}
        />
        <Figure
          deps={[props.data]}
          settings={settings}
          name={`head-attribution-${dir}`}
          title="Per head"
          rows={headCells.map((c) => ({ layer: c.row, head: c.col, logit_diff: c.value }))}
          draw={() =>
            heatmap(headCells, {
              rowLabels: layerLabels,
              colLabels: headLabels,
              xLabel: 'head',
              yLabel: 'layer',
              legend: `logit difference (${dir})`,
              text: true,
            })
          }
        />
      </div>
    </div>
  );
}
