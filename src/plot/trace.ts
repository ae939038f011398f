// Charts of a trace alone: dirty pages per epoch over time, the writable working set
// (distinct pages dirtied per window, for windows of 0.1 s to 10 s), and a page × time
// heat map of writes, downsampled to a fixed grid.
import type { Kernel } from '../kernel/types.js';
import { traceStats, type TraceStats } from '../trace/inspect.js';
import type { Trace } from '../trace/read.js';
import * as vega from 'vega';
import { groupDigits, sigText } from './format.js';
import { encodePngRgb } from './png.js';
import { CHART_HEIGHT, CHART_WIDTH, countAxis, renderSvg, type ChartSpec } from './vega.js';

/** Window lengths of the working-set curve, s (1-2-5 steps). */
export const WORKING_SET_WINDOWS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10] as const;

// More epochs than this are averaged into this many time bins for the per-epoch chart.
const MAX_EPOCH_POINTS = 1000;

/** Per-epoch dirty counts, averaged into at most MAX_EPOCH_POINTS time bins. */
export interface EpochSeries {
  /** Bin start, s. */
  timeS: number[];
  /** Mean pages dirtied per epoch in the bin. */
  meanPages: number[];
  /** Most pages dirtied by one epoch in the bin. */
  maxPages: number[];
  /** Epochs per bin (1: not downsampled). */
  epochsPerBin: number;
}

/** Writes counted on a time × page grid. */
export interface Heatmap {
  timeBins: number;
  pageBins: number;
  /** counts[timeBin * pageBins + pageBin]: page writes (an epoch writing a page counts 1). */
  counts: Float64Array;
  durationS: number;
  memPages: number;
  max: number;
}

/** What the trace charts show. */
export interface TraceFigures {
  stats: TraceStats;
  epochs: EpochSeries;
  heatmap: Heatmap;
}

/** The windows of the working-set curve that fit in a trace of this length (0.1 s always). */
export function workingSetWindows(durationS: number): number[] {
  return WORKING_SET_WINDOWS_S.filter((w, i) => i === 0 || w <= durationS * 1.0001);
}

/** Count one pass's writes into the per-epoch series and the heat map grid. */
function scan(trace: Trace, wantEpochs: boolean, timeBins: number, pageBins: number): { epochs: EpochSeries; heatmap: Heatmap } {
  const memPages = trace.meta.memPages;
  const durationUs = trace.summary.durationUs;
  const n = trace.summary.epochs;
  const perBin = Math.max(1, Math.ceil(n / MAX_EPOCH_POINTS));
  const bins = wantEpochs ? Math.ceil(n / perBin) : 0;
  const epochs: EpochSeries = { timeS: new Array(bins).fill(0), meanPages: new Array(bins).fill(0), maxPages: new Array(bins).fill(0), epochsPerBin: perBin };
  const counted = new Array(bins).fill(0);
  pageBins = Math.max(1, Math.min(pageBins, memPages));
  const counts = new Float64Array(timeBins * pageBins);
  const pageScale = pageBins / memPages;
  let e = 0;
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++, e++) {
      const from = b.offsets[i]!;
      const to = b.offsets[i + 1]!;
      if (wantEpochs) {
        const bin = Math.floor(e / perBin);
        if (counted[bin] === 0) epochs.timeS[bin] = b.tUs[i]! / 1e6;
        counted[bin]++;
        epochs.meanPages[bin] += to - from;
        epochs.maxPages[bin] = Math.max(epochs.maxPages[bin]!, to - from);
      }
      const t = Math.min(timeBins - 1, Math.max(0, Math.floor((b.tUs[i]! / durationUs) * timeBins)));
      const row = t * pageBins;
      for (let k = from; k < to; k++) counts[row + Math.floor(b.pages[k]! * pageScale)]++;
    }
  }
  for (let i = 0; i < bins; i++) epochs.meanPages[i] = counted[i] ? epochs.meanPages[i]! / counted[i] : 0;
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  return { epochs, heatmap: { timeBins, pageBins, counts, durationS: durationUs / 1e6, memPages, max } };
}

/** Statistics (with the working set for 0.1 s … 10 s windows), the per-epoch series and the heat map grid of a trace: two passes over it. */
export function traceFigures(trace: Trace, kernel: Kernel, timeBins = 200, pageBins = 200): TraceFigures {
  const stats = traceStats(trace, kernel, workingSetWindows(trace.summary.durationUs / 1e6));
  return { stats, ...scan(trace, true, timeBins, pageBins) };
}

/** Count writes on a timeBins × pageBins grid (time over [0, duration), pages over [0, mem_pages)): one pass. */
export function traceHeatmap(trace: Trace, timeBins = 200, pageBins = 200): Heatmap {
  return scan(trace, false, timeBins, pageBins).heatmap;
}

function traceLabel(trace: Trace): string {
  const m = trace.meta;
  return `${trace.name}: ${groupDigits(m.memPages)} pages × ${m.pageSize} B, ${trace.summary.epochs} epochs, ${sigText(trace.summary.durationUs / 1e6)} s${m.workload ? ` (${m.workload})` : ''}`;
}

/** Pages dirtied per epoch over time. */
export function dirtyPerEpochSpec(trace: Trace, epochs: EpochSeries, width = CHART_WIDTH): ChartSpec {
  const values = epochs.timeS.map((t, i) => ({ t, mean: epochs.meanPages[i], max: epochs.maxPages[i] }));
  const averaged = epochs.epochsPerBin > 1;
  return {
    title: {
      text: 'Dirty pages per epoch',
      subtitle: [traceLabel(trace), averaged ? `line: mean of every ${epochs.epochsPerBin} epochs; shade: their maximum` : 'distinct pages written in each sampling epoch'],
    },
    width,
    height: CHART_HEIGHT,
    data: { values },
    encoding: { x: { field: 't', type: 'quantitative', title: 'trace time (s)', scale: { domain: [0, trace.summary.durationUs / 1e6], nice: false } } },
    layer: [
      ...(averaged ? [{ mark: { type: 'area', color: '#4e79a7', opacity: 0.25 }, encoding: { y: { field: 'max', type: 'quantitative' } } }] : []),
      {
        mark: { type: 'line', color: '#4e79a7', strokeWidth: 1.5, interpolate: 'step-after' },
        encoding: { y: { field: 'mean', type: 'quantitative', title: 'pages dirtied per epoch', axis: countAxis() } },
      },
    ],
  } as ChartSpec;
}

/** Distinct pages dirtied per window against the window length (log x). */
export function workingSetSpec(trace: Trace, stats: TraceStats, width = CHART_WIDTH): ChartSpec {
  const values = stats.workingSet.flatMap((w) => [
    { windowS: w.windowS, pages: w.meanPages, stat: 'mean over windows' },
    { windowS: w.windowS, pages: w.maxPages, stat: 'largest window' },
  ]);
  return {
    title: {
      text: 'Writable working set',
      subtitle: [traceLabel(trace), `distinct pages dirtied per window (tumbling windows from t = 0); guest memory: ${groupDigits(stats.memPages)} pages, ${groupDigits(stats.distinctPages)} ever written`],
    },
    width,
    height: CHART_HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'windowS', type: 'quantitative', title: 'window length (s, log scale)', scale: { type: 'log' }, axis: { values: [...WORKING_SET_WINDOWS_S], format: '~g' } },
      y: { field: 'pages', type: 'quantitative', title: 'distinct pages dirtied per window', axis: countAxis() },
      color: { field: 'stat', type: 'nominal', title: null, scale: { domain: ['mean over windows', 'largest window'], range: ['#4e79a7', '#e15759'] }, legend: { orient: 'bottom-right', fillColor: 'white', padding: 6 } },
    },
    layer: [{ mark: { type: 'line', strokeWidth: 2 } }, { mark: { type: 'point', filled: true, size: 50 } }],
  } as ChartSpec;
}

const HEATMAP_WIDTH = 640;
const HEATMAP_HEIGHT = 360;
const EMPTY_CELL = [255, 255, 255];

function parseRgb(color: string): number[] {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(color);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{6})$/i.exec(color);
  if (h) return [0, 2, 4].map((i) => parseInt(h[1]!.slice(i, i + 2), 16));
  return [0, 0, 0];
}

/** The heat map's raster: one pixel per plot-area pixel, nearest cell, colour = log(writes) on viridis. */
export function heatmapPng(h: Heatmap, width = HEATMAP_WIDTH, height = HEATMAP_HEIGHT): Uint8Array {
  const ramp = vega.scheme('viridis') as (t: number) => string;
  const logMax = Math.log(Math.max(2, h.max));
  const lut: number[][] = [];
  for (let i = 0; i <= 255; i++) lut.push(parseRgb(ramp(i / 255)));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const pageBin = Math.min(h.pageBins - 1, Math.floor(((height - 1 - y) * h.pageBins) / height)); // page 0 at the bottom
    for (let x = 0; x < width; x++) {
      const timeBin = Math.min(h.timeBins - 1, Math.floor((x * h.timeBins) / width));
      const c = h.counts[timeBin * h.pageBins + pageBin]!;
      const color = c > 0 ? lut[Math.round((255 * Math.log(c)) / logMax)]! : EMPTY_CELL;
      rgb.set(color, (y * width + x) * 3);
    }
  }
  return encodePngRgb(width, height, rgb);
}

/** Page × time heat map of writes. */
export function heatmapSpec(trace: Trace, h: Heatmap): ChartSpec {
  const url = 'data:image/png;base64,' + Buffer.from(heatmapPng(h)).toString('base64');
  const cellS = h.durationS / h.timeBins;
  const cellPages = h.memPages / h.pageBins;
  return {
    title: {
      text: 'Page writes over time',
      subtitle: [traceLabel(trace), `cell: ${sigText(cellS, 3)} s × ${sigText(cellPages, 3)} pages; colour: writes in the cell (epochs × pages, log scale); white: none`],
    },
    width: HEATMAP_WIDTH,
    height: HEATMAP_HEIGHT,
    layer: [
      {
        data: { values: [{ t: 0, page: h.memPages, url }] },
        mark: { type: 'image', width: HEATMAP_WIDTH, height: HEATMAP_HEIGHT, align: 'left', baseline: 'top', aspect: false, aria: false },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'trace time (s)', scale: { domain: [0, h.durationS], nice: false, zero: false } },
          y: { field: 'page', type: 'quantitative', title: 'page number', scale: { domain: [0, h.memPages], nice: false, zero: false }, axis: countAxis() },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        // Invisible marks that only carry the colour legend.
        data: { values: [{ c: 1 }, { c: Math.max(2, h.max) }] },
        mark: { type: 'point', opacity: 0, aria: false },
        encoding: {
          color: { field: 'c', type: 'quantitative', title: ['writes', 'per cell'], scale: { type: 'log', scheme: 'viridis', domain: [1, Math.max(2, h.max)] }, legend: { format: '~s', gradientLength: 220 } },
        },
      },
    ],
  } as ChartSpec;
}

/** SVGs of a trace's dirty pages per epoch and its writable-working-set curve. */
export async function tracePlotSvgs(trace: Trace, kernel: Kernel): Promise<string[]> {
  const f = traceFigures(trace, kernel);
  return [await renderSvg(dirtyPerEpochSpec(trace, f.epochs)), await renderSvg(workingSetSpec(trace, f.stats))];
}

/** SVG of the page × time heat map of a trace's writes (200 time bins × 200 page bins). */
export async function heatmapSvg(trace: Trace, _kernel?: Kernel): Promise<string> {
  return renderSvg(heatmapSpec(trace, traceHeatmap(trace)));
}
