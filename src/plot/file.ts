// Plot files: SVG or PNG, chosen by the file's extension, written atomically.
import { fail } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { stackSvgs, svgToPng } from './png.js';

/** Whether a plot can be written to this file name (.svg or .png). */
export function plotFormat(file: string): 'svg' | 'png' | null {
  const lower = file.toLowerCase();
  return lower.endsWith('.svg') ? 'svg' : lower.endsWith('.png') ? 'png' : null;
}

/** Write one chart, or several stacked vertically, to FILE.svg or FILE.png. */
export function renderPlotFile(file: string, svgOrSvgs: string | readonly string[]): void {
  const format = plotFormat(file);
  if (!format) fail('usage', `--plot: '${file}' must end in .svg or .png`);
  const svg = typeof svgOrSvgs === 'string' ? svgOrSvgs : stackSvgs(svgOrSvgs);
  writeFileAtomic(file, format === 'svg' ? svg : svgToPng(svg));
}
