// Charts of one replay results document (`replay --json`, docs/output.md): pages sent,
// total time and downtime per algorithm; pages sent and dirtied per round; the
// distance to the clairvoyant oracle.
import type { ReplayResult } from '../engine/types.js';
import type { ResultsDocument } from '../output/results.js';
import { groupDigits, rateText, sigText } from './format.js';
import { groupColors, groupLabel, identicalGroups, identicalNote, sameValueKey } from './identical.js';
import { decideScales, maxOf, minOf, type MetricScales } from './scales.js';
import { algorithmColors, CHART_WIDTH, countAxis, renderSvg, type ChartSpec } from './vega.js';

// Bar charts: one band of this height per algorithm, px.
const BAR_STEP = 22;

/** "traces/xz6.arrow, 1 Gbit/s link" — what a chart's subtitle says about its inputs. */
export function runLabel(doc: ResultsDocument): string {
  const extra = [doc.link.startS ? `start ${sigText(doc.link.startS)} s` : '', doc.link.resumeMs ? `resume ${sigText(doc.link.resumeMs)} ms` : ''].filter(Boolean);
  return `${doc.trace.path}, ${rateText(doc.link.bandwidthBytesPerS)} link${extra.length ? ', ' + extra.join(', ') : ''}`;
}

function colorScale(doc: ResultsDocument) {
  return algorithmColors(doc.results.map((r) => r.algorithm));
}

type Metric = 'pagesSent' | 'totalTimeS' | 'downtimeMs';

const BAR_TEXT: Record<Metric, { title: string; axis: string; label: (v: number) => string }> = {
  pagesSent: { title: 'Pages sent', axis: 'pages sent (all rounds)', label: groupDigits },
  totalTimeS: { title: 'Total migration time', axis: 'total time (s)', label: (v) => `${sigText(v)} s` },
  downtimeMs: { title: 'Downtime', axis: 'downtime (ms)', label: (v) => `${sigText(v)} ms` },
};

/** The scale of each bar chart's metric in one results document alone (log when its values span more than a decade). */
export function docScales(doc: ResultsDocument): MetricScales {
  return decideScales({
    pagesSent: doc.results.map((r) => r.pagesSent),
    totalTimeS: doc.results.map((r) => r.totalTimeS),
    downtimeMs: doc.results.map((r) => r.downtimeMs),
  });
}

/**
 * One metric per algorithm: a bar each on a linear scale, or a dot each on a log scale
 * (a bar's length means nothing on a log axis); a missing value (downtime null) is a
 * labelled gap. `log`: the metric's scale for the whole report (default: from this document).
 */
export function metricBarSpec(doc: ResultsDocument, metric: Metric, width = Math.round(CHART_WIDTH * 0.75), log = docScales(doc)[metric] === 'log'): ChartSpec {
  const text = BAR_TEXT[metric];
  const order = doc.results.map((r) => r.algorithm);
  const positive = doc.results.map((r) => r[metric]).filter((v): v is number => v !== null && v > 0);
  const lo = positive.length ? minOf(positive) : 1;
  const hi = positive.length ? maxOf(positive) : 10;
  // On a log axis a missing value's label, and a 0, sit at its left end.
  const floor = lo / 1.6;
  const values = doc.results.map((r) => {
    const v = r[metric];
    return {
      algorithm: r.algorithm,
      value: v,
      at: log ? (v !== null && v > 0 ? v : floor) : (v ?? 0),
      label: v === null ? 'none: never switched over' : text.label(v),
    };
  });
  const max = Math.max(0, maxOf(values.map((v) => v.at)));
  const missing = values.filter((v) => v.value === null).length;
  const ticks = Math.max(3, Math.round(width / 70));
  const x = log
    ? { field: 'at', type: 'quantitative', title: `${text.axis.replace(/\)$/, ', log scale)')}`, scale: { type: 'log', domain: [floor, hi * 4], nice: false }, axis: { ...countAxis(), format: metric === 'pagesSent' ? '~s' : '~r', values: logTicks([lo, hi * 4], decadeRoom(width, [floor, hi * 4])).filter((t) => t >= floor && t <= hi * 4) } }
    : { field: 'value', type: 'quantitative', title: text.axis, scale: { domain: [0, max > 0 ? max * 1.22 : 1] }, axis: countAxis({ tickCount: ticks, ...(metric === 'pagesSent' ? {} : { format: '~r' }) }) };
  const mark = log
    ? { transform: [{ filter: 'isValid(datum.value)' }], mark: { type: 'point', filled: true, size: 90, opacity: 1 }, encoding: { x, color: { field: 'algorithm', type: 'nominal', scale: colorScale(doc), legend: null } } }
    : { transform: [{ filter: 'isValid(datum.value)' }], mark: { type: 'bar' }, encoding: { x, color: { field: 'algorithm', type: 'nominal', scale: colorScale(doc), legend: null } } };
  return {
    title: {
      text: text.title,
      subtitle: runLabel(doc) + (log ? ' · log scale' : '') + (missing ? ` · ${missing} run${missing > 1 ? 's' : ''} never switched over (no downtime)` : ''),
    },
    width,
    height: { step: BAR_STEP },
    data: { values },
    encoding: {
      y: { field: 'algorithm', type: 'nominal', sort: order, title: 'algorithm', axis: { labelFontSize: 12, ...(log ? { grid: true } : {}) } },
    },
    layer: [
      mark,
      {
        transform: [{ filter: 'isValid(datum.value)' }],
        mark: { type: 'text', align: 'left', dx: log ? 8 : 4, baseline: 'middle', color: '#333' },
        encoding: { x: { field: 'at', type: 'quantitative' }, text: { field: 'label' } },
      },
      {
        // A missing value: no bar, a label saying why.
        transform: [{ filter: '!isValid(datum.value)' }],
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'middle', color: '#b00020', fontStyle: 'italic' },
        encoding: { x: { field: 'at', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as ChartSpec;
}

/**
 * Tick values 1, 2, 5, 10, 20, 50, … covering these values (no crowded minor ticks on a
 * log axis). `pxPerDecade`: the room one decade gets on the axis; where 1-2-5 labels
 * would run into each other, 1-3 or only the powers of ten are labelled.
 */
export function logTicks(values: readonly number[], pxPerDecade = Infinity): number[] {
  const positive = values.filter((v) => v > 0);
  const lo = positive.length ? minOf(positive) : 1;
  const hi = positive.length ? maxOf(positive) : 1;
  const steps = pxPerDecade >= 150 ? [1, 2, 5] : pxPerDecade >= 75 ? [1, 3] : [1];
  const out: number[] = [];
  for (let p = 10 ** Math.floor(Math.log10(lo)); p <= hi * 10; p *= 10) for (const m of steps) if (m * p >= lo / 2 && m * p <= hi * 2) out.push(Number((m * p).toPrecision(6)));
  return out;
}

/** The room a decade gets on a log axis of this length over this domain, px. */
export function decadeRoom(lengthPx: number, domain: readonly [number, number]): number {
  return lengthPx / Math.max(1e-9, Math.log10(domain[1] / domain[0]));
}

/** A log scale just wider than these values (no empty decades from rounding the domain out). */
export function logScale(values: readonly number[], pad = 1.6): { type: 'log'; domain: [number, number]; nice: false } {
  const positive = values.filter((v) => v > 0);
  const lo = positive.length ? minOf(positive) : 1;
  const hi = positive.length ? maxOf(positive) : 10;
  return { type: 'log', domain: [lo / pad, hi * pad], nice: false };
}

type RoundField = 'pagesSent' | 'pagesDirtied';

/** Pages sent (or dirtied) in each round, one line per algorithm, x = round index, log y; algorithms with identical rounds are one line, named for all. */
export function roundsSpec(doc: ResultsDocument, field: RoundField, width = CHART_WIDTH): ChartSpec {
  const all = doc.results.flatMap((r) =>
    r.rounds
      .filter((x) => x[field] > 0) // log scale: rounds with 0 pages are left out
      .map((x) => ({ algorithm: r.algorithm, round: x.index, value: x[field], phase: x.phase ?? (x.final ? 'stop-copy' : 'precopy'), startS: x.startS })),
  );
  // Identical rounds draw one line exactly over the other: one line, named "precopy = advance-xenvmc".
  const ids = algorithmColors(doc.results.map((r) => r.algorithm)).domain;
  const groups = identicalGroups(ids, (a) => all.filter((v) => v.algorithm === a).map((v) => `${v.round}:${sameValueKey(v.value)}:${v.phase}`).join(';') || `(none: ${a})`);
  const leader = new Map(groups.flatMap((g) => g.map((a) => [a, g[0]!] as const)));
  const label = new Map(groups.map((g) => [g[0]!, groupLabel(g)] as const));
  const values = all.filter((v) => leader.get(v.algorithm) === v.algorithm).map((v) => ({ ...v, algorithm: label.get(v.algorithm)! }));
  const same = identicalNote(groups);
  const dirtied = field === 'pagesDirtied';
  return {
    title: {
      text: dirtied ? 'Pages dirtied per round' : 'Pages sent per round',
      subtitle: [
        runLabel(doc),
        dirtied
          ? 'distinct pages the guest wrote during each round (post-copy round: remote faults); log scale, rounds with none left out'
          : 'round 0 is the full copy; square: the stop-and-copy round (guest paused); log scale, empty rounds left out',
        ...(same ? [same] : []),
      ],
    },
    width,
    height: 300,
    data: { values },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'round index', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: dirtied ? 'pages dirtied in the round (log scale)' : 'pages sent in the round (log scale)', scale: logScale(values.map((v) => v.value)), axis: { format: '~s', values: logTicks(values.map((v) => v.value)) } },
      color: { field: 'algorithm', type: 'nominal', scale: groupColors(groups), title: 'algorithm', legend: { labelLimit: 300 } },
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 2 } },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          shape: { field: 'phase', type: 'nominal', title: 'round', scale: { domain: ['precopy', 'stop-copy', 'postcopy'], range: ['circle', 'square', 'triangle-up'] } },
        },
      },
    ],
  } as ChartSpec;
}

/** Results that carry an oracle distance. */
export function withOracle(doc: ResultsDocument): (ReplayResult & { oracle: NonNullable<ReplayResult['oracle']> })[] {
  return doc.results.filter((r): r is ReplayResult & { oracle: NonNullable<ReplayResult['oracle']> } => Boolean(r.oracle));
}

const APPLIES = 'bound applies';
const DOES_NOT_APPLY = 'bound does not apply (changes the workload or what is migrated)';

/** Total time ÷ the oracle's least total time at the same downtime, per algorithm; null when no result has one. */
export function oracleSpec(doc: ResultsDocument, width = Math.round(CHART_WIDTH * 0.75)): ChartSpec | null {
  const rs = withOracle(doc);
  if (rs.length === 0) return null;
  const values = rs.map((r) => ({
    algorithm: r.algorithm,
    ratio: r.oracle.timeRatio,
    one: 1,
    applies: r.oracle.comparable ? APPLIES : DOES_NOT_APPLY,
    label: `×${sigText(r.oracle.timeRatio, 3)} (${sigText(r.totalTimeS)} s vs ${sigText(r.oracle.oracleTotalTimeS)} s)`,
  }));
  const y = { field: 'algorithm', type: 'nominal', sort: rs.map((r) => r.algorithm), title: 'algorithm' };
  const lo = Math.min(1, minOf(values.map((v) => v.ratio)));
  const hi = Math.max(1, maxOf(values.map((v) => v.ratio)));
  return {
    title: {
      text: 'Distance to the oracle',
      subtitle: [runLabel(doc), 'total time ÷ the least total time any pre-copy schedule could reach with the same downtime (1 = optimal)'],
    },
    width,
    height: { step: BAR_STEP },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          x: { field: 'ratio', type: 'quantitative', title: 'total time ÷ oracle total time (log scale)', scale: { type: 'log', domain: [lo / 1.15, hi * 3.5], nice: false }, axis: { format: '~r', values: logTicks([lo / 1.15, hi * 3.5], decadeRoom(width, [lo / 1.15, hi * 3.5])) } },
          x2: { field: 'one' },
          color: { field: 'applies', type: 'nominal', title: null, scale: { domain: [APPLIES, DOES_NOT_APPLY], range: ['#4e79a7', '#bab0ac'] }, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 600 } },
        },
      },
      {
        mark: { type: 'rule', color: '#222', strokeDash: [4, 3] },
        encoding: { x: { datum: 1, type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'middle', color: '#333' },
        encoding: { y, x: { field: 'ratio', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as ChartSpec;
}

/** The charts of a results document, by name, in display order. */
export function replayChartSpecs(doc: ResultsDocument): { name: string; spec: ChartSpec }[] {
  const out = [
    { name: 'pages-sent', spec: metricBarSpec(doc, 'pagesSent') },
    { name: 'total-time', spec: metricBarSpec(doc, 'totalTimeS') },
    { name: 'downtime', spec: metricBarSpec(doc, 'downtimeMs') },
    { name: 'rounds-sent', spec: roundsSpec(doc, 'pagesSent') },
    { name: 'rounds-dirtied', spec: roundsSpec(doc, 'pagesDirtied') },
  ];
  const o = oracleSpec(doc);
  if (o) out.push({ name: 'oracle', spec: o });
  return out;
}

// A nested view may not carry $schema or config.
function nested(spec: ChartSpec): object {
  const { $schema: _s, config: _c, ...rest } = spec as unknown as Record<string, unknown>;
  return rest;
}

/**
 * One SVG for `replay --plot`: the three per-algorithm bar charts side by side, then
 * pages sent and dirtied per round, then the distance to the oracle where present.
 */
export async function replayPlotSvg(doc: ResultsDocument): Promise<string> {
  const bars = (['pagesSent', 'totalTimeS', 'downtimeMs'] as const).map((m, i) => {
    const spec = nested(metricBarSpec(doc, m, 230)) as { title: { text: string; subtitle?: unknown }; encoding: { y: Record<string, unknown> } };
    spec.title = { text: spec.title.text }; // the run is named once, in the overall title
    if (i > 0) spec.encoding.y = { ...spec.encoding.y, axis: null }; // same algorithm order in all three
    return spec;
  });
  const rows: object[] = [
    { hconcat: bars, spacing: 16 },
    nested(roundsSpec(doc, 'pagesSent', 900)),
    nested(roundsSpec(doc, 'pagesDirtied', 900)),
  ];
  const o = oracleSpec(doc, 700);
  if (o) rows.push(nested(o));
  return renderSvg({
    title: { text: `migreplay replay: ${doc.trace.path}`, subtitle: `${groupDigits(doc.trace.memPages)} pages × ${doc.trace.pageSize} B, ${sigText(doc.trace.durationS)} s of trace; ${rateText(doc.link.bandwidthBytesPerS)} link`, fontSize: 18 },
    vconcat: rows,
    spacing: 28,
    // Each chart keeps its own colour scale and legend (the algorithm colours are fixed anyway).
    resolve: { scale: { color: 'independent', shape: 'independent' }, legend: { color: 'independent', shape: 'independent' } },
  } as ChartSpec);
}
