/**
 * Figure specs rendered to SVG in Node (linkedom): valid standalone SVG with one element per plotted
 * datum and hover titles, interactive renders with tips, CSV and JSON exports that round-trip, PNG.
 */
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import {
  analysisRun,
  attentionPatterns,
  cacheSlice,
  decomposeLogitDiff,
  logitLens,
  observationView,
  residNorms,
} from '../../../src/analysis/dynamic/index.ts';
import {
  type FigureSpec,
  attentionFigure,
  attentionHeadGridFigure,
  attributionFigure,
  barFigure,
  cacheSliceFigure,
  channelContributionFigure,
  figureCsv,
  figureJson,
  headAttributionFigure,
  heatmapFigure,
  lineFigure,
  logitLensActionsFigure,
  logitLensFigure,
  observationGridsFigure,
  renderFigure,
  residNormsFigure,
} from '../../../src/analysis/figures/index.ts';
import { seriesFigure } from '../../../src/analysis/figures/scanFigures.ts';
import { DtlensError } from '../../../src/errors.ts';
import { renderFigurePng, renderFigureSvg } from '../../../src/node/figures.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const P = 8;
const arch = tinyArch({ obsShape: [3, 3, 20] });
const run = analysisRun(randomModel(arch, { variant: 'processed' }), windowInputs(arch));

/** Parses an SVG document string; fails on anything that is not a single <svg> root in the SVG namespace. */
function parseSvg(svg: string) {
  expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
  const { DOMParser } = parseHTML('<!doctype html><html></html>');
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  expect(root.tagName.toLowerCase()).toBe('svg');
  expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
  expect(Number(root.getAttribute('width'))).toBeGreaterThan(0);
  return root;
}

/** The <rect>s of the mark group with this aria-label. */
const rectsOf = (root: Element, mark: string) => [...root.querySelectorAll(`g[aria-label="${mark}"] rect`)];

/** A minimal RFC 4180 parser (quoted fields, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted || (c !== '"' && c !== ',' && c !== '\r')) field += c;
    else if (c === '"') quoted = true;
    else {
      row.push(field);
      field = '';
      if (c === '\r') {
        rows.push(row);
        row = [];
        i++; // the \n of CRLF
      }
    }
  }
  return rows;
}

function expectRoundTrips(spec: FigureSpec) {
  const csv = parseCsv(figureCsv(spec));
  expect(csv[0]).toEqual(spec.table.columns);
  expect(csv.length - 1).toBe(spec.table.rows.length);
  csv.slice(1).forEach((r, i) =>
    r.forEach((v, j) => {
      const original = spec.table.rows[i][j];
      expect(typeof original === 'number' ? Number(v) : v).toBe(original);
    }),
  );
  const json = JSON.parse(figureJson(spec)) as { title: string; rows: Record<string, unknown>[] };
  expect(json.title).toBe(spec.title);
  expect(json.rows.map((r) => spec.table.columns.map((c) => r[c]))).toEqual(spec.table.rows);
}

describe('figures', () => {
  const attention = attentionPatterns(run);
  const lens = logitLens(run);
  const dec = decomposeLogitDiff(run);
  const obs = observationView(run);

  it('attention head: one cell per causal (query, key) pair, each with a hover title', () => {
    const spec = attentionFigure(attention, { layer: 1, head: -1 });
    const root = parseSvg(renderFigureSvg(spec));
    const cells = rectsOf(root, 'cell');
    expect(cells).toHaveLength((P * (P + 1)) / 2);
    expect(cells.every((c) => c.querySelector('title'))).toBe(true);
    expect(cells[0].querySelector('title')!.textContent).toContain('destination (query): R1');
    expect(root.textContent).toContain('L1H1 attention pattern');
    expect(spec.table.rows[0]).toEqual(['R1', 'R1', attention.data.data[(1 * 2 + 1) * P * P]]);
    expectRoundTrips(spec);
    expect(() => attentionFigure(attention, { layer: 2, head: 0 })).toThrow(DtlensError);
  });

  it('attention grid: every head as a thumbnail', () => {
    const spec = attentionHeadGridFigure(attention);
    expect(rectsOf(parseSvg(renderFigureSvg(spec)), 'cell')).toHaveLength(4 * ((P * (P + 1)) / 2));
  });

  it('bars: one bar per component in order, with the direction in the axis name', () => {
    const spec = attributionFigure(dec, 'components');
    const root = parseSvg(renderFigureSvg(spec));
    expect(rectsOf(root, 'bar')).toHaveLength(dec.components.labels.length);
    expect(spec.table.rows.map((r) => r[0])).toEqual(dec.components.labels);
    expect(spec.table.columns[1]).toBe('logit difference (left − right)');
    expectRoundTrips(spec);
    expect(rectsOf(parseSvg(renderFigureSvg(attributionFigure(dec, 'neurons'))), 'bar')).toHaveLength(
      dec.neurons!.values.length,
    );
    expect(() => attributionFigure(decomposeLogitDiff(run, { neurons: false }), 'neurons')).toThrow(
      DtlensError,
    );
  });

  it('head and action-logit heatmaps, logit lens and norm lines', () => {
    expect(rectsOf(parseSvg(renderFigureSvg(headAttributionFigure(dec))), 'cell')).toHaveLength(4);
    expect(rectsOf(parseSvg(renderFigureSvg(logitLensActionsFigure(lens))), 'cell')).toHaveLength(5 * 3);
    const line = parseSvg(renderFigureSvg(logitLensFigure(lens)));
    expect(line.querySelectorAll('g[aria-label="dot"] circle')).toHaveLength(5);
    const norms = residNormsFigure(residNorms(run), { batch: 1, position: 4 });
    expect(norms.title).toContain('S2');
    expectRoundTrips(norms);
  });

  it('observation grids: one cell per grid square of each chosen channel, and channel contributions', () => {
    const grids = observationGridsFigure(obs, { grid: 'activationProjection', channels: [5, 6] });
    expect(rectsOf(parseSvg(renderFigureSvg(grids)), 'cell')).toHaveLength(2 * 9);
    expect(rectsOf(parseSvg(renderFigureSvg(observationGridsFigure(obs))), 'cell')).toHaveLength(20 * 9);
    expect(() => observationGridsFigure(obs, { channels: [20] })).toThrow(DtlensError);
    const bars = channelContributionFigure(obs);
    expect(bars.table.rows.map((r) => r[0]).slice(-2)).toEqual(['time', 'token']);
    expect(rectsOf(parseSvg(renderFigureSvg(bars)), 'bar')).toHaveLength(22);
  });

  it('cache slices', () => {
    const s = cacheSlice(run, { hook: 'blocks.0.hook_resid_post', rows: 'pos', cols: 'd_model' });
    const spec = cacheSliceFigure(s);
    expect(rectsOf(parseSvg(renderFigureSvg(spec)), 'cell')).toHaveLength(P * 8);
    expect(spec.title).toBe('blocks.0.hook_resid_post [batch=0]');
  });

  it('interactive renders carry pointer tips instead of titles', () => {
    const { document } = parseHTML('<!doctype html><html><body></body></html>');
    const el = renderFigure(attributionFigure(dec, 'layers'), {
      document: document as unknown as Document,
      interactive: true,
    });
    expect(el.querySelector('g[aria-label="tip"]')).not.toBeNull();
    expect(el.querySelector('g[aria-label="bar"] title')).toBeNull();
  });

  it('CSV quotes fields with commas, quotes and line breaks', () => {
    const spec = barFigure({
      title: 't',
      labels: ['a,b', 'say "hi"', 'two\nlines'],
      values: [1, -2.5, 1e-7],
      labelName: 'name',
      valueName: 'value',
    });
    expect(figureCsv(spec)).toBe('name,value\r\n"a,b",1\r\n"say ""hi""",-2.5\r\n"two\nlines",1e-7\r\n');
    expectRoundTrips(spec);
  });

  it('PNG export rasterises the SVG', () => {
    const png = renderFigurePng(headAttributionFigure(dec), { scale: 1 });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    const width = Number(parseSvg(renderFigureSvg(headAttributionFigure(dec))).getAttribute('width'));
    expect(view.getUint32(16)).toBe(width); // IHDR width at scale 1
  });
});

describe('figure layout', () => {
  const names = ['L0H0', 'L0H1', 'L1H0', 'L1H1', '0_mlp_out', '1_mlp_out', 'embed', 'pos_embed', 'bias'];
  const states = ['0_pre', '0_mid', '1_pre', '1_mid', 'final_post'];
  const lines = lineFigure({
    title: 'projection lines',
    columns: ['state', 'component', 'projection'],
    rows: names.flatMap((n, k) => states.map((s, j) => [s, n, Math.sin(k + j)])),
    x: { column: 0, domain: states, label: 'state' },
    y: 2,
    series: 1,
  });

  it('without its caption the figure has no title line and scales as one picture (viewBox)', () => {
    const { document } = parseHTML('<!doctype html><html><body></body></html>');
    const doc = document as unknown as Document;
    const spec = { ...lines, settings: 'norm: vector' };
    const full = renderFigure(spec, { document: doc });
    const bare = renderFigure(spec, { document: doc, caption: false });
    const texts = (el: Element) => [...el.children].filter((c) => c.tagName.toLowerCase() === 'text');
    expect(texts(full).map((t) => t.textContent)).toEqual(['projection lines', 'norm: vector']);
    expect(texts(bare)).toHaveLength(0);
    const [w, h] = ['width', 'height'].map((a) => bare.getAttribute(a));
    expect(bare.getAttribute('viewBox')).toBe(`0 0 ${w} ${h}`);
  });

  it('a line figure with series names every series in a legend inside its width', () => {
    const root = parseSvg(renderFigureSvg(lines));
    const width = Number(root.querySelector('svg[class^="plot-"]')!.getAttribute('width'));
    const labels = [...root.querySelectorAll('g[aria-label="text"]')].map((g) => {
      const x = Number(/translate\(([\d.]+)/.exec(g.getAttribute('transform')!)![1]);
      const at = Number(/translate\(([\d.]+)/.exec(g.querySelector('text')!.getAttribute('transform')!)![1]);
      return { name: g.textContent!, right: x + at + 6.5 * g.textContent!.length };
    });
    expect(labels.map((l) => l.name)).toEqual(names);
    for (const l of labels) expect(l.right).toBeLessThanOrEqual(width);
  });

  it('scan lines: end labels for a few series, a legend inside the width past eight', () => {
    const rowsOf = (n: number) =>
      Array.from({ length: n }, (_, k) => [0, 1, 2].map((x) => [x, `component_${k}`, k + x])).flat();
    const textsOf = (n: number) => {
      const root = parseSvg(renderFigureSvg(seriesFigure('scan', ['x', 'component', 'value'], rowsOf(n))));
      const width = Number(root.querySelector('svg[class^="plot-"]')!.getAttribute('width'));
      const labels = [...root.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent);
      return { width, labels };
    };
    expect(textsOf(3).labels).toEqual(['component_0', 'component_1', 'component_2']);
    const many = textsOf(12);
    expect(many.labels).toEqual(Array.from({ length: 12 }, (_, k) => `component_${k}`));
    expect(many.width).toBeGreaterThanOrEqual(530 + 20 + 40 + 6.5 * 'component_10'.length);
  });

  it('heatmap margins hold the longest row label and stand long column labels up', () => {
    const heads = ['L0H0 (action)', 'L1H3 (mixed)'];
    const keys = ['rtg', 'same-step'];
    const options = heatmapFigure({
      title: 'head types',
      columns: ['head', 'key', 'mass'],
      rows: heads.flatMap((h) => keys.map((k) => [h, k, 0.5])),
      x: { column: 1, domain: keys, label: 'key' },
      y: { column: 0, domain: heads, label: 'head' },
      value: 2,
      cellSize: 30,
    }).options(false);
    expect(options.marginLeft).toBeGreaterThanOrEqual(6.5 * 'L0H0 (action)'.length + 20);
    expect(options.x?.tickRotate).toBe(-90);
    expect(options.marginBottom).toBeGreaterThanOrEqual(6.5 * 'same-step'.length + 20);
  });
});
