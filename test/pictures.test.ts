// Pictures that don't mislead: the report's charts of real sweeps (made with
// `migreplay sweep`) and replays of a shipped trace, checked for what a reader could
// get wrong — a line hidden exactly under another, lines no legend names, raw column
// names, one metric on a log axis in one chart and linear in the next, unreadable tick
// labels — and the explorer's per-round charts on a log scale.
// MIGREPLAY_PICTURES_DIR=DIR also writes every chart checked here to DIR as PNG, to look at.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundChart } from '../explorer/src/charts.js';
import { commandPath, shellWord } from '../explorer/src/command.js';
import { findAlgorithm } from '../src/algorithms/index.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import type { ReplayResult } from '../src/engine/types.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import { resultsDocument, type ResultsDocument } from '../src/output/results.js';
import { svgToPng } from '../src/plot/png.js';
import { normalizeSweepRows, sweepChartSpecs, type NormalRow } from '../src/plot/sweep.js';
import { takePlotWarnings } from '../src/plot/vega.js';
import { buildReport } from '../src/report/html.js';
import { readReportInput, type ReportInput } from '../src/report/inputs.js';
import { openTrace, type Trace } from '../src/trace/read.js';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const TRACE = 'traces/xz6.arrow';
const LINK = { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0 };
const PICTURES = process.env.MIGREPLAY_PICTURES_DIR;
const kernel = createKernel('wasm');

let dir: string;
let trace: Trace;
/** precopy and xen-v2 (identical here), 100 Mbit/s and 1 Gbit/s, max-iters 5 … 30. */
let sweepA: ReportInput[];
/** xen and xen-v2, seven bandwidths (too many for dashes), max-iters 5 and 29. */
let sweepB: ReportInput[];
/** precopy at 100 and 120 Mbit/s, max-iters 5 and 10: downtimes in the thousands of ms, less than a decade apart. */
let sweepC: ReportInput[];

/** Run `migreplay sweep` (the built CLI) and read its output as the report does. */
async function sweep(name: string, args: string[]): Promise<ReportInput[]> {
  const out = path.join(dir, `${name}.arrow`);
  execFileSync(process.execPath, [path.join(ROOT, 'bin/migreplay.js'), 'sweep', '--trace', TRACE, ...args, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return readReportInput(out);
}

function rowsOf(inputs: ReportInput[]): NormalRow[] {
  return normalizeSweepRows(inputs.flatMap((i) => (i.kind === 'sweep' ? i.rows : [])));
}

function run(id: string, params: Record<string, string> = {}): ReplayResult {
  return replay(trace, findAlgorithm(id)!, kernel, LINK, params);
}

/** Every <figure class="chart"> of a report: its name and its SVG. */
function figures(page: string): { name: string; body: string }[] {
  return [...page.matchAll(/<figure class="chart" id="[^"]+" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)].map((m) => ({ name: m[1]!, body: m[2]! }));
}

/** The text of every <text> element of an SVG (titles, subtitles, axis titles, tick and legend labels). */
function texts(svg: string): string[] {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].flatMap((m) => {
    const lines = [...m[1]!.matchAll(/<tspan\b[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]!);
    return (lines.length ? lines : [m[1]!]).map(unescape);
  });
}

/** What a reader sees of some HTML: its text, tags and attributes left out. */
function visible(html: string): string {
  return html.replace(/<[^>]*>/g, ' ');
}

function savePictures(label: string, page: string): void {
  if (!PICTURES) return;
  fs.mkdirSync(PICTURES, { recursive: true });
  for (const [i, f] of figures(page).entries()) {
    const svg = f.body.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"');
    fs.writeFileSync(path.join(PICTURES, `${label}-${String(i).padStart(2, '0')}-${f.name}.png`), svgToPng(svg, 1.5));
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-pictures-'));
  trace = openTrace(fileSource(TRACE)); // named as the sweeps name it (run from the repository)
  sweepA = await sweep('a', ['--algo', 'precopy,xen-v2', '--set', 'bandwidth=100Mbit..1Gbit*10', '--set', 'max-iters=5..30+5']);
  sweepB = await sweep('b', ['--algo', 'xen,xen-v2', '--set', 'bandwidth=100Mbit..10Gbit*2', '--set', 'max-iters=5,29']);
  sweepC = await sweep('c', ['--algo', 'precopy', '--set', 'bandwidth=100Mbit,120Mbit', '--set', 'max-iters=5,10']);
  takePlotWarnings();
}, 180_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('sweep charts of a real sweep', () => {
  let page: string;
  beforeAll(async () => {
    page = await buildReport({ results: sweepA, kernel });
    savePictures('a', page);
  }, 60_000);

  it('draws identical series once and says so: "precopy = xen-v2"', () => {
    const rows = rowsOf(sweepA);
    // The premise: precopy and xen-v2 give the same numbers at every point of this sweep.
    const key = (r: NormalRow) => `${r.values.bandwidthBytesPerS}/${r.values.maxIters}`;
    const of = (a: string) => new Map(rows.filter((r) => r.algorithm === a).map((r) => [key(r), [r.values.totalTimeS, r.values.downtimeMs]]));
    expect(of('precopy').size).toBe(12);
    expect(Object.fromEntries(of('precopy'))).toEqual(Object.fromEntries(of('xen-v2')));
    const charts = figures(page).filter((f) => f.name.startsWith('sweep-'));
    expect(charts).toHaveLength(4);
    for (const f of charts) {
      const t = texts(f.body);
      expect(t, f.name).toContain('precopy = xen-v2'); // the legend entry
      expect(t.some((s) => s.includes('identical values')), f.name).toBe(true); // and the subtitle
      // One line, not two: no separate legend entries left for either.
      expect(t.filter((s) => s === 'precopy' || s === 'xen-v2'), f.name).toEqual([]);
    }
  });

  it('names every line: a legend for the other varied parameter, one dash pattern per value', () => {
    const charts = figures(page).filter((f) => f.name.startsWith('sweep-'));
    for (const f of charts.filter((c) => c.name.includes('-maxIters-'))) {
      const t = texts(f.body);
      expect(t, f.name).toContain('bandwidth'); // the legend's title
      for (const label of ['100 Mbit/s', '1 Gbit/s']) expect(t, f.name).toContain(label);
    }
    for (const f of charts.filter((c) => c.name.includes('-bandwidthBytesPerS-'))) {
      const t = texts(f.body);
      expect(t, f.name).toContain('max-iters');
      for (const label of ['5', '10', '15', '20', '25', '30']) expect(t, f.name).toContain(label);
    }
    // Six values, six different dashes (not five patterns with the first reused).
    for (const c of sweepChartSpecs(rowsOf(sweepA)).filter((s) => s.parameter === 'bandwidthBytesPerS')) {
      const dash = (c.spec as { layer: { encoding?: { strokeDash?: { scale: { domain: string[]; range: number[][] } } } }[] }).layer[0]!.encoding!.strokeDash!.scale;
      expect(dash.domain).toEqual(['5', '10', '15', '20', '25', '30']);
      expect(new Set(dash.range.map((d) => d.join(','))).size).toBe(6);
    }
  });

  it('names parameters as the command line does, with units: bandwidth, max-iters', () => {
    for (const f of figures(page)) {
      for (const t of texts(f.body)) {
        expect(t, f.name).not.toMatch(/bandwidthBytesPerS|maxIters|BytesPerS/);
      }
    }
    const sweep = /<section id="sweep">([\s\S]*?)<\/section>/.exec(page)![1]!;
    expect(sweep).toContain('bandwidth: 100 Mbit/s, 1 Gbit/s');
    expect(sweep).toContain('max-iters: 5, 10, 15, 20, 25, 30');
    expect(visible(sweep)).not.toMatch(/bandwidthBytesPerS|maxIters/);
    const titles = figures(page).flatMap((f) => texts(f.body));
    expect(titles).toContain('Downtime against max-iters');
    expect(titles).toContain('Total migration time against link bandwidth');
    expect(titles).toContain('link bandwidth (Mbit/s, log scale)');
  });

  it('gave no vega-lite or vega warnings', () => {
    expect(takePlotWarnings()).toEqual([]);
  });
});

describe('a sweep with more lines than dash patterns', () => {
  it('names each line at its right end, in its colour', async () => {
    const page = await buildReport({ results: sweepB, kernel });
    savePictures('b', page);
    const rows = rowsOf(sweepB);
    const bandwidths = [...new Set(rows.map((r) => r.values.bandwidthBytesPerS as number))];
    expect(bandwidths).toHaveLength(7);
    const names = ['100 Mbit/s', '200 Mbit/s', '400 Mbit/s', '800 Mbit/s', '1.6 Gbit/s', '3.2 Gbit/s', '6.4 Gbit/s'];
    for (const f of figures(page).filter((x) => x.name.includes('-maxIters-'))) {
      const t = texts(f.body);
      expect(t.some((s) => s.includes('named at its right end')), f.name).toBe(true);
      // xen and xen-v2 differ here: one label per algorithm and bandwidth, every bandwidth named.
      expect(t).not.toContain('xen = xen-v2');
      for (const n of names) expect(t.filter((s) => s === n), `${f.name}: ${n}`).toHaveLength(2);
    }
    expect(takePlotWarnings()).toEqual([]);
  }, 60_000);
});

describe('one axis scale per metric in the whole report', () => {
  let doc: ResultsDocument;
  let page: string;
  beforeAll(async () => {
    const results = ['precopy', 'xen', 'xen-v2', 'vcpu-limit', 'qemu', 'postcopy'].map((id) => run(id));
    results.push(run('qemu', { downtimeLimit: '1ms', maxTime: '2s' })); // never switches over: no downtime
    addOracleDistances(trace, kernel, LINK, results, findAlgorithm);
    doc = resultsDocument(trace, LINK, results);
    page = await buildReport({ results: [doc, ...sweepA, ...sweepC], kernel });
    savePictures('scales', page);
  }, 120_000);

  /** The value axis title of a chart of this metric (the bar chart's x, the sweep chart's y). */
  const axisTitle = (body: string, metric: 'downtime \\(ms' | 'total time \\(s') => texts(body).find((t) => new RegExp(`^${metric}`).test(t));

  it('draws downtime, and total time, on the same scale in every chart', () => {
    for (const [metric, pattern, names] of [
      ['downtime', 'downtime \\(ms', (n: string) => n === 'downtimeMs' || n.endsWith('-downtimeMs')],
      ['total time', 'total time \\(s', (n: string) => n === 'totalTimeS' || n.endsWith('-totalTimeS')],
    ] as const) {
      const charts = figures(page).filter((f) => names(f.name));
      expect(charts.length, metric).toBe(3); // the bar chart, and against bandwidth and against max-iters (both sweeps are of one trace)
      const titles = charts.map((f) => axisTitle(f.body, pattern));
      // Values from 1 ms to 8 s (and 0.2 s to 250 s): more than a decade, a log scale everywhere.
      expect(new Set(titles), `${metric}: ${titles.join(' | ')}`).toEqual(new Set([metric === 'downtime' ? 'downtime (ms, log scale)' : 'total time (s, log scale)']));
    }
    expect(page).toContain('on a log scale');
  });

  it('labels ticks in plain numbers, never 8e+3', async () => {
    // Alone, sweep C's downtimes (6000 … 8000 ms) are on a linear axis.
    const linear = await buildReport({ results: sweepC, kernel });
    savePictures('linear', linear);
    expect(figures(linear).flatMap((f) => texts(f.body))).toContain('downtime (ms)');
    for (const f of [...figures(page), ...figures(linear)]) for (const t of texts(f.body)) expect(t, f.name).not.toMatch(/^\d(\.\d+)?e[+-]?\d+$/);
  }, 60_000);

  it('decides per metric from all the report\'s values, not per chart', () => {
    // Alone, the sweep whose downtimes stay within a decade is linear in all its charts;
    const alone = sweepChartSpecs(rowsOf(sweepC));
    const yScale = (s: { spec: unknown }) => ((s.spec as { encoding: { y: { scale: { type?: string } } } }).encoding.y.scale.type ?? 'linear');
    expect(alone.map(yScale)).toEqual(alone.map(() => 'linear'));
    // next to one that spans decades, each metric takes one scale for both.
    const both = sweepChartSpecs([...rowsOf(sweepA), ...rowsOf(sweepC)]);
    for (const m of ['totalTimeS', 'downtimeMs']) {
      const types = both.filter((s) => s.name.endsWith(`-${m}`)).map(yScale);
      expect(new Set(types), m).toEqual(new Set(['log']));
    }
  });

  it('keeps a missing downtime a labelled gap on the log scale', () => {
    const downtime = figures(page).find((f) => f.name === 'downtimeMs')!;
    expect(texts(downtime.body)).toContain('none: never switched over');
  });
});

describe('replay charts', () => {
  it('names algorithms with identical rounds together: "precopy = advance-xenvmc"', async () => {
    const doc = resultsDocument(trace, LINK, ['precopy', 'xen', 'advance-xenvmc'].map((id) => run(id)));
    const page = await buildReport({ results: [doc], kernel });
    savePictures('rounds', page);
    for (const name of ['rounds-sent', 'rounds-dirtied']) {
      const t = texts(figures(page).find((f) => f.name === name)!.body);
      expect(t, name).toContain('precopy = advance-xenvmc');
      expect(t, name).toContain('xen');
      expect(t, name).not.toContain('advance-xenvmc');
    }
    expect(takePlotWarnings()).toEqual([]);
  }, 60_000);
});

describe('explorer', () => {
  it('draws per-round pages on a log scale, so round 0 does not flatten the later rounds', () => {
    const r = run('ma2010');
    const sent = r.rounds.map((q) => q.pagesSent);
    const max = Math.max(...sent);
    const least = Math.min(...sent.filter((p) => p > 0));
    expect(max / least).toBeGreaterThan(100); // the premise: round 0 is over 100× the smallest round
    const svg = roundChart(r, max);
    const bars = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*data-pages="(\d+)"/g)].map((m) => ({ height: Number(m[1]), pages: Number(m[2]) }));
    expect(bars).toHaveLength(r.rounds.length);
    const tallest = Math.max(...bars.map((b) => b.height));
    const smallest = bars.find((b) => b.pages === least)!;
    // Linear, it would be under 1 % of the tallest bar (a hairline); on a log scale it is a bar.
    expect(smallest.height / tallest).toBeGreaterThan(0.3);
    expect(svg).toContain('pages (log)');
    for (const tick of ['>1<', '>100<', '>10k<']) expect(svg).toContain(tick);
  });

  it('writes the trace in the command line as the user named it', () => {
    // `migreplay explore sqlite.arrow`: listed as traces/sqlite.arrow (the URL), given as sqlite.arrow.
    expect(commandPath({ name: 'sqlite.arrow', url: 'traces/sqlite.arrow' }, 'sqlite.arrow')).toBe('sqlite.arrow');
    expect(commandPath({ name: 'sqlite.arrow', url: 'traces/sqlite.arrow', path: '../runs/sqlite.arrow' }, 'sqlite.arrow')).toBe('../runs/sqlite.arrow');
    expect(commandPath({ name: 'xz6.arrow', url: 'traces/xz6.arrow' }, 'sqlite.arrow')).toBe('traces/xz6.arrow'); // shipped
    expect(commandPath({ name: 'dropped-a.arrow', path: 'a.arrow', dropped: true }, null)).toBe('a.arrow');
    expect(shellWord('my trace.arrow')).toBe("'my trace.arrow'");
    expect(shellWord("it's.arrow")).toBe("'it'\\''s.arrow'");
    expect(shellWord('traces/xz6.arrow')).toBe('traces/xz6.arrow');
  });
});
