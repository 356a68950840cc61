/** Figures given as `FigureSpec`s of `src/analysis/figures/` (the CLI's figures), drawn with hover tips. */
import { type FigureSpec, renderFigure } from '../../../src/analysis/figures/figure.ts';
import { Figure } from '../figures/Figure.tsx';

/** The spec's table as one object per row (CSV / JSON exports). */
const records = (spec: FigureSpec) =>
  spec.table.rows.map((r) => Object.fromEntries(spec.table.columns.map((c, i) => [c, r[i]])));

export function SpecFigures({
  specs,
  name,
  deps,
}: {
  specs: FigureSpec[];
  name: string;
  deps: readonly unknown[];
}) {
  return (
    <div className="figure-row">
      {specs.map((spec, i) => (
        <Figure
          key={spec.title}
          deps={deps}
          name={`${name}-${i}`}
          title={spec.title}
          rows={records(spec)}
          draw={() => renderFigure(spec, { interactive: true })}
        />
      ))}
    </div>
  );
}
