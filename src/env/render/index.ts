/** MiniGrid rendering: SVG look-alikes and a pixel renderer matching MiniGrid's `rgb_array` output. */
export { renderGridSvg, renderObservationSvg, tileGridSvg, type SvgOptions } from './svg.ts';
export {
  renderObservationRgb,
  renderRgb,
  renderTileGridRgb,
  renderTileRgb,
  type RgbOptions,
  type TileSpec,
} from './raster.ts';
export { observationTileGrid, snapshotTileGrid, type TileGrid } from './tileGrid.ts';
export { COLOR_RGB, objectShapes, type Rgb, type Shape } from './shapes.ts';
