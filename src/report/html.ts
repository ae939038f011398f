// The HTML report: one self-contained file (inline SVG charts, inline CSS, no script,
// no network) with a section per view — the trace, the algorithms compared, their
// rounds, the distance to the oracle, and sweep curves.
import { MigreplayError } from '../errors.js';
import { fileSource } from '../io/files.js';
import { createKernel } from '../kernel/node.js';
import type { Kernel } from '../kernel/types.js';
import type { FleetDocument } from '../output/fleet.js';
import type { ResultsDocument } from '../output/results.js';
import { fleetChartSpecs, fleetLabel } from '../plot/fleet.js';
import { groupDigits, rateText, sigText } from '../plot/format.js';
import { prefixSvgIds } from '../plot/png.js';
import { metricBarSpec, oracleSpec, roundsSpec, runLabel, withOracle } from '../plot/replay.js';
import { parameterName, parameterText } from '../plot/names.js';
import { decideScales, scalesText, type MetricScales } from '../plot/scales.js';
import { normalizeSweepRows, sweepChartSpecs, sweepSummary, type NormalRow, type SweepRow } from '../plot/sweep.js';
import { dirtyPerEpochSpec, heatmapSpec, traceFigures, workingSetSpec } from '../plot/trace.js';
import { escapeXml as esc, renderSvg, type ChartSpec } from '../plot/vega.js';
import { openTrace, type Trace } from '../trace/read.js';
import { VERSION } from '../version.js';
import { isFleetDocument } from '../output/fleet.js';
import { isResultsDocument, type ReportInput } from './inputs.js';

/** What a report is built from. */
export interface ReportOptions {
  /** Results documents (replay --json), sweep rows (flat records), fleet documents (fleet --json), or inputs as readReportInput gives them. */
  results: readonly (ResultsDocument | SweepRow | FleetDocument | ReportInput)[];
  /** Traces already open, matched to results by name (trace.path); others are opened with openTrace. */
  traces?: readonly Trace[];
  /** How to open a trace named by the results (default: the path as written, from the current folder). */
  openTrace?: (path: string) => Trace;
  /** Kernel for the trace statistics (default: the wasm kernel). */
  kernel?: Kernel;
  /** The report's title. */
  title?: string;
  /** At most this many traces get a summary (default 12). */
  maxTraces?: number;
}

/** The sections a report can hold, by element id, in order. */
export const REPORT_SECTIONS = [
  { id: 'trace', title: 'Trace' },
  { id: 'comparison', title: 'Algorithms compared' },
  { id: 'rounds', title: 'Rounds' },
  { id: 'oracle', title: 'Distance to the oracle' },
  { id: 'sweep', title: 'Sweep: metrics against parameters' },
  { id: 'fleet', title: 'Fleet: guests sharing a link' },
] as const;

// Plot-area width of the report's bar charts, px: two fit side by side.
const BAR_WIDTH = 320;

// Rows shown in the collapsed tables before the rest is left out.
const MAX_TABLE_ROWS = 2000;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "DejaVu Sans", system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fafafa; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 0 0 12px; padding-top: 8px; border-bottom: 2px solid #4e79a7; }
h3 { font-size: 16px; margin: 22px 0 8px; }
nav { margin: 10px 0 4px; display: flex; flex-wrap: wrap; gap: 6px 18px; }
nav a { color: #1f4e8c; text-decoration: none; border-bottom: 1px dotted #1f4e8c; }
section { background: white; border: 1px solid #e2e2e2; border-radius: 6px; padding: 12px 20px 18px; margin: 18px 0; }
.lead { color: #444; margin: 0 0 8px; }
.missing { background: #fff4e5; border-left: 4px solid #e8a33d; padding: 8px 12px; margin: 8px 0; }
figure.chart { margin: 12px 0; overflow-x: auto; }
.row { display: flex; flex-wrap: wrap; gap: 0 24px; align-items: flex-start; }
.row > figure.chart { flex: 0 1 auto; min-width: 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13.5px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.never { color: #b00020; font-style: italic; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0 10px; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #1f4e8c; }
footer { color: #666; font-size: 13px; padding-bottom: 30px; }
code { font-size: 13px; background: #f2f2f2; padding: 0 3px; border-radius: 3px; }
`;

type Cell = string | number | null | { html: string; cls?: string };

function table(headers: readonly string[], rows: readonly Cell[][], numeric: readonly boolean[]): string {
  const th = headers.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => '<tr>' + r.map((c, i) => {
      if (c !== null && typeof c === 'object') return `<td class="${[numeric[i] ? 'num' : '', c.cls ?? ''].join(' ').trim()}">${c.html}</td>`;
      return `<td${numeric[i] ? ' class="num"' : ''}>${esc(c === null ? '–' : String(c))}</td>`;
    }).join('') + '</tr>')
    .join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

class Charts {
  private n = 0;
  /** Render a chart into a <figure>; every chart is exactly one <svg>. */
  async figure(name: string, spec: ChartSpec): Promise<string> {
    const svg = await renderSvg(spec);
    const id = `c${this.n++}`;
    const title = (spec as { title?: { text?: string } }).title?.text ?? name;
    const inline = prefixSvgIds(svg, `${id}-`)
      // Inline SVG in HTML needs no namespace declarations (and the file then names no URL at all).
      .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
      .replace(/^<svg\b/, `<svg role="img" aria-label="${esc(title)}"`);
    return `<figure class="chart" id="${id}" data-chart="${esc(name)}">${inline}</figure>`;
  }
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function describeError(e: unknown): string {
  if (e instanceof MigreplayError) return e.message;
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

async function traceSection(charts: Charts, paths: readonly string[], opts: ReportOptions, kernelOf: () => Kernel): Promise<string> {
  const parts: string[] = [];
  const open = opts.openTrace ?? ((p: string) => openTrace(fileSource(p)));
  const max = opts.maxTraces ?? 12;
  if (paths.length === 0) parts.push('<p class="missing">The inputs name no trace.</p>');
  for (const p of paths.slice(0, max)) {
    parts.push(`<h3>${esc(p)}</h3>`);
    let trace: Trace;
    try {
      trace = opts.traces?.find((t) => t.name === p) ?? open(p);
    } catch (e) {
      parts.push(`<p class="missing">The trace file could not be opened, so its summary is left out: ${esc(describeError(e))}. ` +
        'The report opens the trace at the path the results name (as given to replay), from the current folder or the results file\'s folder.</p>');
      continue;
    }
    const f = traceFigures(trace, kernelOf());
    const s = f.stats;
    parts.push(`<dl class="facts">
<dt>memory</dt><dd>${groupDigits(s.memPages)} pages × ${s.pageSize} B = ${sigText(s.memBytes / 2 ** 20)} MiB</dd>
<dt>epochs</dt><dd>${groupDigits(s.epochs)} over ${sigText(s.durationS)} s (interval ${s.intervalUs === null ? '?' : `${sigText(s.intervalUs / 1000)} ms`})</dd>
<dt>page writes</dt><dd>${groupDigits(s.events)}; per epoch: mean ${sigText(s.dirtyPerEpoch.mean)}, p50 ${groupDigits(s.dirtyPerEpoch.p50)}, p99 ${groupDigits(s.dirtyPerEpoch.p99)}, max ${groupDigits(s.dirtyPerEpoch.max)}</dd>
<dt>pages ever written</dt><dd>${groupDigits(s.distinctPages)} (${sigText((100 * s.distinctPages) / s.memPages, 3)} % of memory)</dd>
<dt>source</dt><dd>${esc(s.source ?? '?')}${s.workload ? ` — ${esc(s.workload)}` : ''}${s.hasComm ? '; has comm_pages' : ''}${s.hasImmp ? '; has immp_pages' : ''}</dd>
</dl>`);
    parts.push(await charts.figure('dirty-per-epoch', dirtyPerEpochSpec(trace, f.epochs)));
    parts.push(await charts.figure('working-set', workingSetSpec(trace, s)));
    parts.push(await charts.figure('heatmap', heatmapSpec(trace, f.heatmap)));
  }
  if (paths.length > max) parts.push(`<p class="lead">${paths.length - max} more traces are named by the inputs; their summaries are left out.</p>`);
  return section('trace', 'Trace', '<p class="lead">What the guest wrote: pages dirtied per sampling epoch, the writable working set (distinct pages written per window), and where in memory the writes fell over time.</p>\n' + parts.join('\n'));
}

function docHeading(doc: ResultsDocument, many: boolean, source: string): string {
  return many ? `<h3>${esc(runLabel(doc))} <small>(${esc(source)})</small></h3>` : `<p class="lead">${esc(runLabel(doc))} — ${groupDigits(doc.trace.memPages)} pages × ${doc.trace.pageSize} B, ${sigText(doc.trace.durationS)} s of trace.</p>`;
}

function comparisonTable(doc: ResultsDocument): string {
  const rows: Cell[][] = doc.results.map((r) => [
    r.algorithm,
    groupDigits(r.pagesSent),
    sigText(r.bytesSent / 2 ** 20),
    sigText(r.totalTimeS),
    r.downtimeMs === null ? { html: 'never', cls: 'never' } : sigText(r.downtimeMs),
    r.iterations,
    sigText(r.overheadRatio),
    r.oracle ? `${sigText(r.oracle.timeRatio, 3)}${r.oracle.comparable ? '' : '*'}` : null,
    r.stopReason + (r.wrapped ? ' (wrapped)' : ''),
  ]);
  const note = doc.results.some((r) => r.oracle && !r.oracle.comparable)
    ? '<p class="lead">* changes the workload or what is migrated: the oracle bound does not apply to it.</p>'
    : '';
  return table(['algorithm', 'pages sent', 'MiB sent', 'total s', 'downtime ms', 'iterations', 'R_d', 'time ÷ oracle', 'stop reason'], rows, [false, true, true, true, true, true, true, true, false]) + note;
}

function roundsTable(doc: ResultsDocument): string {
  const all = doc.results.flatMap((r) => r.rounds.map((x) => [r.algorithm, x.index, x.phase ?? (x.final ? 'stop-copy' : 'precopy'), sigText(x.startS), sigText(x.durationS), groupDigits(x.pagesDirtied), groupDigits(x.pagesSent), groupDigits(x.pagesSkipped), groupDigits(x.pagesDeferred)] as Cell[]));
  const shown = all.slice(0, MAX_TABLE_ROWS);
  const more = all.length > shown.length ? `<p class="lead">${all.length - shown.length} more rounds left out.</p>` : '';
  return `<details><summary>Every round (${all.length})</summary>\n${table(['algorithm', 'round', 'phase', 'start s', 'duration s', 'dirtied', 'sent', 'skipped', 'deferred'], shown, [false, true, false, true, true, true, true, true, true])}${more}</details>`;
}

function oracleTable(doc: ResultsDocument): string {
  const rows: Cell[][] = withOracle(doc).map((r) => [
    r.algorithm, sigText(r.totalTimeS), sigText(r.oracle.oracleTotalTimeS), groupDigits(r.oracle.budgetPages), sigText(r.oracle.timeRatio, 3), sigText(r.oracle.pagesRatio, 3), r.oracle.comparable ? 'yes' : 'no*',
  ]);
  const note = rows.some((r) => r[6] === 'no*') ? '<p class="lead">* the algorithm changes the workload or what is migrated: the bound does not hold for it.</p>' : '';
  return table(['algorithm', 'total s', 'oracle total s', 'downtime budget (pages)', 'time ÷ oracle', 'pages ÷ memory', 'bound applies'], rows, [false, true, true, true, true, true, false]) + note;
}

async function sweepSection(charts: Charts, inputs: { source: string; rows: SweepRow[]; note?: string }[], scales: MetricScales): Promise<string> {
  const rows: NormalRow[] = normalizeSweepRows(inputs.flatMap((i) => i.rows));
  const sum = sweepSummary(rows);
  const parts: string[] = [];
  parts.push(`<dl class="facts">
<dt>runs</dt><dd>${groupDigits(sum.runs)} from ${inputs.map((i) => `<code>${esc(i.source)}</code>`).join(', ')}</dd>
<dt>traces</dt><dd>${sum.traces.map((t) => esc(t)).join(', ')}</dd>
<dt>algorithms</dt><dd>${sum.algorithms.map((a) => esc(a)).join(', ')}</dd>
<dt>varied</dt><dd>${[...sum.parameters.map((p) => `${esc(parameterName(p.name))}: ${p.values.map((v) => esc(parameterText(p.name, v))).join(', ')}`), ...sum.choices.map((c) => `${esc(parameterName(c.name))}: ${c.values.map(esc).join(', ')}`)].join('<br>') || 'nothing (every run has the same parameters)'}</dd>
</dl>`);
  for (const i of inputs) if (i.note) parts.push(`<p class="missing"><code>${esc(i.source)}</code>: ${esc(i.note)}</p>`);
  const specs = sweepChartSpecs(rows, scales);
  if (specs.length === 0) parts.push('<p class="missing">No numeric parameter takes two or more values in these runs, so there is no curve to draw; the runs are listed below.</p>');
  let lastTrace = '';
  for (const c of specs) {
    if (c.trace !== lastTrace && sum.traces.length > 1) parts.push(`<h3>${esc(c.trace)}</h3>`);
    lastTrace = c.trace;
    parts.push(await charts.figure(c.name, c.spec));
  }
  const columns = ['trace', 'algorithm', ...sum.parameters.map((p) => p.name), ...sum.choices.map((c) => c.name), 'totalTimeS', 'downtimeMs', 'pagesSent', 'iterations', 'stopReason'];
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  const body = shown.map((r) => columns.map((c): Cell => {
    const v = c === 'trace' ? r.trace : c === 'algorithm' ? r.algorithm : r.values[c];
    if (v === null || v === undefined) return c === 'downtimeMs' ? { html: 'never', cls: 'never' } : null;
    if (typeof v === 'number') return sum.parameters.some((p) => p.name === c) ? parameterText(c, v) : sigText(v);
    return String(v);
  }));
  const numeric = columns.map((c) => !['trace', 'algorithm', 'stopReason', ...sum.choices.map((x) => x.name)].includes(c));
  const METRIC_HEADERS: Record<string, string> = { totalTimeS: 'total s', downtimeMs: 'downtime ms', pagesSent: 'pages sent', iterations: 'iterations', stopReason: 'stop reason' };
  const headers = columns.map((c) => METRIC_HEADERS[c] ?? parameterName(c));
  parts.push(`<details><summary>Every run (${rows.length}${rows.length > shown.length ? `, first ${shown.length} shown` : ''})</summary>\n${table(headers, body, numeric)}</details>`);
  return section('sweep', 'Sweep: metrics against parameters', '<p class="lead">Total time and downtime against each parameter the sweep varied, one line per algorithm and value of the other varied parameters; algorithms with identical results are one line, named together ("precopy = xen-v2").</p>\n' + parts.join('\n'));
}

interface Classified {
  docs: { source: string; doc: ResultsDocument }[];
  sweeps: { source: string; rows: SweepRow[]; note?: string }[];
  fleets: { source: string; doc: FleetDocument }[];
}

function classify(items: ReportOptions['results']): Classified {
  const out: Classified = { docs: [], sweeps: [], fleets: [] };
  const loose: SweepRow[] = [];
  for (const item of items) {
    const input = item as ReportInput;
    if (input && (input.kind === 'results' || input.kind === 'sweep' || input.kind === 'fleet') && ('doc' in input || 'rows' in input)) {
      if (input.kind === 'results') out.docs.push({ source: input.source, doc: input.doc });
      else if (input.kind === 'fleet') out.fleets.push({ source: input.source, doc: input.doc });
      else out.sweeps.push(input);
    } else if (isFleetDocument(item)) out.fleets.push({ source: 'fleet', doc: item });
    else if (isResultsDocument(item)) out.docs.push({ source: item.trace.path, doc: item });
    else loose.push(item as SweepRow);
  }
  if (loose.length) out.sweeps.push({ source: 'sweep rows', rows: loose });
  return out;
}

async function fleetSection(charts: Charts, fleets: Classified['fleets']): Promise<string> {
  const parts: string[] = [];
  for (const { source, doc } of fleets) {
    const f = doc.fleet;
    parts.push(`<h3>${esc(fleetLabel(f))} (<code>${esc(source)}</code>)</h3>`);
    const ms = (v: number | null): string => (v === null ? 'none switched over' : `${sigText(v)} ms`);
    parts.push(`<dl class="facts">
<dt>makespan</dt><dd>${sigText(f.makespanS)} s (first start to last switch-over); mean switch-over ${sigText(f.meanSwitchOverS)} s</dd>
<dt>bytes sent</dt><dd>${groupDigits(f.bytesSent)}</dd>
<dt>downtime</dt><dd>worst ${ms(f.worstDowntimeMs)}, mean ${ms(f.meanDowntimeMs)}</dd>
<dt>start order</dt><dd>${f.order.map(esc).join(', ')}</dd>
${f.unfinished > 0 ? `<dt>unfinished</dt><dd>${f.unfinished} guest${f.unfinished === 1 ? '' : 's'} never switched over</dd>\n` : ''}</dl>`);
    for (const c of fleetChartSpecs(f)) parts.push(await charts.figure(c.name, c.spec));
    const rows = f.guests.map((g): Cell[] => [
      g.name, g.algorithm, sigText(g.beginS), sigText(g.endS), groupDigits(g.result.pagesSent), sigText(g.result.totalTimeS),
      g.result.downtimeMs === null ? { html: 'never', cls: 'never' } : sigText(g.result.downtimeMs), g.result.rounds.length,
      g.result.stopReason + (g.result.wrapped ? ' (wrapped)' : ''),
    ]);
    parts.push(table(['guest', 'algorithm', 'begin s', 'switch-over s', 'pages sent', 'total s', 'downtime ms', 'rounds', 'stop reason'], rows, [false, false, true, true, true, true, true, true, false]));
  }
  return section('fleet', 'Fleet: guests sharing a link', '<p class="lead">Several guests migrated over one shared link (migreplay fleet, docs/fleet.md): each guest\'s rounds and stop-and-copy on its own lane in fleet time, and how the link was shared among the migrations under way.</p>\n' + parts.join('\n'));
}

/** Build the report: one self-contained HTML document (charts as inline SVG; no script, no external resource). */
export async function buildReport(opts: ReportOptions): Promise<string> {
  const { docs, sweeps, fleets } = classify(opts.results);
  let kernel = opts.kernel;
  const kernelOf = (): Kernel => (kernel ??= createKernel('wasm'));
  const charts = new Charts();
  const sections: string[] = [];
  const sweepRows = sweeps.flatMap((s) => normalizeSweepRows(s.rows));
  const tracePaths = [...new Set([...docs.map((d) => d.doc.trace.path), ...sweepRows.map((r) => r.trace)])];
  // One scale per metric in every chart of the report, from all its values (results and sweeps).
  const results = docs.flatMap((d) => d.doc.results);
  const numbers = (m: string) => sweepRows.map((r) => r.values[m]).filter((v): v is number => typeof v === 'number');
  const scales = decideScales({
    ...(results.length ? { pagesSent: results.map((r) => r.pagesSent) } : {}),
    totalTimeS: [...results.map((r) => r.totalTimeS), ...numbers('totalTimeS')],
    downtimeMs: [...results.map((r) => r.downtimeMs), ...numbers('downtimeMs')],
    ...(sweepRows.some((r) => typeof r.values.oracleTimeRatio === 'number') || results.some((r) => r.oracle) ? { oracleTimeRatio: [] } : {}),
  });
  // A fleet's guests are summed up in its own section; the trace section is for replays and sweeps.
  if (tracePaths.length > 0 || fleets.length === 0) sections.push(await traceSection(charts, tracePaths, opts, kernelOf));

  if (docs.length > 0) {
    const many = docs.length > 1;
    const cmp: string[] = ['<p class="lead">Pages sent over the link, total migration time and downtime (guest paused) of each algorithm.</p>'];
    const rnd: string[] = ['<p class="lead">What each round sent and what the guest dirtied meanwhile: a converging algorithm\'s lines fall.</p>'];
    const orc: string[] = ['<p class="lead">Each completed pre-copy run against the clairvoyant oracle: the least total time any pre-copy schedule could reach on this trace and link while pausing the guest no longer.</p>'];
    for (const { source, doc } of docs) {
      if (doc.results.length === 0) {
        for (const part of [cmp, rnd, orc]) part.push(docHeading(doc, many, source), '<p class="missing">This results document holds no result.</p>');
        continue;
      }
      cmp.push(docHeading(doc, many, source), comparisonTable(doc));
      const bars: string[] = [];
      for (const m of ['pagesSent', 'totalTimeS', 'downtimeMs'] as const) bars.push(await charts.figure(m, metricBarSpec(doc, m, BAR_WIDTH, scales[m] === 'log')));
      cmp.push(`<div class="row">${bars.join('')}</div>`);
      rnd.push(docHeading(doc, many, source));
      rnd.push(await charts.figure('rounds-sent', roundsSpec(doc, 'pagesSent')));
      rnd.push(await charts.figure('rounds-dirtied', roundsSpec(doc, 'pagesDirtied')));
      rnd.push(roundsTable(doc));
      orc.push(docHeading(doc, many, source));
      const o = oracleSpec(doc);
      if (o) orc.push(await charts.figure('oracle', o), oracleTable(doc));
      else orc.push('<p class="missing">No result here carries an oracle distance: it is computed for pre-copy algorithms that completed (replay adds it; results written without it have none).</p>');
    }
    sections.push(section('comparison', 'Algorithms compared', cmp.join('\n')));
    sections.push(section('rounds', 'Rounds', rnd.join('\n')));
    sections.push(section('oracle', 'Distance to the oracle', orc.join('\n')));
  }
  if (sweeps.length > 0) sections.push(await sweepSection(charts, sweeps, scales));
  if (fleets.length > 0) sections.push(await fleetSection(charts, fleets));

  const present = REPORT_SECTIONS.filter((s) => sections.some((x) => x.startsWith(`<section id="${s.id}"`)));
  const title = opts.title ?? 'migreplay report';
  const inputs = [...docs.map((d) => d.source), ...sweeps.map((s) => s.source), ...fleets.map((f) => f.source)];
  const links = docs.map((d) => rateText(d.doc.link.bandwidthBytesPerS));
  const what = [
    ...(docs.length ? [`${docs.length} replay result${docs.length > 1 ? 's' : ''} (${[...new Set(links)].join(', ')} link)`] : []),
    ...(sweeps.length ? ['sweep results'] : []),
    ...(fleets.length ? [`${fleets.length} fleet${fleets.length > 1 ? 's' : ''}`] : []),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="migreplay ${esc(VERSION)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="lead">${esc(what.join('; '))} from ${inputs.map((i) => `<code>${esc(i)}</code>`).join(', ')}.</p>
<p class="lead">Scales, the same in every chart: ${esc(scalesText(scales))} (log where a metric's values across the report span more than a decade).</p>
<nav>${present.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('')}</nav>
</header>
<main>
${sections.join('\n')}
</main>
<footer>Made by migreplay ${esc(VERSION)}. Self-contained: every chart is inline SVG; the file needs no network and no script.</footer>
</body>
</html>
`;
}
