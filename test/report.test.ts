// The HTML report and the plot files: rendered in Node from a replay of a shipped trace
// (and a small bandwidth sweep of it), checked for structure — every section, one <svg>
// per chart, labelled axes, nothing fetched from the network — and valid SVG and PNG files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { findAlgorithm } from '../src/algorithms/index.js';
import { checkPlotFile, reportCommand, traceOpener, writeReplayPlot, writeTracePlot } from '../src/cli/report.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import type { ReplayResult } from '../src/engine/types.js';
import { MigreplayError } from '../src/errors.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import { resultsArrow, resultsDocument, type ResultsDocument } from '../src/output/results.js';
import { PNG_SIGNATURE, replayPlotSvg, renderPlotFile, svgToPng } from '../src/plot/index.js';
import { takePlotWarnings } from '../src/plot/vega.js';
import { buildReport, REPORT_SECTIONS } from '../src/report/html.js';
import { readReportInput } from '../src/report/inputs.js';
import { openTrace, type Trace } from '../src/trace/read.js';

const TRACE = 'traces/xz6.arrow';
const ALGOS = ['precopy', 'xen', 'ma2010', 'auto-converge', 'postcopy', 'oracle'];
const LINK = { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0 };
const kernel = createKernel('wasm');

let trace: Trace;
let doc: ResultsDocument;
let html: string;
let dir: string;

function run(id: string, link = LINK, params: Record<string, string> = {}): ReplayResult {
  return replay(trace, findAlgorithm(id)!, kernel, link, params);
}

/** Every <figure class="chart"> with its contents. */
function figures(page: string): { name: string; body: string }[] {
  return [...page.matchAll(/<figure class="chart" id="[^"]+" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)].map((m) => ({ name: m[1]!, body: m[2]! }));
}

/** The HTML of one <section>. */
function sectionHtml(page: string, id: string): string {
  const m = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(page);
  return m ? m[1]! : '';
}

/** Whether a (long) text holds a piece; failures name the piece, not the whole page. */
function has(text: string, piece: string): void {
  expect(text.includes(piece), `expected to find ${JSON.stringify(piece)}`).toBe(true);
}

function hasNot(text: string, piece: string): void {
  expect(text.includes(piece), `expected not to find ${JSON.stringify(piece)}`).toBe(false);
}

function svgParses(svg: string): { width: number; height: number } {
  const r = new Resvg(svg); // throws on malformed XML
  return { width: r.width, height: r.height };
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 100 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

beforeAll(async () => {
  trace = openTrace(fileSource(TRACE));
  const results = ALGOS.map((id) => run(id));
  // A QEMU migration that cannot converge in 2 s: no downtime, drawn as a labelled gap.
  results.push(run('qemu', LINK, { downtimeLimit: '1ms', maxTime: '2s' }));
  addOracleDistances(trace, kernel, LINK, results, findAlgorithm);
  doc = resultsDocument(trace, LINK, results);
  takePlotWarnings();
  html = await buildReport({ results: [doc], kernel });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-report-'));
}, 120_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('report of a replay of a shipped trace', () => {
  it('has every section, each with an id and an <h2>, and links to them', () => {
    for (const s of REPORT_SECTIONS.filter((x) => x.id !== 'sweep' && x.id !== 'fleet')) {
      has(html, `<section id="${s.id}">\n<h2>${s.title}</h2>`);
      has(html, `<a href="#${s.id}">`);
    }
    hasNot(html, '<section id="sweep">'); // no sweep rows in the inputs
    hasNot(html, '<section id="fleet">'); // no fleet either
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('draws one <svg> per chart, and the charts each section should have', () => {
    const figs = figures(html);
    expect(figs.map((f) => f.name)).toEqual([
      'dirty-per-epoch', 'working-set', 'heatmap',
      'pagesSent', 'totalTimeS', 'downtimeMs',
      'rounds-sent', 'rounds-dirtied',
      'oracle',
    ]);
    for (const f of figs) expect(f.body.match(/<svg\b/g)).toHaveLength(1);
    expect(html.match(/<svg\b/g)).toHaveLength(figs.length);
    const inSection = (id: string) => figures(sectionHtml(html, id)).map((f) => f.name);
    expect(inSection('trace')).toEqual(['dirty-per-epoch', 'working-set', 'heatmap']);
    expect(inSection('comparison')).toEqual(['pagesSent', 'totalTimeS', 'downtimeMs']);
    expect(inSection('rounds')).toEqual(['rounds-sent', 'rounds-dirtied']);
    expect(inSection('oracle')).toEqual(['oracle']);
    // Ids stay unique when several vega SVGs (clip paths, gradients) share one page.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('labels axes with their units, and titles every chart', () => {
    for (const title of [
      'trace time (s)', 'pages dirtied per epoch', 'window length (s, log scale)', 'distinct pages dirtied per window', 'page number',
      // These results span decades in each metric: log scales, in every chart of the report.
      'pages sent (all rounds, log scale)', 'total time (s, log scale)', 'downtime (ms, log scale)', 'round index', 'pages sent in the round (log scale)',
      'pages dirtied in the round (log scale)', 'total time ÷ oracle total time (log scale)',
      'Dirty pages per epoch', 'Writable working set', 'Page writes over time', 'Pages sent', 'Total migration time', 'Downtime',
      'Pages sent per round', 'Pages dirtied per round', 'Distance to the oracle',
    ]) has(html, `>${title}</text>`);
    // Every algorithm is named in the charts (bar labels and legends).
    for (const id of [...ALGOS, 'qemu']) has(html, `>${id}</text>`);
  });

  it('shows the migration that never switched over as a labelled gap, and says so in the table', () => {
    expect(doc.results.at(-1)).toMatchObject({ algorithm: 'qemu', downtimeMs: null, stopReason: 'max-time' });
    const downtime = figures(html).find((f) => f.name === 'downtimeMs')!.body;
    has(downtime, 'none: never switched over');
    has(sectionHtml(html, 'comparison'), '<td class="num never">never</td>');
  });

  it('is self-contained: no URL, no script, no stylesheet link; images are inline data', () => {
    expect(/https?:/i.exec(html)?.[0]).toBeUndefined();
    expect(/<script|<link|<iframe|@import|url\((?!#)/i.exec(html)?.[0]).toBeUndefined();
    for (const m of html.matchAll(/\b(?:xlink:)?(?:href|src)="([^"]*)"/g)) expect(m[1]!.startsWith('#') || m[1]!.startsWith('data:image/png;base64,'), m[1]!.slice(0, 40)).toBe(true);
  });

  it('gives the trace summary: size, epochs, working set', () => {
    const s = sectionHtml(html, 'trace');
    has(s, `<h3>${TRACE}</h3>`);
    has(s, '24\u2009368 pages × 4096 B');
    has(s, '400 over 20 s');
    hasNot(s, 'class="missing"');
  });

  it('vega-lite and vega gave no warnings (a spec mistake would)', () => {
    expect(takePlotWarnings()).toEqual([]);
  });
});

describe('report inputs', () => {
  it('says when the trace cannot be opened, and still draws the rest', async () => {
    const moved: ResultsDocument = { ...doc, trace: { ...doc.trace, path: 'no/such/trace.arrow' } };
    const page = await buildReport({ results: [moved], kernel });
    const s = sectionHtml(page, 'trace');
    has(s, 'class="missing"');
    has(s, 'could not be opened');
    has(s, 'no/such/trace.arrow: no such file');
    expect(figures(s)).toHaveLength(0);
    expect(figures(page)).toHaveLength(6);
  }, 60_000);

  it('reads a results document from .json and from replay --out .arrow, and opens the trace relative to the results file', async () => {
    const json = path.join(dir, 'r.json');
    fs.writeFileSync(json, JSON.stringify(doc));
    const [fromJson] = await readReportInput(json);
    expect(fromJson).toMatchObject({ kind: 'results', doc: { trace: { path: TRACE } } });
    const arrow = path.join(dir, 'r.arrow');
    fs.writeFileSync(arrow, resultsArrow(doc));
    const [fromArrow] = await readReportInput(arrow);
    expect(fromArrow!.kind).toBe('results');
    const d = (fromArrow as { doc: ResultsDocument }).doc;
    expect(d.results.map((r) => r.algorithm)).toEqual(doc.results.map((r) => r.algorithm));
    expect(d.results[0]!.rounds.length).toBe(doc.results[0]!.rounds.length);
    expect(d.results.at(-1)!.downtimeMs).toBeNull();
    // The results name traces/xz6.arrow; from another folder it is found next to the results file.
    fs.mkdirSync(path.join(dir, 'traces'), { recursive: true });
    fs.copyFileSync(TRACE, path.join(dir, TRACE));
    const opener = traceOpener([], ['/nonexistent/x.json', json]);
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    try {
      expect(opener(TRACE).summary.epochs).toBe(400);
    } finally {
      process.chdir(cwd);
    }
    expect(() => traceOpener([], [])('no/such.arrow')).toThrow(/no such file/);
  });

  it('rejects what it cannot read with one clear error', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"hello": 1}');
    await expect(readReportInput(bad)).rejects.toThrow(/not a migreplay results document/);
    fs.writeFileSync(bad, '{not json');
    await expect(readReportInput(bad)).rejects.toThrow(/not valid JSON/);
    await expect(readReportInput(path.join(dir, 'missing.json'))).rejects.toThrow(/no such file/);
    await expect(readReportInput(path.join(dir, 'r.txt'))).rejects.toThrow(/report reads/);
    const rounds = path.join(dir, 'rounds.jsonl');
    fs.writeFileSync(rounds, '{"runId":"a","index":0,"pagesSent":1}\n');
    await expect(readReportInput(rounds)).rejects.toThrow(/per-round table/);
    await expect(reportCommand.handler({ results: [path.join(dir, 'r.json')], out: path.join(dir, 'x.txt'), kernel: 'wasm' })).rejects.toBeInstanceOf(MigreplayError);
    expect(() => checkPlotFile('plot.jpg')).toThrow(/must end in .svg or .png/);
  });
});

describe('report of a sweep', () => {
  const BANDWIDTHS = [100e6 / 8, 1e9 / 8, 10e9 / 8];
  let rows: Record<string, unknown>[];

  beforeAll(() => {
    rows = [];
    for (const bw of BANDWIDTHS) for (const id of ['xen', 'ma2010', 'qemu']) {
      const link = { ...LINK, bandwidthBytesPerS: bw };
      const r = run(id, link, id === 'qemu' ? { maxTime: '20s' } : {});
      rows.push({
        runId: `${id}-${bw}`, trace: TRACE, algorithm: id, memPages: trace.meta.memPages, pageSize: 4096, ...link,
        pagesSent: r.pagesSent, totalTimeS: r.totalTimeS, downtimeMs: r.downtimeMs, iterations: r.iterations, stopReason: r.stopReason, rounds: r.rounds.length,
      });
    }
  }, 120_000);

  it('draws total time and downtime against bandwidth, one line per algorithm, log x, from .jsonl, .arrow and .csv', async () => {
    const jsonl = path.join(dir, 'sweep.jsonl');
    fs.writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n{"runId":"torn","tra');
    const arrow = path.join(dir, 'sweep.arrow');
    fs.writeFileSync(arrow, tableToIPC(tableFromJSON(rows.map((r) => ({ ...r, downtimeMs: r.downtimeMs ?? null }))), 'stream'));
    const csv = path.join(dir, 'sweep.csv');
    const cols = Object.keys(rows[0]!);
    fs.writeFileSync(csv, [cols.join(','), ...rows.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))).join(','))].join('\n') + '\n');
    for (const file of [jsonl, arrow, csv]) {
      const inputs = await readReportInput(file);
      expect(inputs[0]!.kind).toBe('sweep');
      const page = await buildReport({ results: inputs, kernel });
      const sweep = sectionHtml(page, 'sweep');
      has(sweep, '<h2>Sweep: metrics against parameters</h2>');
      const figs = figures(sweep);
      expect(figs.map((f) => f.name), file).toEqual(['sweep-0-bandwidthBytesPerS-totalTimeS', 'sweep-0-bandwidthBytesPerS-downtimeMs']);
      for (const f of figs) {
        has(f.body, '>link bandwidth (Mbit/s, log scale)</text>');
        for (const a of ['xen', 'ma2010', 'qemu']) has(f.body, `>${a}</text>`);
      }
      expect(/>total time \(s(, log scale)?\)<\/text>/.test(figs[0]!.body)).toBe(true);
      expect(/>downtime \(ms(, log scale)?\)<\/text>/.test(figs[1]!.body)).toBe(true);
      has(sweep, 'bandwidth: 100 Mbit/s, 1 Gbit/s, 10 Gbit/s');
      has(sectionHtml(page, 'trace'), `<h3>${TRACE}</h3>`);
      if (file === jsonl) has(sweep, 'cut short');
    }
    expect(takePlotWarnings()).toEqual([]);
  }, 120_000);

  it('mixes results documents and sweep rows in one report', async () => {
    const page = await buildReport({ results: [doc, ...rows], kernel });
    for (const s of REPORT_SECTIONS.filter((x) => x.id !== 'fleet')) has(page, `<section id="${s.id}">`);
  }, 60_000);
});

describe('migreplay report (through yargs, as main.ts runs it)', () => {
  const cli = async (args: string[]) => yargs(args).command(reportCommand).strict().fail((msg, err) => { throw err ?? new Error(msg); }).parseAsync();

  it('writes the report of a results file and a sweep file, finding the trace with --trace', async () => {
    const json = path.join(dir, 'cli.json');
    fs.writeFileSync(json, JSON.stringify({ ...doc, trace: { ...doc.trace, path: 'elsewhere/xz6.arrow' } }));
    const out = path.join(dir, 'cli.html');
    await cli(['report', json, '--out', out, '--trace', TRACE, '--title', 'xz6 at 1 Gbit/s']);
    const page = fs.readFileSync(out, 'utf8');
    has(page, '<title>xz6 at 1 Gbit/s</title>');
    has(sectionHtml(page, 'trace'), '<h3>elsewhere/xz6.arrow</h3>');
    hasNot(sectionHtml(page, 'trace'), 'class="missing"');
    expect(figures(page)).toHaveLength(9);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  it('refuses an output that is not .html and a missing input, writing nothing', async () => {
    await expect(cli(['report', path.join(dir, 'r.json'), '--out', path.join(dir, 'r.pdf')])).rejects.toThrow(/must end in .html/);
    await expect(cli(['report', path.join(dir, 'nope.json'), '--out', path.join(dir, 'nope.html')])).rejects.toThrow(/no such file/);
    expect(fs.existsSync(path.join(dir, 'nope.html'))).toBe(false);
    await expect(cli(['report', '--out', path.join(dir, 'x.html')])).rejects.toThrow(/Not enough non-option arguments/);
  });
});

describe('plot files', () => {
  it('replay --plot: one SVG with the bar charts, rounds and oracle; PNG too', async () => {
    const svgFile = path.join(dir, 'replay.svg');
    const pngFile = path.join(dir, 'replay.png');
    await writeReplayPlot(svgFile, doc);
    await writeReplayPlot(pngFile, doc);
    const svg = fs.readFileSync(svgFile, 'utf8');
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    const size = svgParses(svg);
    expect(size.width).toBeGreaterThan(800);
    for (const t of ['pages sent (all rounds, log scale)', 'total time (s, log scale)', 'downtime (ms, log scale)', 'round index', 'pages sent in the round (log scale)', 'pages dirtied in the round (log scale)']) has(svg, `>${t}</text>`);
    expect(isPng(fs.readFileSync(pngFile))).toBe(true);
    // No temporary file left behind.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  it('inspect --plot: heat map, dirty pages per epoch and working set stacked into one SVG; PNG too', async () => {
    const svgFile = path.join(dir, 'trace.svg');
    await writeTracePlot(svgFile, trace, kernel);
    const svg = fs.readFileSync(svgFile, 'utf8');
    svgParses(svg);
    expect(svg.match(/<svg\b/g)).toHaveLength(4); // the stack and its three charts
    for (const t of ['Page writes over time', 'Dirty pages per epoch', 'Writable working set', 'page number', 'trace time (s)']) has(svg, `>${t}</text>`);
    has(svg, 'data:image/png;base64,');
    const pngFile = path.join(dir, 'trace.png');
    await writeTracePlot(pngFile, trace, kernel);
    expect(isPng(fs.readFileSync(pngFile))).toBe(true);
  }, 60_000);

  it('chooses the format by extension and refuses others', async () => {
    const svg = await replayPlotSvg(doc);
    expect(isPng(svgToPng(svg))).toBe(true);
    expect(() => renderPlotFile(path.join(dir, 'x.pdf'), svg)).toThrow(/must end in .svg or .png/);
    renderPlotFile(path.join(dir, 'UPPER.PNG'), [svg, svg]);
    expect(isPng(fs.readFileSync(path.join(dir, 'UPPER.PNG')))).toBe(true);
  }, 60_000);
});
