/**
 * Shared plumbing of the analysis commands (`analyze`, `rtg-scan`, `steer`, ...): one window read from
 * an input file, the logit-direction options, and the JSON + figure outputs.
 */
import { writeFileSync } from 'node:fs';
import type { LogitDirectionSpec } from '../../analysis/dynamic/logitDirection.ts';
import { type FigureSpec, figureCsv } from '../../analysis/figures/figure.ts';
import type { DTInputs } from '../../model/decisionTransformer.ts';
import { inputsFromTensors, selectWindow } from '../../model/inputs.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import { renderFigurePng, renderFigureSvg } from '../figures.ts';
import { readFileChecked } from '../modelFile.ts';
import { parseCount } from './options.ts';

/** Window `index` (a `--index` value) of the input file's `<prefix>*` tensors, as a batch of one. */
export function readWindow(path: string, prefix: string, index: string): DTInputs {
  const tensors = readSafetensors(readFileChecked(path, 'input file')).tensors;
  return selectWindow(inputsFromTensors(tensors, prefix), parseCount(index, '--index'), '--index');
}

/** `--positive` / `--negative` (a number or 'none'). */
export function directionFromOptions(opts: { positive: string; negative: string }): LogitDirectionSpec {
  return {
    positive: parseCount(opts.positive, '--positive'),
    negative: opts.negative === 'none' ? null : parseCount(opts.negative, '--negative'),
  };
}

/** JSON with typed arrays written as plain arrays. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));

export interface OutputFiles {
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

/** Writes the JSON result and the requested figure files; returns the paths written. */
export function writeOutputs(files: OutputFiles, json: unknown, figure?: () => FigureSpec): string[] {
  writeFileSync(files.output, toJson(json));
  const written = [files.output];
  if (figure && (files.svg || files.png || files.csv)) {
    const spec = figure();
    if (files.svg) writeFileSync(files.svg, renderFigureSvg(spec));
    if (files.png) writeFileSync(files.png, renderFigurePng(spec));
    if (files.csv) writeFileSync(files.csv, figureCsv(spec));
    written.push(...[files.svg, files.png, files.csv].filter((f): f is string => f !== undefined));
  }
  return written;
}
