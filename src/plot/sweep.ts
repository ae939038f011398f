// Charts of sweep results (`migreplay sweep --out`): flat rows, one per run, with the
// trace, the algorithm, parameter columns and the metrics of `replay --json`. For each
// parameter that varies: total time and downtime against it, one line per algorithm
// and value of the other varied parameters (dashes with a legend, or names at the ends
// of the lines), every parameter by its command-line name and unit.
import { algorithms } from '../algorithms/index.js';
import { paramKey, specKey } from '../params/index.js';
import { LINK_PARAMS } from '../params/link.js';
import { parseRate } from '../units.js';
import { groupColors, groupLabel, identicalGroups, identicalNote, sameValueKey } from './identical.js';
import { parameterName, parameterUnit, valueText } from './names.js';
import { decadeRoom, logScale, logTicks } from './replay.js';
import { decideScales, maxOf, minOf, spansDecade, type MetricScales } from './scales.js';
import { algorithmColors, CHART_HEIGHT, CHART_WIDTH, textWidth, type ChartSpec } from './vega.js';

/** One run of a sweep, as read from its output (Arrow, JSON Lines, CSV): field → value. */
export type SweepRow = Record<string, unknown>;

/** A sweep row made plain: numbers as numbers, the `params` JSON column spread into columns. */
export interface NormalRow {
  trace: string;
  algorithm: string;
  values: Record<string, number | string | boolean | null>;
}

// Columns that are results, identities or bookkeeping, never swept parameters.
const NOT_PARAMETERS = new Set([
  'trace', 'algorithm', 'params', 'rounds', 'pagesSent', 'bytesSent', 'totalTimeS', 'downtimeMs', 'converged', 'iterations',
  'overheadRatio', 'stopReason', 'wrapped', 'oracle', 'budgetPages', 'oracleTotalTimeS', 'pagesRatio', 'timeRatio', 'comparable',
  'oracleTimeRatio', 'oraclePagesRatio', 'oracleBudgetPages', 'oracleComparable',
  'dirtySyncCount', 'throttleSteps', 'throttlePercent', 'throttleHistory', 'remoteFaults', 'faultWaitS', 'stateBytes',
  'workloadSlowdown', 'workloadDelayS', 'immpColumn', 'run', 'runId', 'id', 'index', 'shard', 'kernel', 'version',
  'migreplayVersion', 'extra', 'elapsedS', 'elapsedMs', 'wallS', 'wallMs', 'memPages', 'pageSize', 'epochs', 'events', 'durationS',
]);

// Parameters every run has (the link) and every algorithm's own, by JSON key.
const KNOWN_PARAMETERS = new Set([...LINK_PARAMS.map(specKey), ...algorithms.flatMap((a) => a.params.map((p) => paramKey(p.name)))]);

// An unknown column with more distinct values than this is a measurement, not a grid axis.
const MAX_GRID_VALUES = 40;

function plain(v: unknown): number | string | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t !== '' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === '' || t === 'null') return null;
    return v;
  }
  return JSON.stringify(v);
}

/** Plain rows: BigInts and numeric text become numbers, a `params` object or JSON text is spread into columns, a `bandwidth` text column ('1Gbit') becomes bandwidthBytesPerS. */
export function normalizeSweepRows(rows: readonly SweepRow[]): NormalRow[] {
  return rows.map((row) => {
    const values: NormalRow['values'] = {};
    for (const [k, v] of Object.entries(row)) if (k !== 'params') values[k] = plain(v);
    let params: unknown = row.params;
    if (typeof params === 'string') {
      try { params = JSON.parse(params); } catch { params = undefined; }
    }
    if (params && typeof params === 'object' && !Array.isArray(params)) {
      for (const [k, v] of Object.entries(params as Record<string, unknown>)) if (!(k in values)) values[k] = plain(v);
    }
    if (values.bandwidthBytesPerS === undefined && typeof values.bandwidth === 'string') {
      try { values.bandwidthBytesPerS = parseRate('bandwidth', values.bandwidth); } catch { /* left as text */ }
    } else if (values.bandwidthBytesPerS === undefined && typeof values.bandwidth === 'number') {
      values.bandwidthBytesPerS = values.bandwidth;
    }
    if (values.bandwidthBytesPerS !== undefined) delete values.bandwidth;
    return { trace: String(values.trace ?? '(unnamed trace)'), algorithm: String(values.algorithm ?? '(unnamed algorithm)'), values };
  });
}

/** A parameter that varies across the runs, with its distinct values ascending. */
export interface SweptParameter {
  name: string;
  values: number[];
}

/** A parameter with text values (a choice such as within-epoch) that varies across the runs. */
export interface SweptChoice {
  name: string;
  values: string[];
}

function varying(rows: readonly NormalRow[]): { numeric: SweptParameter[]; choices: SweptChoice[] } {
  const names = new Set(rows.flatMap((r) => Object.keys(r.values)));
  const numeric: SweptParameter[] = [];
  const choices: SweptChoice[] = [];
  for (const name of names) {
    if (NOT_PARAMETERS.has(name)) continue;
    const vs = rows.map((r) => r.values[name]).filter((v) => v !== null && v !== undefined);
    if (vs.length === 0) continue;
    const distinct = [...new Set(vs)];
    if (distinct.length < 2 || (!KNOWN_PARAMETERS.has(name) && distinct.length > MAX_GRID_VALUES)) continue;
    if (vs.every((v) => typeof v === 'number' && Number.isFinite(v))) numeric.push({ name, values: (distinct as number[]).sort((a, b) => a - b) });
    else choices.push({ name, values: distinct.map(String).sort() });
  }
  numeric.sort((a, b) => (a.name === 'bandwidthBytesPerS' ? -1 : b.name === 'bandwidthBytesPerS' ? 1 : a.name.localeCompare(b.name)));
  choices.sort((a, b) => a.name.localeCompare(b.name));
  return { numeric, choices };
}

/** Numeric parameter columns with at least two distinct values (bandwidth first). */
export function sweepParameters(rows: readonly NormalRow[]): SweptParameter[] {
  return varying(rows).numeric;
}

/** Text parameter columns (choices) with at least two distinct values. */
export function sweepChoices(rows: readonly NormalRow[]): SweptChoice[] {
  return varying(rows).choices;
}

/** How a parameter is shown on an axis: its name and unit ("bandwidth (Mbit/s)"), and the factor from its stored unit. */
export function parameterAxis(p: SweptParameter): { title: string; factor: number } {
  const { unit, factor } = parameterUnit(p.name, p.values);
  const name = p.name === 'bandwidthBytesPerS' ? 'link bandwidth' : parameterName(p.name);
  return { title: unit ? `${name} (${unit})` : name, factor };
}

// "total time (s)" → "total time (s, log scale)"; "R_d" → "R_d (log scale)".
function logTitle(title: string, log: boolean): string {
  if (!log) return title;
  return title.endsWith(')') ? `${title.slice(0, -1)}, log scale)` : `${title} (log scale)`;
}

function useLog(values: readonly number[], ratio: number): boolean {
  const min = minOf(values);
  const max = maxOf(values);
  return min > 0 && max / min >= ratio;
}

const METRICS = {
  totalTimeS: { title: 'Total migration time', axis: 'total time (s)', missing: 'value' },
  downtimeMs: { title: 'Downtime', axis: 'downtime (ms)', missing: 'downtime (never switched over)' },
  oracleTimeRatio: { title: 'Distance to the oracle', axis: 'total time ÷ oracle total time', missing: 'oracle distance (not a completed pre-copy run)' },
} as const;

const COMPLETED = 'completed';
const CUT_OFF = 'cut off by --max-time (never switched over)';

/** Dash patterns that tell lines apart, most distinct first; more lines than this are labelled at their ends instead. */
export const DASHES: readonly (readonly number[])[] = [[1, 0], [8, 4], [2, 3], [10, 3, 2, 3], [4, 6], [14, 3, 2, 3, 2, 3]];

/** The metrics a sweep chart can show. */
export type SweepMetric = keyof typeof METRICS;

interface Point {
  algorithm: string;
  /** The other varied parameters' values, as text ('' when nothing else varies). */
  other: string;
  x: number;
  y: number;
  status: string;
  runs: number;
}

/** What the other varied parameters are at this row: "1 Gbit/s" (one other), "bandwidth 1 Gbit/s, max-iters 5" (several). */
function otherText(r: NormalRow, others: readonly { name: string }[]): string {
  const v = (name: string) => (r.values[name] === null || r.values[name] === undefined ? `no ${parameterName(name)}` : valueText(name, r.values[name]));
  if (others.length === 1) return v(others[0]!.name);
  return others.map((o) => (r.values[o.name] === null || r.values[o.name] === undefined ? v(o.name) : `${parameterName(o.name)} ${v(o.name)}`)).join(', ');
}

/** The others' value combinations in the order of their values (numbers as numbers). */
function otherOrder(rows: readonly NormalRow[], others: readonly { name: string }[]): string[] {
  const seen = new Map<string, NormalRow>();
  for (const r of rows) if (!seen.has(otherText(r, others))) seen.set(otherText(r, others), r);
  const cmp = (a: NormalRow, b: NormalRow): number => {
    for (const o of others) {
      const x = a.values[o.name];
      const y = b.values[o.name];
      if (x === y) continue;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      return String(x ?? '').localeCompare(String(y ?? ''));
    }
    return 0;
  };
  return [...seen.entries()].sort((a, b) => cmp(a[1], b[1])).map(([k]) => k);
}

/**
 * One chart: a metric against a parameter for one trace, one line per algorithm and
 * value of the other varied parameters. `log`: the metric's scale for the whole report
 * (default: log when this chart's values span more than a decade).
 */
export function sweepCurveSpec(rows: readonly NormalRow[], trace: string, param: SweptParameter, others: readonly { name: string; values: readonly (number | string)[] }[], metric: SweepMetric, log?: boolean): ChartSpec | null {
  const axis = parameterAxis(param);
  const mine = rows.filter((r) => r.trace === trace && typeof r.values[param.name] === 'number');
  const missing = mine.filter((r) => typeof r.values[metric] !== 'number').length;
  const valued = mine.filter((r) => typeof r.values[metric] === 'number');
  const logY = log ?? spansDecade(valued.map((r) => r.values[metric] as number));
  // Repeated runs of one point are averaged here, so identical series can be found.
  const sums = new Map<string, Point>();
  for (const r of valued) {
    const p = { algorithm: r.algorithm, other: otherText(r, others), x: (r.values[param.name] as number) * axis.factor };
    const key = `${p.algorithm}\u0000${p.other}\u0000${p.x}`;
    const cutOff = r.values.converged === false || ('downtimeMs' in r.values && r.values.downtimeMs === null);
    const at = sums.get(key) ?? { ...p, y: 0, status: COMPLETED, runs: 0 };
    at.y += r.values[metric] as number;
    at.runs++;
    // A run cut off by --max-time has a total time but never switched over.
    if (cutOff) at.status = CUT_OFF;
    sums.set(key, at);
  }
  const points = [...sums.values()].map((p) => ({ ...p, y: p.y / p.runs }));
  if (points.length === 0) return null;
  const repeated = points.some((p) => p.runs > 1);
  const order = otherOrder(valued, others);

  // Algorithms whose every line is the same: drawn once, named together.
  const algos = algorithmColors(points.map((p) => p.algorithm)).domain;
  const lineKey = (a: string, other: string) => points.filter((p) => p.algorithm === a && p.other === other).sort((p, q) => p.x - q.x).map((p) => `${p.x}:${sameValueKey(p.y)}:${p.status === CUT_OFF ? 1 : 0}`).join(';');
  const groups = identicalGroups(algos, (a) => order.map((o) => `${o}=${lineKey(a, o)}`).join('|'));
  const labelOf = new Map(groups.flatMap((g) => g.map((a) => [a, groupLabel(g)] as const)));
  const values = points
    .filter((p) => groups.find((g) => g.includes(p.algorithm))![0] === p.algorithm)
    .map((p) => ({ ...p, algorithm: labelOf.get(p.algorithm)!, series: `${labelOf.get(p.algorithm)}|${p.other}` }));
  // Points of different algorithms that coincide without the whole lines being equal: counted in the subtitle.
  const partial: string[] = [];
  const leaders = groups.map((g) => g[0]!);
  const at = (a: string) => new Map(points.filter((p) => p.algorithm === a).map((p) => [`${p.other}\u0000${p.x}`, sameValueKey(p.y)] as const));
  for (let i = 0; i < leaders.length; i++) {
    const mine = at(leaders[i]!);
    for (let j = i + 1; j < leaders.length; j++) {
      const theirs = at(leaders[j]!);
      const both = [...mine.keys()].filter((k) => theirs.has(k));
      const equal = both.filter((k) => mine.get(k) === theirs.get(k)).length;
      if (equal > 0) partial.push(`${labelOf.get(leaders[i]!)} and ${labelOf.get(leaders[j]!)} coincide at ${equal} of ${both.length} points`);
    }
  }

  // The other parameters' lines: dashes with a legend when few, names at their right ends when many.
  const lines = order.filter((o) => o !== '');
  const dashed = others.length > 0 && lines.length <= DASHES.length;
  const labelled = others.length > 0 && !dashed;
  const otherTitle = others.map((o) => parameterName(o.name)).join(', ');

  const xs = param.values.map((v) => v * axis.factor);
  // Link speeds are compared by factors: log whenever positive; other parameters only when they span a decade (the same in every chart of the parameter).
  const logX = param.name === 'bandwidthBytesPerS' || /BytesPerS$/.test(param.name) ? useLog(xs, 1) : param.values.length >= 3 && useLog(xs, 10);
  // A log axis has no 0: such points are drawn at its foot, marked apart, and their lines broken there.
  const positive = values.map((v) => v.y).filter((y) => y > 0);
  const zeros = logY && values.some((v) => v.y <= 0);
  const least = positive.length ? minOf(positive) : 1;
  const foot = least / 2.5;
  const ys = zeros ? [...positive, foot] : values.map((v) => v.y);
  const yScale = logY ? logScale(ys, 1.3) : { zero: true, nice: false, domain: [Math.min(0, minOf(ys)), maxOf(ys) * 1.08 || 1] as [number, number] };
  const ZERO = `0${metric === 'downtimeMs' ? ' ms' : metric === 'totalTimeS' ? ' s' : ''}: not on a log scale, drawn at its foot`;
  const data = values.map((v) => (logY && v.y <= 0 ? { ...v, y: null, status: ZERO } : v));
  const zeroRuns = valued.filter((r) => logY && (r.values[metric] as number) <= 0).length;
  const ends = labelled ? lineEnds(data.map((v) => ({ ...v, y: v.y ?? foot })), yScale, CHART_HEIGHT) : [];
  const statuses = [COMPLETED, ...(data.some((v) => v.status === CUT_OFF) ? [CUT_OFF] : []), ...(zeros ? [ZERO] : [])];
  const shapes: Record<string, string> = { [COMPLETED]: 'circle', [CUT_OFF]: 'cross', [ZERO]: 'triangle-down' };
  const shape = statuses.length > 1 ? { shape: { field: 'status', type: 'nominal', title: null, scale: { domain: statuses, range: statuses.map((st) => shapes[st]!) }, legend: { labelLimit: 400 } } } : {};
  const labelWidth = Math.max(0, maxOf(ends.map((e) => textWidth(e.other, 11))));
  const notes = [
    others.length ? `one line per algorithm and value of ${otherTitle}${dashed ? ' (dashes)' : ' (named at its right end)'}` : 'one line per algorithm',
    repeated ? 'mean of repeated runs' : '',
    missing ? `${missing} run${missing > 1 ? 's' : ''} with no ${METRICS[metric].missing} not drawn` : '',
    zeroRuns ? `${zeroRuns} run${zeroRuns > 1 ? 's' : ''} at 0, drawn at the foot of the log scale (triangles)` : '',
  ].filter(Boolean);
  const same = [identicalNote(groups), ...partial].filter((s): s is string => Boolean(s));
  return {
    title: { text: `${METRICS[metric].title} against ${axis.title.replace(/ \(.*\)$/, '')}`, subtitle: [trace, notes.join('; '), ...same] },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: data },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: logTitle(axis.title, logX), scale: logX ? logScale(xs, 1.12) : { zero: false }, axis: { format: '~r', ...(logX ? { values: logTicks(xs, decadeRoom(CHART_WIDTH, logScale(xs, 1.12).domain)) } : linearTicks(xs)) } },
      y: { field: 'y', type: 'quantitative', title: logTitle(METRICS[metric].axis, logY), scale: yScale, axis: { format: '~r', ...(logY ? { values: logTicks(positive.length ? positive : ys, 2.5 * decadeRoom(CHART_HEIGHT, logScale(ys, 1.3).domain)) } : {}) } },
      color: { field: 'algorithm', type: 'nominal', title: 'algorithm', scale: groupColors(groups), legend: { labelLimit: 300, ...(labelled ? { offset: Math.ceil(labelWidth) + 22 } : {}) } },
      detail: { field: 'series', type: 'nominal' },
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2, invalid: 'break-paths-show-domains' },
        ...(dashed
          ? { encoding: { strokeDash: { field: 'other', type: 'ordinal', title: otherTitle, scale: { domain: lines, range: DASHES.slice(0, lines.length) }, legend: { symbolStrokeColor: '#333', symbolType: 'stroke', symbolSize: 500, symbolStrokeWidth: 2, labelLimit: 300 } } } }
          : {}),
      },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: shape },
      ...(zeros ? [{ transform: [{ filter: `datum.status === ${JSON.stringify(ZERO)}` }, { calculate: String(foot), as: 'y' }], mark: { type: 'point', filled: true, size: 70, opacity: 1 }, encoding: shape }] : []),
      ...(labelled
        ? [
          {
            // Too many lines for dashes: each is named beside the plot, level with its end
            // (moved apart where ends are close), with a thin leader to it.
            data: { values: ends },
            mark: { type: 'rule', strokeWidth: 0.8, opacity: 0.7 },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'endPx', type: 'quantitative', scale: null }, x2: { value: CHART_WIDTH + 4 }, y2: { field: 'labelPx' }, color: { field: 'algorithm', type: 'nominal' } },
          },
          {
            data: { values: ends },
            mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 11 },
            encoding: { x: { value: CHART_WIDTH + 6 }, y: { field: 'labelPx', type: 'quantitative', scale: null }, text: { field: 'other' }, color: { field: 'algorithm', type: 'nominal' } },
          },
        ]
        : []),
    ],
  } as ChartSpec;
}

/** A linear parameter axis: ticks at the swept values when there are few, whole numbers for counts. */
function linearTicks(xs: readonly number[]): object {
  if (xs.length <= 12) return { values: [...xs] };
  return xs.every((x) => Number.isInteger(x)) ? { tickMinStep: 1 } : {};
}

/**
 * Where each line ends (its point of largest x), in pixels from the top of the plot,
 * and where its name goes: level with the end, moved apart so names do not overlap.
 */
function lineEnds(values: readonly { algorithm: string; other: string; series: string; x: number; y: number }[], scale: { type?: 'log'; domain: [number, number] }, height: number): { algorithm: string; other: string; x: number; endPx: number; labelPx: number }[] {
  const [lo, hi] = scale.domain;
  const px = (y: number) => scale.type === 'log' ? height * (1 - (Math.log(y) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) : height * (1 - (y - lo) / (hi - lo));
  const last = new Map<string, (typeof values)[number]>();
  for (const v of values) if (!last.has(v.series) || last.get(v.series)!.x < v.x) last.set(v.series, v);
  const ends = [...last.values()].map((v) => ({ algorithm: v.algorithm, other: v.other, x: v.x, endPx: px(v.y), labelPx: px(v.y) })).sort((a, b) => a.endPx - b.endPx);
  const GAP = 13;
  for (let i = 1; i < ends.length; i++) ends[i]!.labelPx = Math.max(ends[i]!.labelPx, ends[i - 1]!.labelPx + GAP);
  // Pushed below the plot: move the stack back up.
  const over = ends.length ? ends.at(-1)!.labelPx - (height + GAP) : 0;
  if (over > 0) {
    ends.at(-1)!.labelPx -= over;
    for (let i = ends.length - 2; i >= 0; i--) ends[i]!.labelPx = Math.min(ends[i]!.labelPx, ends[i + 1]!.labelPx - GAP);
  }
  return ends.map((e) => ({ ...e, endPx: Math.round(e.endPx * 10) / 10, labelPx: Math.round(e.labelPx * 10) / 10 }));
}

/** The report-wide scale of each sweep metric, from these rows alone (log when its values span more than a decade). */
export function sweepScales(rows: readonly NormalRow[]): MetricScales {
  const of = (m: SweepMetric) => rows.map((r) => r.values[m]).filter((v): v is number => typeof v === 'number');
  return decideScales({ totalTimeS: of('totalTimeS'), downtimeMs: of('downtimeMs'), oracleTimeRatio: of('oracleTimeRatio') });
}

/** A short account of a sweep: runs, traces, algorithms, and what was varied. */
export function sweepSummary(rows: readonly NormalRow[]): { runs: number; traces: string[]; algorithms: string[]; parameters: SweptParameter[]; choices: SweptChoice[] } {
  const v = varying(rows);
  return {
    runs: rows.length,
    traces: [...new Set(rows.map((r) => r.trace))],
    algorithms: [...new Set(rows.map((r) => r.algorithm))],
    parameters: v.numeric,
    choices: v.choices,
  };
}

/**
 * Every metric-against-parameter chart of a sweep: per trace, per swept parameter, total
 * time then downtime (then the distance to the oracle). `scales`: each metric's scale,
 * the same in every chart (default: decided from these rows).
 */
export function sweepChartSpecs(rows: readonly NormalRow[], scales: MetricScales = sweepScales(rows)): { name: string; trace: string; parameter: string; spec: ChartSpec }[] {
  const { numeric: params, choices } = varying(rows);
  const out: { name: string; trace: string; parameter: string; spec: ChartSpec }[] = [];
  const traces = [...new Set(rows.map((r) => r.trace))];
  const metrics: SweepMetric[] = ['totalTimeS', 'downtimeMs'];
  if (rows.some((r) => typeof r.values.oracleTimeRatio === 'number')) metrics.push('oracleTimeRatio');
  const decided = { ...sweepScales(rows), ...scales };
  traces.forEach((trace, ti) => {
    for (const p of params) {
      const others = [...params.filter((o) => o !== p), ...choices];
      for (const metric of metrics) {
        const spec = sweepCurveSpec(rows, trace, p, others, metric, decided[metric] === 'log');
        if (spec) out.push({ name: `sweep-${ti}-${p.name}-${metric}`, trace, parameter: p.name, spec });
      }
    }
  });
  return out;
}

export { parameterName, parameterText, valueText } from './names.js';
