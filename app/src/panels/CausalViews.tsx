/**
 * Views of the causal panels: activation patching (a grid editor of the corrupted observation, clean and
 * corrupted side by side, and the sweep's heatmap with the raw metric values on hover), counterfactual
 * attention, and ablation (before/after bars). Figures come from `src/analysis/figures/`.
 */
import type { AblationResult } from '../../../src/analysis/causal/ablation.ts';
import { weakCorruptionWarning } from '../../../src/analysis/causal/metrics.ts';
import type { CounterfactualAttentionResult } from '../../../src/analysis/causal/counterfactualAttention.ts';
import {
  ablationAttributionFigure,
  ablationPredictionFigure,
  counterfactualAttentionFigure,
} from '../../../src/analysis/figures/causalFigures.ts';
import type { FigureSpec } from '../../../src/analysis/figures/figure.ts';
import { patchingFigure } from '../../../src/analysis/figures/patchingFigures.ts';
import { OBJECT_NAMES } from '../../../src/env/core/constants.ts';
import type { PatchingPanelResult } from '../../../src/session/panels/causal.ts';
import { Figure } from '../figures/Figure.tsx';
import { specFigureProps } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

/** A one-line warning banner (nothing when `text` is null). */
export function Warning({ text }: { text: string | null }) {
  return text ? (
    <p className="banner notice" role="status">
      {text}
    </p>
  ) : null;
}

/** A figure spec drawn interactively, exported with its table. */
export function SpecFigure({ spec, name }: { spec: FigureSpec; name: string }) {
  return <Figure name={name} deps={[spec]} {...specFigureProps(spec)} />;
}

const SHORT: Record<string, string> = {
  unseen: '·',
  empty: '',
  wall: 'W',
  floor: 'f',
  door: 'D',
  key: 'K',
  ball: 'B',
  box: 'X',
  goal: 'G',
  lava: 'L',
  agent: 'A',
};

/** One observation as a clickable grid of object initials (rows = view y, columns = view x). */
function ObjectGrid(props: {
  grid: number[];
  X: number;
  Y: number;
  other: number[];
  selected: [number, number];
  onPick?: (x: number, y: number) => void;
  label: string;
}) {
  const { grid, X, Y, other, selected, onPick, label } = props;
  return (
    <div className="object-grid">
      <span className="muted">{label}</span>
      <table>
        <tbody>
          {Array.from({ length: Y }, (_, y) => (
            <tr key={y}>
              {Array.from({ length: X }, (_, x) => {
                const o = grid[x * Y + y];
                const name = OBJECT_NAMES[o] ?? String(o);
                const changed = o !== other[x * Y + y];
                const sel = selected[0] === x && selected[1] === y;
                return (
                  <td key={x}>
                    <button
                      type="button"
                      title={`(${x},${y}) ${name}`}
                      onClick={onPick ? () => onPick(x, y) : undefined}
                      style={{
                        width: 22,
                        height: 22,
                        padding: 0,
                        fontSize: 11,
                        background: changed ? '#fddbc7' : sel ? '#d1e5f0' : undefined,
                        outline: sel ? '2px solid #2166ac' : undefined,
                      }}
                    >
                      {SHORT[name] ?? name[0]}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PatchingView({ data, params, setParams }: PanelViewProps) {
  const d = data as PatchingPanelResult;
  const r = d.result;
  const [X, Y] = d.obsShape;
  const spec = patchingFigure(r);
  const selected: [number, number] = [params.x as number, params.y as number];
  return (
    <div className="causal">
      {d.identical ? (
        <p className="banner notice">Clean and corrupted tokens are identical: every patch is a no-op.</p>
      ) : (
        <Warning text={weakCorruptionWarning(r.metric, r.clean, r.corrupted)} />
      )}
      <p className="muted">
        {d.changes.join('; ')} · {r.mode} · {r.metric}: clean {r.clean.toFixed(4)}, corrupted{' '}
        {r.corrupted.toFixed(4)}
        {r.extra &&
          ` · ${r.extra.label}: clean ${r.extra.clean.toFixed(4)}, corrupted ${r.extra.corrupted.toFixed(4)}`}
      </p>
      {d.grids.clean.length > 0 && (
        <div className="row">
          <ObjectGrid
            label={`clean, step ${params.step} (click a cell to edit it)`}
            grid={d.grids.clean}
            other={d.grids.corrupted}
            X={X}
            Y={Y}
            selected={selected}
            onPick={(x, y) => setParams({ ...params, corruption: 'state', x, y })}
          />
          <ObjectGrid
            label="corrupted"
            grid={d.grids.corrupted}
            other={d.grids.clean}
            X={X}
            Y={Y}
            selected={selected}
          />
        </div>
      )}
      <SpecFigure spec={spec} name={`patching-${r.mode}-${r.sweep.kind}`} />
    </div>
  );
}

export function CounterfactualAttentionView({ data, params }: PanelViewProps) {
  const d = data as { result: CounterfactualAttentionResult; changes: string[]; identical: boolean };
  const head = params.head as number;
  const spec = counterfactualAttentionFigure(
    d.result,
    head < 0 ? undefined : { layer: params.layer as number, head },
  );
  return (
    <div className="causal">
      {d.identical && <p className="banner notice">The corruption changes nothing in this window.</p>}
      <p className="muted">{d.changes.join('; ')}</p>
      <SpecFigure
        spec={spec}
        name={`counterfactual-attention-${head < 0 ? 'all' : `L${params.layer}H${head}`}`}
      />
    </div>
  );
}

export function AblationView({ data }: PanelViewProps) {
  const r = data as AblationResult;
  return (
    <div className="causal">
      <p className="muted">
        {r.decompositionBefore.direction.label}: {r.logitDiffBefore.toFixed(4)} →{' '}
        {r.logitDiffAfter.toFixed(4)}
      </p>
      <SpecFigure spec={ablationPredictionFigure(r)} name="ablation-prediction" />
      <SpecFigure spec={ablationAttributionFigure(r)} name="ablation-attribution" />
    </div>
  );
}
