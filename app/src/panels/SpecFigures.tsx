/** Figures given as `FigureSpec`s of `src/analysis/figures/` (the CLI's figures), drawn with hover tips. */
import { type FigureSpec, renderFigure, renderFigureParts } from '../../../src/analysis/figures/figure.ts';
import { Figure, type FigureProps } from '../figures/Figure.tsx';

/** The spec's table as one object per row (CSV / JSON exports). */
const records = (spec: FigureSpec) =>
  spec.table.rows.map((r) => Object.fromEntries(spec.table.columns.map((c, i) => [c, r[i]])));

/**
 * `Figure` props of a spec: on screen the title and settings are the card's caption and settings line
 * (drawn once, not again inside the SVG) over the plot with pointer tips; exports draw static SVG (hover values as `<title>`s) and
 * `Figure` stacks the title and settings back onto them.
 */
export function specFigureProps(
  spec: FigureSpec,
): Pick<FigureProps, 'title' | 'settings' | 'rows' | 'draw' | 'exportDraw'> {
  return {
    title: spec.title,
    settings: spec.settings,
    rows: records(spec),
    draw: () => {
      // plot and legend side by side in the DOM (not nested in one SVG): pointer tips work, and each
      // scales down to the card (styles.css)
      const wrap = document.createElement('div');
      wrap.className = 'figure-parts';
      wrap.append(...renderFigureParts(spec, { interactive: true }));
      return wrap;
    },
    exportDraw: () => renderFigure(spec, { caption: false }),
  };
}

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
        <Figure key={spec.title} deps={deps} name={`${name}-${i}`} {...specFigureProps(spec)} />
      ))}
    </div>
  );
}
