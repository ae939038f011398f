// Chart rendering in Node without a browser: a vega-lite spec is compiled to vega,
// run headless (renderer 'none') and serialised to an SVG string. One theme for every
// chart (readable type sizes, one colour per algorithm in every chart).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { algorithms } from '../algorithms/index.js';

/** A vega-lite spec (data inlined). */
export type ChartSpec = TopLevelSpec;

// Sizes in px; tuned so a chart stays legible at 100 % zoom and in a 2× PNG.
/** Default plot-area width of a chart, px. */
export const CHART_WIDTH = 640;
/** Default plot-area height of a chart, px. */
export const CHART_HEIGHT = 300;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** The theme shared by every chart. */
export const THEME = {
  background: 'white',
  padding: 12,
  font: FONT,
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', titleColor: '#222', labelColor: '#333', gridColor: '#e6e6e6', labelLimit: 220 },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 220, symbolStrokeWidth: 2 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  view: { stroke: '#ccc' },
  line: { strokeWidth: 2 },
  point: { size: 36, filled: true },
  text: { fontSize: 11 },
} as const;

// Tableau 10 plus two darker tones: twelve distinguishable line colours, one per
// shipped algorithm; unknown ids take the next ones in turn.
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#b8860b', '#b07aa1', '#ff9da7',
  '#9c755f', '#7f7f7f', '#1f3a93', '#000000', '#17becf', '#8c564b', '#bcbd22', '#d62728',
];

/** A stable colour scale for these algorithm ids: the same id gets the same colour in every chart and report. */
export function algorithmColors(ids: readonly string[]): { domain: string[]; range: string[] } {
  const known = algorithms.map((a) => a.id);
  // Registry order, then unknown ids in order of appearance: legends list algorithms alike everywhere.
  const rank = (id: string) => (known.includes(id) ? known.indexOf(id) : known.length);
  const domain = [...new Set(ids)].sort((a, b) => rank(a) - rank(b));
  let spare = known.length;
  const range = domain.map((id) => {
    const i = known.indexOf(id);
    return PALETTE[(i >= 0 ? i : spare++) % PALETTE.length]!;
  });
  return { domain, range };
}

// Warnings of vega-lite and vega (a dropped channel, a conflicting scale) are kept,
// not printed: stderr is for the command's own messages; tests read them.
let warnings: string[] = [];
const logger = {
  _level: vega.Warn,
  level(l?: number) {
    if (l === undefined) return this._level;
    this._level = l;
    return this;
  },
  error(...args: unknown[]) { throw new Error(args.map(String).join(' ')); },
  warn(...args: unknown[]) { warnings.push(args.map(String).join(' ')); return this; },
  info() { return this; },
  debug() { return this; },
};

/** The warnings vega-lite and vega gave since the last call (a chart spec with a mistake gives some). */
export function takePlotWarnings(): string[] {
  const out = warnings;
  warnings = [];
  return out;
}

/** Count axis: 20k, 1.5M, and a plain 0 (not "0k"). */
export function countAxis(extra: object = {}): object {
  return { format: '~s', labelExpr: "datum.value === 0 ? '0' : datum.label", ...extra };
}

// Text widths. Without a canvas, vega guesses 0.8 em per character, far wider than
// real text: titles and labels then get too much room. Charts are set in DejaVu Sans
// (Debian's default, what resvg and Chromium draw here), so its advance widths are
// used instead (units per em: 2048; Bitstream Vera metrics), bold about 10 % wider.
const ADVANCE: Record<string, number> = {};
(
  [
    [' ', 651], ['!', 821], ['"', 942], ['#', 1716], ['$', 1303], ['%', 1946], ['&', 1597], ["'", 563], ['(', 799], [')', 799],
    ['*', 1024], ['+', 1716], [',', 651], ['-', 739], ['.', 651], ['/', 690], [':', 690], [';', 690], ['<', 1716], ['=', 1716],
    ['>', 1716], ['?', 1087], ['@', 2048], ['[', 799], ['\\', 690], [']', 799], ['^', 1716], ['_', 1024], ['`', 1024], ['{', 1303],
    ['|', 690], ['}', 1303], ['~', 1716], ['×', 1716], ['÷', 1716], ['·', 651], ['–', 1024], ['—', 2048], ['≥', 1716], ['\u2009', 410], ['µ', 1300],
    ['A', 1401], ['B', 1405], ['C', 1430], ['D', 1577], ['E', 1294], ['F', 1178], ['G', 1587], ['H', 1540], ['I', 604], ['J', 604],
    ['K', 1343], ['L', 1141], ['M', 1767], ['N', 1532], ['O', 1612], ['P', 1235], ['Q', 1612], ['R', 1423], ['S', 1300], ['T', 1251],
    ['U', 1499], ['V', 1401], ['W', 2025], ['X', 1403], ['Y', 1251], ['Z', 1403],
    ['a', 1255], ['b', 1300], ['c', 1126], ['d', 1300], ['e', 1260], ['f', 721], ['g', 1300], ['h', 1298], ['i', 569], ['j', 569],
    ['k', 1186], ['l', 569], ['m', 1995], ['n', 1298], ['o', 1253], ['p', 1300], ['q', 1300], ['r', 842], ['s', 1067], ['t', 803],
    ['u', 1298], ['v', 1212], ['w', 1675], ['x', 1212], ['y', 1212], ['z', 1075],
  ] as const
).forEach(([c, w]) => { ADVANCE[c] = w / 2048; });
for (let d = 0; d <= 9; d++) ADVANCE[String(d)] = 1303 / 2048;

/** Width in px of a line of text in DejaVu Sans at this size. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) em += ADVANCE[c] ?? 0.635;
  return em * fontSize * (bold ? 1.1 : 1);
}

interface TextItem { fontSize?: number; fontWeight?: string | number }
(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width = (item, text) => {
  const line = text == null ? '' : String(text).trim();
  const weight = item.fontWeight;
  return textWidth(line, item.fontSize ?? 11, weight === 'bold' || (typeof weight === 'number' && weight >= 600));
};

/** Render a vega-lite spec to a standalone SVG document (string). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const withTheme = { ...spec, config: { ...THEME, ...(spec as { config?: object }).config } } as TopLevelSpec;
  const compiled = compile(withTheme, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: logger as never });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Escape text for XML/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
