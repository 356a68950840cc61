/**
 * The HTML report: one self-contained static file (inline CSS, figures as inline SVG, no script, no
 * external resource) with the model's config, the weights variant, the dtlens version, every static
 * figure (`STATIC_REPORT_FIGURES`) and the dynamic figures of each window. Isomorphic: the CLI and the
 * app's worker render figures with `renderFigureSvg`.
 */
import { type JobControl, forEachChunk } from '../analysis/jobs.ts';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import { renderFigureSvg } from '../analysis/figures/svg.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { envConfigToJson, modelConfigToJson } from '../config/config.ts';
import type { DecisionTransformer } from '../model/decisionTransformer.ts';
import type { WeightVariant } from '../model/processing.ts';
import { parameterCount } from '../model/weights.ts';
import { DTLENS_VERSION } from '../version.ts';
import type { ReportWindow } from './defaultWindows.ts';
import { STATIC_REPORT_FIGURES } from './staticFigures.ts';
import { windowFigures } from './windowFigures.ts';
import { countOf } from '../text.ts';

export interface ReportInput {
  /** Model file name. */
  fileName: string;
  ckpt: Checkpoint;
  /** The model built from `ckpt` with `weights`. */
  model: DecisionTransformer;
  weights: WeightVariant;
  windows: ReportWindow[];
  /** Generation time (shown in the report). */
  generated: Date;
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function figureHtml(spec: FigureSpec): string {
  const svg = renderFigureSvg(spec).replace(/^<\?xml[^>]*>\s*/, '');
  return `<figure data-figure="${escape(spec.title)}">${svg}</figure>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;margin:0 auto;max-width:1400px;padding:24px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #e2e8f0}h3{font-size:14px}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
th{color:#64748b;font-weight:500}figure{display:inline-block;margin:8px 16px 16px 0;vertical-align:top}
p.muted{color:#64748b}svg{max-width:100%;height:auto}`;

/**
 * The report as an HTML document string. Built section by section through `forEachChunk` (progress is
 * counted in sections: every static analysis, then every window), so it can be cancelled and the app
 * stays playable while it is generated.
 */
export async function buildReport(o: ReportInput, control?: JobControl): Promise<string> {
  const config = [
    ...Object.entries(modelConfigToJson(o.ckpt.model)).map(([k, v]) => [`model.${k}`, v] as const),
    ...Object.entries(envConfigToJson(o.ckpt.env)).map(([k, v]) => [`env.${k}`, v] as const),
  ];
  const rows = [
    ['file', o.fileName],
    ['format', o.ckpt.format],
    ['parameters', parameterCount(o.ckpt.weights).toLocaleString('en-US')],
    ['weights variant', o.weights],
    ['dtlens version', DTLENS_VERSION],
    ['generated', o.generated.toISOString()],
    ...config.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ];
  // One section per chunk, so the app's worker answers play commands between sections.
  const staticSections: string[] = [];
  const windowSections: string[] = [];
  const nStatic = STATIC_REPORT_FIGURES.length;
  await forEachChunk(nStatic + o.windows.length, { ...control, chunkRows: 1 }, (i) => {
    if (i < nStatic) {
      const p = STATIC_REPORT_FIGURES[i];
      staticSections.push(
        `<section data-static="${escape(p.id)}"><h3>${escape(p.title)}</h3><p class="muted">${escape(p.description)}</p>` +
          p.figures(o.model).map(figureHtml).join('') +
          '</section>',
      );
    } else {
      const w = o.windows[i - nStatic];
      const { summary, figures } = windowFigures(o.model, w.inputs);
      windowSections.push(
        `<section data-window="${i - nStatic}"><h3>Window ${i - nStatic + 1}: ${escape(w.label)}</h3><p>${escape(summary)}</p>` +
          figures.map(figureHtml).join('') +
          '</section>',
      );
    }
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dtlens report: ${escape(o.fileName)}</title>
<meta name="generator" content="dtlens ${DTLENS_VERSION}"><style>${CSS}</style></head>
<body><h1>dtlens report: ${escape(o.fileName)}</h1>
<p class="muted">${escape(o.ckpt.env.envId)} · ${escape(o.weights)} weights · dtlens ${DTLENS_VERSION}</p>
<h2>Model</h2><table>${rows.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`).join('')}</table>
<h2>Static analyses (weights only)</h2>${staticSections.join('\n')}
<h2>Dynamic analyses (${countOf(o.windows.length, 'window')})</h2>${windowSections.join('\n')}
</body></html>
`;
}
