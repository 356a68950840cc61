/**
 * One figure language: positive blue, negative red everywhere (thumbnails, bars, heatmaps, legends);
 * scales fitted to the data; exports that carry the title (unclipped), the legend and the settings.
 */
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { barFigure, heatmapFigure } from '../../../src/analysis/figures/charts.ts';
import {
  NEGATIVE,
  POSITIVE,
  barColour,
  css,
  maxAbs,
  sequentialRgb,
  signedRgb,
  signedScale,
} from '../../../src/analysis/figures/colours.ts';
import { valueColour } from '../../../src/analysis/figures/figure.ts';
import { renderFigureSvg } from '../../../src/analysis/figures/svg.ts';

const parse = (svg: string) =>
  parseHTML(`<html><body>${svg.replace(/^<\?xml[^>]*>/, '')}</body></html>`).document;

describe('figure language', () => {
  it('draws positive values blue and negative values red in every colour helper', () => {
    const [pr, , pb] = signedRgb(2, 4);
    const [nr, , nb] = signedRgb(-2, 4);
    expect(pb).toBeGreaterThan(pr);
    expect(nr).toBeGreaterThan(nb);
    expect(signedRgb(4, 4)).toEqual(POSITIVE);
    expect(signedRgb(-9, 4)).toEqual(NEGATIVE);
    expect(barColour(0.3)).toBe(css(POSITIVE));
    expect(barColour(-0.3)).toBe(css(NEGATIVE));
    expect(sequentialRgb(1, 1)).toEqual(POSITIVE);
    expect(signedScale(3)).toMatchObject({
      domain: [-3, 0, 3],
      range: [css(NEGATIVE), expect.any(String), css(POSITIVE)],
    });
  });

  it('scales colours to the data, leaving masked scores (-1e5) out', () => {
    expect(maxAbs([0.5, -3, -1e5, NaN, 2])).toBe(3);
    expect(valueColour('v', [-1, 0.5, 'x'])).toMatchObject({ domain: [-1, 0, 1] });
    expect(valueColour('p', [0, 0.25, 0.75])).toMatchObject({
      domain: [0, 0.75],
      range: ['rgb(255,255,255)', css(POSITIVE)],
    });
  });

  it('exports a heatmap with its full title, a legend of the same scale, and the settings', () => {
    const title = 'a rather long title that would not fit the width of a two by two heatmap at all';
    const spec = {
      ...heatmapFigure({
        title,
        columns: ['row', 'col', 'value'],
        rows: [
          ['a', 'x', -2],
          ['a', 'y', 1],
          ['b', 'x', 0.5],
          ['b', 'y', 2],
        ],
        x: { column: 1, domain: ['x', 'y'], label: 'col' },
        y: { column: 0, domain: ['a', 'b'], label: 'row' },
        value: 2,
      }),
      settings: 'direction forward − left, position S9, weights raw',
    };
    const doc = parse(renderFigureSvg(spec));
    const root = doc.querySelector('svg')!;
    const texts = [...root.children]
      .filter((c) => c.tagName.toLowerCase() === 'text')
      .map((t) => t.textContent);
    expect(texts).toEqual([title, spec.settings]);
    expect(Number(root.getAttribute('width'))).toBeGreaterThanOrEqual(title.length * 13 * 0.6);
    const stops = [...doc.querySelectorAll('stop')].map((s) => s.getAttribute('stop-color'));
    expect(stops).toEqual([css(NEGATIVE), expect.any(String), css(POSITIVE)]);
    expect(root.textContent).toContain('-2');
  });

  it('colours bars by sign with a legend', () => {
    const doc = parse(
      renderFigureSvg(
        barFigure({ title: 't', labels: ['a', 'b'], values: [1, -1], labelName: 'x', valueName: 'v' }),
      ),
    );
    expect(doc.querySelectorAll('linearGradient').length).toBe(1);
    expect(doc.querySelectorAll('rect[fill]').length).toBeGreaterThanOrEqual(2);
  });
});
