/**
 * Vector look-alikes of MiniGrid's renderer as SVG strings (`minigrid_spec.md` §5.5): black tiles
 * with grey top/left grid lines, the object shapes of §5.2, the red agent triangle rotated by its
 * direction, and a 30% white overlay on highlighted tiles. Isomorphic: no DOM needed.
 *
 * Each tile is a `<g class="tile" data-x data-y>`; object shapes sit in `<g class="obj obj-<type>">`,
 * the agent is `<polygon class="agent">`, highlights are `<rect class="highlight">`.
 */
import type { EnvSnapshot } from '../snapshot.ts';
import { checkTileSize } from './raster.ts';
import {
  AGENT_RGB,
  AGENT_TRIANGLE,
  GRID_LINES,
  HIGHLIGHT_ALPHA,
  objectShapes,
  type Rgb,
  type Shape,
} from './shapes.ts';
import { OBJECT_NAMES } from '../core/constants.ts';
import {
  agentDirAt,
  checkTileGrid,
  observationTileGrid,
  snapshotTileGrid,
  type TileGrid,
} from './tileGrid.ts';

export interface SvgOptions {
  /** Pixels per cell (default 32). */
  tileSize?: number;
  /** Highlight the cells the agent sees (default true). */
  highlightView?: boolean;
}

const num = (v: number): string => String(Math.round(v * 1000) / 1000);
const hex = (c: Rgb): string => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function shapeSvg(s: Shape, ts: number): string {
  switch (s.kind) {
    case 'rect':
      return (
        `<rect x="${num(s.xmin * ts)}" y="${num(s.ymin * ts)}" width="${num((s.xmax - s.xmin) * ts)}" ` +
        `height="${num((s.ymax - s.ymin) * ts)}" fill="${hex(s.color)}"/>`
      );
    case 'circle':
      return `<circle cx="${num(s.cx * ts)}" cy="${num(s.cy * ts)}" r="${num(s.r * ts)}" fill="${hex(s.color)}"/>`;
    case 'line':
      return (
        `<line x1="${num(s.x0 * ts)}" y1="${num(s.y0 * ts)}" x2="${num(s.x1 * ts)}" y2="${num(s.y1 * ts)}" ` +
        `stroke="${hex(s.color)}" stroke-width="${num(2 * s.r * ts)}" stroke-linecap="round"/>`
      );
  }
}

function agentSvg(dir: number, ts: number): string {
  const points = AGENT_TRIANGLE.map(([x, y]) => `${num(x * ts)},${num(y * ts)}`).join(' ');
  const c = num(ts / 2);
  return `<polygon class="agent" points="${points}" fill="${hex(AGENT_RGB)}" transform="rotate(${90 * dir} ${c} ${c})"/>`;
}

function tileSvg(g: TileGrid, x: number, y: number, ts: number): string {
  const o = (x * g.height + y) * 3;
  const [type, color, state] = [g.cells[o], g.cells[o + 1], g.cells[o + 2]];
  const parts = GRID_LINES.map((s) => shapeSvg(s, ts));
  const shapes = objectShapes(type, color, state);
  if (shapes.length > 0) {
    parts.push(`<g class="obj obj-${OBJECT_NAMES[type]}">${shapes.map((s) => shapeSvg(s, ts)).join('')}</g>`);
  }
  const dir = agentDirAt(g, x, y);
  if (dir !== null) parts.push(agentSvg(dir, ts));
  if (g.highlight && g.highlight[x * g.height + y] === 1) {
    parts.push(
      `<rect class="highlight" width="${ts}" height="${ts}" fill="#ffffff" fill-opacity="${HIGHLIGHT_ALPHA}"/>`,
    );
  }
  return `<g class="tile" data-x="${x}" data-y="${y}" transform="translate(${x * ts} ${y * ts})">${parts.join('')}</g>`;
}

/** Renders a tile grid as a standalone SVG document string. */
export function tileGridSvg(g: TileGrid, tileSize: number, title?: string): string {
  checkTileSize(tileSize);
  checkTileGrid(g);
  const w = g.width * tileSize;
  const h = g.height * tileSize;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    title === undefined ? '' : `<title>${escapeXml(title)}</title>`,
    `<rect class="background" width="${w}" height="${h}" fill="#000000"/>`,
  ];
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) out.push(tileSvg(g, x, y, tileSize));
  out.push('</svg>');
  return out.join('\n');
}

/** The full grid of a snapshot like `env.render()`: agent drawn, visible cells highlighted (titled by the mission). */
export function renderGridSvg(snapshot: EnvSnapshot, options: SvgOptions = {}): string {
  return tileGridSvg(
    snapshotTileGrid(snapshot, options.highlightView ?? true),
    options.tileSize ?? 32,
    snapshot.mission,
  );
}

/**
 * The agent's point of view from an observation image `[X][Y][C]` flattened `(x*Y + y)*C + c`, C = 3
 * or 20 (one-hot): agent at the bottom centre facing up; seen cells highlighted, unseen ones left dark.
 */
export function renderObservationSvg(
  image: Uint8Array,
  shape: readonly [number, number, number],
  options: SvgOptions = {},
): string {
  return tileGridSvg(
    observationTileGrid(image, shape, options.highlightView ?? true),
    options.tileSize ?? 32,
  );
}
