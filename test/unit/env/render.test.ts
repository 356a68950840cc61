import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { renderGridSvg, renderObservationSvg } from '../../../src/env/render/index.ts';
import type { EnvSnapshot } from '../../../src/env/snapshot.ts';

type Cell = [number, number, number];

/** A walled `width`x`height` snapshot with the given inner cells (others empty) and visible cells. */
function handSnapshot(opts: {
  width: number;
  height: number;
  objects: Record<string, Cell>;
  agent: [number, number, number];
  visible: [number, number][];
  mission?: string;
}): EnvSnapshot {
  const { width, height } = opts;
  const grid = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const border = x === 0 || y === 0 || x === width - 1 || y === height - 1;
      const cell = opts.objects[`${x},${y}`] ?? (border ? [2, 5, 0] : [1, 0, 0]);
      grid.set(cell, (x * height + y) * 3);
    }
  }
  const visible = new Uint8Array(width * height);
  for (const [x, y] of opts.visible) visible[x * height + y] = 1;
  return {
    width,
    height,
    grid,
    agentPos: [opts.agent[0], opts.agent[1]],
    agentDir: opts.agent[2],
    carrying: null,
    agentViewSize: 7,
    visible,
    stepCount: 0,
    maxSteps: 100,
    mission: opts.mission ?? 'test',
  };
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * Parses a small XML document strictly (balanced tags, quoted unique attributes, known entities only,
 * nothing after the root); throws on any well-formedness error.
 */
function parseXml(src: string): XmlElement {
  const token =
    /<\/([A-Za-z][\w:-]*)\s*>|<([A-Za-z][\w:-]*)((?:\s+[A-Za-z][\w:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const attrRe = /([A-Za-z][\w:-]*)="([^"<]*)"/g;
  const checkText = (t: string): string => {
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+);)/.test(t) || t.includes('>'))
      throw new Error(`bad character data: ${t}`);
    return t
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
      .replace(
        /&(amp|lt|gt|quot|apos);/g,
        (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '',
      );
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  let pos = 0;
  while (pos < src.length) {
    token.lastIndex = pos;
    const m = token.exec(src);
    if (!m) throw new Error(`malformed XML at offset ${pos}: ${src.slice(pos, pos + 40)}`);
    pos = token.lastIndex;
    const top = stack[stack.length - 1];
    if (m[1]) {
      if (top.name !== m[1]) throw new Error(`closing </${m[1]}> does not match <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      if (stack.length === 1 && root.children.length > 0) throw new Error('more than one root element');
      const attrs: Record<string, string> = {};
      for (const a of m[3].matchAll(attrRe)) {
        if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]] = checkText(a[2]);
      }
      const el: XmlElement = { name: m[2], attrs, children: [], text: '' };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    } else {
      if (stack.length === 1 && m[5].trim() !== '') throw new Error('text outside the root element');
      top.text += checkText(m[5]);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('unbalanced document');
  return root.children[0];
}

/** All descendants of `el` (depth first) satisfying `pred`. */
function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (e: XmlElement): void => {
    for (const c of e.children) {
      if (pred(c)) out.push(c);
      visit(c);
    }
  };
  visit(el);
  return out;
}

const hasClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(' ').includes(cls);

const S = handSnapshot({
  width: 7,
  height: 6,
  objects: {
    '1,1': [5, 1, 0], // green key
    '2,1': [6, 2, 0], // blue ball
    '3,1': [7, 3, 0], // purple box
    '4,1': [4, 4, 2], // yellow locked door
    '5,1': [8, 1, 0], // goal
    '1,2': [9, 0, 0], // lava
    '2,2': [3, 2, 0], // blue floor
    '3,2': [4, 0, 0], // red open door
    '4,2': [4, 2, 1], // blue closed door
  },
  agent: [3, 3, 1],
  visible: [
    [2, 3],
    [3, 3],
    [4, 3],
    [2, 4],
    [3, 4],
    [4, 4],
  ],
  mission: 'go <here> & "there"',
});

const tileAt = (root: XmlElement, x: number, y: number): XmlElement => {
  const tile = findAll(root, (e) => e.attrs['data-x'] === String(x) && e.attrs['data-y'] === String(y));
  expect(tile).toHaveLength(1);
  return tile[0];
};
const fills = (el: XmlElement): string[] => findAll(el, (e) => 'fill' in e.attrs).map((e) => e.attrs.fill);

describe('renderGridSvg', () => {
  const root = parseXml(renderGridSvg(S, { tileSize: 32 }));

  it('is a well-formed SVG document of the grid size, titled by the escaped mission', () => {
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect([root.attrs.width, root.attrs.height]).toEqual(['224', '192']);
    expect(findAll(root, (e) => e.name === 'title')[0].text).toBe('go <here> & "there"');
    expect(findAll(root, hasClass('tile'))).toHaveLength(42);
  });

  it('draws one object group per object cell, with the shape count of each object type', () => {
    const count = (type: string) => findAll(root, hasClass(`obj-${type}`)).length;
    expect({
      wall: count('wall'),
      key: count('key'),
      ball: count('ball'),
      box: count('box'),
      door: count('door'),
      goal: count('goal'),
      lava: count('lava'),
      floor: count('floor'),
    }).toEqual({ wall: 22, key: 1, ball: 1, box: 1, door: 3, goal: 1, lava: 1, floor: 1 });
    const shapes = (x: number, y: number) =>
      findAll(tileAt(root, x, y), hasClass('obj'))[0]
        .children.map((e) => e.name)
        .join(' ');
    expect(shapes(1, 1)).toBe('rect rect rect circle circle'); // key: shaft, 2 teeth, ring, hole
    expect(shapes(4, 1)).toBe('rect rect rect'); // locked door with key slot
    expect(shapes(3, 2)).toBe('rect rect'); // open door
    expect(shapes(4, 2)).toBe('rect rect rect rect circle'); // closed door with handle
    expect(shapes(1, 2)).toBe('rect ' + Array(12).fill('line').join(' ')); // lava: 3 waves of 4 segments
  });

  it('uses the colours of the MiniGrid table (halved floor, 0.45 locked door, orange lava)', () => {
    const objFills = (x: number, y: number) => fills(findAll(tileAt(root, x, y), hasClass('obj'))[0]);
    expect(objFills(1, 1)).toEqual(['#00ff00', '#00ff00', '#00ff00', '#00ff00', '#000000']);
    expect(objFills(2, 1)).toEqual(['#0000ff']);
    expect(objFills(3, 1)).toEqual(['#7027c3', '#000000', '#7027c3']);
    expect(objFills(4, 1)).toEqual(['#ffff00', '#727200', '#ffff00']); // 0.45*255 = 114.75 -> 114
    expect(objFills(2, 2)).toEqual(['#00007f']); // 255/2 -> 127
    expect(objFills(1, 2)[0]).toBe('#ff8000');
    expect(objFills(0, 0)).toEqual(['#646464']);
    // every tile starts with the two grey grid lines
    expect(fills(tileAt(root, 3, 4)).slice(0, 2)).toEqual(['#646464', '#646464']);
  });

  it('draws the agent once, in its cell, rotated by 90 degrees per direction', () => {
    const agents = findAll(root, hasClass('agent'));
    expect(agents).toHaveLength(1);
    expect(findAll(tileAt(root, 3, 3), hasClass('agent'))).toHaveLength(1);
    expect(agents[0].attrs.fill).toBe('#ff0000');
    expect(agents[0].attrs.transform).toBe('rotate(90 16 16)');
    expect(agents[0].attrs.points).toBe('3.84,6.08 27.84,16 3.84,25.92');
  });

  it('highlights exactly the visible cells, and nothing when highlightView is false', () => {
    const highlighted = (r: XmlElement) =>
      findAll(r, hasClass('tile'))
        .filter((t) => findAll(t, hasClass('highlight')).length > 0)
        .map((t) => `${t.attrs['data-x']},${t.attrs['data-y']}`)
        .sort();
    expect(highlighted(root)).toEqual(['2,3', '2,4', '3,3', '3,4', '4,3', '4,4']);
    expect(highlighted(parseXml(renderGridSvg(S, { highlightView: false })))).toEqual([]);
    const hl = findAll(root, hasClass('highlight'))[0];
    expect([hl.attrs.fill, hl.attrs['fill-opacity']]).toEqual(['#ffffff', '0.3']);
  });

  it('scales with the tile size', () => {
    const r = parseXml(renderGridSvg(S, { tileSize: 8 }));
    expect([r.attrs.width, r.attrs.height]).toEqual(['56', '48']);
    expect(findAll(r, hasClass('agent'))[0].attrs.transform).toBe('rotate(90 4 4)');
  });

  it('rejects bad tile sizes and corrupt cells with a DtlensError', () => {
    expect(() => renderGridSvg(S, { tileSize: 0 })).toThrow(DtlensError);
    expect(() => renderGridSvg(S, { tileSize: 2.5 })).toThrow(DtlensError);
    const bad = { ...S, grid: S.grid.slice() };
    bad.grid[(1 * 6 + 1) * 3 + 1] = 6; // colour index 6 does not exist
    expect(() => renderGridSvg(bad)).toThrow(DtlensError);
    bad.grid[(1 * 6 + 1) * 3 + 1] = 1;
    bad.grid[(1 * 6 + 1) * 3] = 11; // object index 11 does not exist
    expect(() => renderGridSvg(bad)).toThrow(DtlensError);
    expect(() => renderGridSvg({ ...S, agentDir: 4 })).toThrow(DtlensError);
    expect(() => renderGridSvg({ ...S, agentPos: [7, 0] })).toThrow(DtlensError);
    expect(() => renderGridSvg({ ...S, grid: S.grid.subarray(3) })).toThrow(DtlensError);
  });
});

/** The MemoryS7FixedStart seed-0 reset observation of minigrid_spec.md §4.6: rows vy, columns vx. */
const MEMORY_SEED0_OBS = `
000 000 000 000 000 000 000
250 250 250 250 250 250 250
250 510 100 100 100 610 250
000 250 250 100 250 250 000
000 250 100 100 100 250 000
000 250 100 100 100 250 000
000 250 610 100 100 250 000`;

function obsFromText(text: string): { dense: Uint8Array; oneHot: Uint8Array; codes: string[][] } {
  const codes = text
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/)); // codes[vy][vx]
  const dense = new Uint8Array(7 * 7 * 3);
  const oneHot = new Uint8Array(7 * 7 * 20);
  codes.forEach((row, vy) =>
    row.forEach((code, vx) => {
      const [t, c, s] = [...code].map(Number);
      dense.set([t, c, s], (vx * 7 + vy) * 3);
      for (const bit of [t, 11 + c, 17 + s]) oneHot[(vx * 7 + vy) * 20 + bit] = 1;
    }),
  );
  return { dense, oneHot, codes };
}

describe('renderObservationSvg', () => {
  const { dense, oneHot, codes } = obsFromText(MEMORY_SEED0_OBS);
  const svg = renderObservationSvg(dense, [7, 7, 3]);
  const root = parseXml(svg);

  it('draws the view with the agent at the bottom centre facing up', () => {
    expect([root.attrs.width, root.attrs.height]).toEqual(['224', '224']);
    const agents = findAll(root, hasClass('agent'));
    expect(agents).toHaveLength(1);
    expect(findAll(tileAt(root, 3, 6), hasClass('agent'))).toHaveLength(1);
    expect(agents[0].attrs.transform).toBe('rotate(270 16 16)');
    expect(findAll(root, hasClass('obj-key'))).toHaveLength(1);
    expect(findAll(tileAt(root, 1, 2), hasClass('obj-key'))).toHaveLength(1);
    expect(findAll(root, hasClass('obj-ball'))).toHaveLength(2);
    expect(findAll(root, hasClass('obj-wall'))).toHaveLength(codes.flat().filter((c) => c === '250').length);
  });

  it('highlights the seen cells and leaves the unseen ones dark', () => {
    const seen = codes
      .flatMap((row, vy) => row.flatMap((c, vx) => (c === '000' ? [] : [`${vx},${vy}`])))
      .sort();
    const highlighted = findAll(root, hasClass('tile'))
      .filter((t) => findAll(t, hasClass('highlight')).length > 0)
      .map((t) => `${t.attrs['data-x']},${t.attrs['data-y']}`)
      .sort();
    expect(highlighted).toEqual(seen);
    expect(seen).toHaveLength(49 - 15);
  });

  it('draws a one-hot observation exactly like its dense codes', () => {
    expect(renderObservationSvg(oneHot, [7, 7, 20])).toBe(svg);
  });

  it('draws a fully observed image (agent cell 10, 0, dir) with the agent at its own cell', () => {
    const full = new Uint8Array(S.grid);
    full.set([10, 0, 2], (4 * 6 + 3) * 3); // agent at (4,3) facing west
    const r = parseXml(renderObservationSvg(full, [7, 6, 3]));
    const agents = findAll(r, hasClass('agent'));
    expect(agents).toHaveLength(1);
    expect(findAll(tileAt(r, 4, 3), hasClass('agent'))).toHaveLength(1);
    expect(agents[0].attrs.transform).toBe('rotate(180 16 16)');
    full[(4 * 6 + 3) * 3 + 2] = 4; // no such direction
    expect(() => renderObservationSvg(full, [7, 6, 3])).toThrow(DtlensError);
  });

  it('rejects an image whose size or channel count is wrong', () => {
    expect(() => renderObservationSvg(dense, [7, 7, 5])).toThrow(DtlensError);
    expect(() => renderObservationSvg(dense.subarray(1), [7, 7, 3])).toThrow(DtlensError);
  });
});

describe('parseXml (the test well-formedness check)', () => {
  it('rejects mismatched tags, raw ampersands, unquoted attributes and trailing text', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a>x & y</a>')).toThrow();
    expect(() => parseXml('<a b=1/>')).toThrow();
    expect(() => parseXml('<a/>x')).toThrow();
    expect(parseXml('<a t="&lt;&#38;"><b/></a>').attrs.t).toBe('<&');
  });
});
