/** Exports of a figure: its SVG as drawn, a 2x PNG of it, and its data as CSV or JSON. */

export type ExportFormat = 'svg' | 'png' | 'csv' | 'json';

export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A standalone SVG document of an element drawn in the page. */
export function svgDocument(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  const { width, height } = svg.getBoundingClientRect();
  if (!clone.getAttribute('width')) clone.setAttribute('width', String(Math.ceil(width)));
  if (!clone.getAttribute('height')) clone.setAttribute('height', String(Math.ceil(height)));
  if (!clone.style.background) clone.style.background = 'white';
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
}

async function pngOf(svgText: string, width: number, height: number): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = 2;
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** RFC 4180 CSV of rows (columns = union of keys, in first-seen order). */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export async function exportFigure(
  format: ExportFormat,
  name: string,
  svg: SVGSVGElement | null,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const base = name.replace(/[^\w.-]+/g, '_');
  if (format === 'csv') return download(new Blob([toCsv(rows)], { type: 'text/csv' }), `${base}.csv`);
  if (format === 'json')
    return download(new Blob([JSON.stringify(rows, null, 1)], { type: 'application/json' }), `${base}.json`);
  if (!svg) throw new Error('nothing to export yet');
  const text = svgDocument(svg);
  if (format === 'svg') return download(new Blob([text], { type: 'image/svg+xml' }), `${base}.svg`);
  const { width, height } = svg.getBoundingClientRect();
  download(await pngOf(text, width, height), `${base}.png`);
}
