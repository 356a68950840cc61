/** Pure helpers of the web app: DTI's key bindings, the CSV export, heatmap layout and job progress text. */
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../../app/src/figures/exportFigure.ts';
import { heatmapLayout, matrixCells } from '../../../app/src/figures/plots.ts';
import { actionForKey } from '../../../app/src/keys.ts';
import { progressText } from '../../../app/src/progress.ts';

const key = (k: string, mods: Partial<Record<'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) =>
  actionForKey({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('key bindings (dti_spec §5.0 item 5)', () => {
  it('maps arrows, p, d, t and shift+D to MiniGrid actions 0-6', () => {
    expect(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'p', 'd', 't'].map((k) => key(k))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(key('D', { shiftKey: true })).toBe(6);
  });

  it('ignores other keys and browser shortcuts', () => {
    expect(key('ArrowDown')).toBeNull();
    expect(key('x')).toBeNull();
    expect(key('D')).toBeNull(); // caps lock without shift is not "done"
    expect(key('d', { ctrlKey: true })).toBeNull();
    expect(key('t', { metaKey: true })).toBeNull();
  });
});

describe('CSV export', () => {
  it('writes the union of columns and quotes commas, quotes and newlines', () => {
    const csv = toCsv([
      { action: 'left', p: 0.25 },
      { action: 'a, "b"', p: 0.5, note: 'x\ny' },
    ]);
    expect(csv).toBe('action,p,note\nleft,0.25,\n"a, ""b""",0.5,"x\ny"\n');
  });
});

describe('job progress text', () => {
  it('prints fractional progress as a whole percentage, an unknown total as a rounded count', () => {
    expect(progressText(5.555555555555555, 100)).toBe('5%');
    expect(progressText(2, 3)).toBe('66%');
    expect(progressText(3, 3)).toBe('100%');
    expect(progressText(7.6, 0)).toBe('8 done');
  });
});

describe('heatmap layout', () => {
  it('gives the left margin room for the longest row label, and keeps short labels at 70 px', () => {
    const rows = ['L0H0', 'blocks.1.hook_resid_post'];
    const cols = ['a', 'b', 'c'];
    const layout = heatmapLayout(matrixCells(new Float64Array(6), rows, cols), {
      rowLabels: rows,
      colLabels: cols,
    });
    expect(layout.marginLeft).toBeGreaterThanOrEqual(6.5 * 'blocks.1.hook_resid_post'.length + 20);
    expect(layout.width).toBe(layout.marginLeft + 20 + 3 * layout.cellW);
    const short = heatmapLayout(matrixCells(new Float64Array(3), ['R1'], cols), {
      rowLabels: ['R1'],
      colLabels: cols,
    });
    expect(short.marginLeft).toBe(70);
  });
});
