/**
 * The HTML report on dtlens's own Dynamic-Obstacles model (in the repo): self-contained (no script, no
 * external resource), with the config, weights variant and version, every static figure producer's
 * figures, and one section per window whose numbers come from the model.
 */
import { readFileSync } from 'node:fs';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { STATIC_ANALYSES } from '../../../src/analysis/static/requests.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { toFloat32 } from '../../../src/io/rawTensor.ts';
import { createModel } from '../../../src/model/load.ts';
import { defaultWindows } from '../../../src/report/defaultWindows.ts';
import { buildReport } from '../../../src/report/html.ts';
import { STATIC_REPORT_FIGURES, weightTensors } from '../../../src/report/staticFigures.ts';
import { DTLENS_VERSION } from '../../../src/version.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const FILE = 'MiniGrid-Dynamic-Obstacles-8x8-v0.safetensors';
const ckpt = loadCheckpoint(
  new Uint8Array(readFileSync(new URL(`../../../models/${FILE}`, import.meta.url))),
  FILE,
);
const gemm = new TsGemm();
const model = createModel(ckpt, { weights: 'processed', gemm });
const windows = defaultWindows(ckpt, { gemm, weights: 'processed', seeds: [0, 3], maxSteps: 5 });
const progress: [number, number][] = [];
const html = await buildReport(
  { fileName: FILE, ckpt, model, weights: 'processed', windows, generated: new Date(0) },
  { onProgress: (done, total) => progress.push([done, total]) },
);

describe('HTML report', () => {
  const { document } = parseHTML(html);

  it('is built section by section: progress over every static analysis and window, and cancel', async () => {
    const total = STATIC_REPORT_FIGURES.length + windows.length;
    expect(progress).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
    const controller = new AbortController();
    const report = buildReport(
      { fileName: FILE, ckpt, model, weights: 'processed', windows, generated: new Date(0) },
      { signal: controller.signal, onProgress: (done) => done === 2 && controller.abort() },
    );
    await expect(report).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('is self-contained: no script and nothing loaded from elsewhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('states the model, its config, the weights variant and the dtlens version', () => {
    const cells = Object.fromEntries(
      [...document.querySelectorAll('tr')].map((tr) => [
        tr.querySelector('th')!.textContent,
        tr.querySelector('td')!.textContent,
      ]),
    );
    expect(cells).toMatchObject({
      file: FILE,
      'weights variant': 'processed',
      'dtlens version': DTLENS_VERSION,
      generated: '1970-01-01T00:00:00.000Z',
      'env.env_id': 'MiniGrid-Dynamic-Obstacles-8x8-v0',
      'model.n_layers': '1',
    });
  });

  it('contains every static figure producer with its figures', () => {
    for (const p of STATIC_REPORT_FIGURES) {
      const section = document.querySelector(`[data-static="${p.id}"]`);
      expect(section, p.id).not.toBeNull();
      expect(section!.querySelectorAll('figure > svg').length).toBe(p.figures(model).length);
    }
  });

  it('has a section with figures for every static analysis of the registry', () => {
    for (const analysis of STATIC_ANALYSES) {
      const section = document.querySelector(`[data-static="${analysis}"]`);
      expect(section, analysis).not.toBeNull();
      expect(section!.querySelectorAll('figure > svg').length, analysis).toBeGreaterThan(0);
    }
  });

  it('draws the weight norms from the weights (checked by hand on the raw state embedding)', () => {
    const raw = createModel(ckpt, { weights: 'raw', gemm });
    const [name, t] = weightTensors(raw)[0];
    expect(name).toBe('stateEmbedding');
    const direct = toFloat32(ckpt.weights.get('state_embedding.weight')!);
    expect(t.data.length).toBe(direct.length);
    const norm = Math.sqrt(direct.reduce((a, v) => a + v * v, 0));
    const figure = STATIC_REPORT_FIGURES.find((p) => p.id === 'weight-norms')!.figures(raw)[0];
    expect(figure.table.rows[0][0]).toBe('stateEmbedding');
    expect(figure.table.rows[0][1] as number).toBeCloseTo(norm, 4);
  });

  it('has one section per window with the dynamic figures and the model’s decision', () => {
    const sections = document.querySelectorAll('[data-window]');
    expect(sections.length).toBe(2);
    for (const s of sections) {
      expect(s.textContent).toMatch(/greedy action \w+ \(p = 0\.\d{4}\)/);
      expect(s.querySelectorAll('figure > svg').length).toBe(5);
    }
    expect(sections[0].querySelector('h3')!.textContent).toContain('seed 0');
  });

  it('keeps the version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(DTLENS_VERSION).toBe(pkg.version);
  });
});
