// Charts of sweep results (`migreplay sweep --out`): flat rows, one per run, with the
// trace, the algorithm, parameter columns and the metrics of `replay --json`. For each
// parameter that varies: total time and downtime against it, one line per algorithm.
import { algorithms } from '../algorithms/index.js';
import { paramKey } from '../algorithms/types.js';
import { parseRate } from '../units.js';
import { groupDigits, sigText } from './format.js';
import { logScale, logTicks } from './replay.js';
import { algorithmColors, CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from './vega.js';

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
const KNOWN_PARAMETERS = new Set(['bandwidthBytesPerS', 'startS', 'resumeMs', ...algorithms.flatMap((a) => a.params.map((p) => paramKey(p.name)))]);

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

/** How a parameter is shown on an axis: a title with its unit, and the factor from its stored unit. */
export function parameterAxis(p: SweptParameter): { title: string; factor: number } {
  if (p.name === 'bandwidthBytesPerS') {
    const gbit = p.values[0]! * 8 >= 1e9;
    return { title: `link bandwidth (${gbit ? 'Gbit/s' : 'Mbit/s'})`, factor: 8 / (gbit ? 1e9 : 1e6) };
  }
  if (/Bytes$/.test(p.name)) return { title: `${p.name} (bytes)`, factor: 1 };
  if (/Ms$/.test(p.name)) return { title: `${p.name} (ms)`, factor: 1 };
  if (/S$/.test(p.name)) return { title: `${p.name} (s)`, factor: 1 };
  if (/Percent$/.test(p.name)) return { title: `${p.name} (%)`, factor: 1 };
  return { title: p.name, factor: 1 };
}

// "total time (s)" → "total time (s, log scale)"; "R_d" → "R_d (log scale)".
function logTitle(title: string, log: boolean): string {
  if (!log) return title;
  return title.endsWith(')') ? `${title.slice(0, -1)}, log scale)` : `${title} (log scale)`;
}

function useLog(values: readonly number[], ratio: number): boolean {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min > 0 && max / min >= ratio;
}

const METRICS = {
  totalTimeS: { title: 'Total migration time', axis: 'total time (s)', missing: 'value' },
  downtimeMs: { title: 'Downtime', axis: 'downtime (ms)', missing: 'downtime (never switched over)' },
  oracleTimeRatio: { title: 'Distance to the oracle', axis: 'total time ÷ oracle total time', missing: 'oracle distance (not a completed pre-copy run)' },
} as const;

const COMPLETED = 'completed';
const CUT_OFF = 'cut off by --max-time (never switched over)';

/** The metrics a sweep chart can show. */
export type SweepMetric = keyof typeof METRICS;

/** One chart: a metric against a parameter for one trace, one line per algorithm (other swept parameters: one line each, same colour). */
export function sweepCurveSpec(rows: readonly NormalRow[], trace: string, param: SweptParameter, others: readonly { name: string; values: readonly (number | string)[] }[], metric: keyof typeof METRICS): ChartSpec | null {
  const axis = parameterAxis(param);
  const mine = rows.filter((r) => r.trace === trace && typeof r.values[param.name] === 'number');
  const missing = mine.filter((r) => typeof r.values[metric] !== 'number').length;
  const values = mine
    .filter((r) => typeof r.values[metric] === 'number')
    .map((r) => ({
      algorithm: r.algorithm,
      x: (r.values[param.name] as number) * axis.factor,
      y: r.values[metric] as number,
      series: [r.algorithm, ...others.map((o) => `${o.name}=${r.values[o.name] ?? '–'}`)].join(' '),
      other: others.length === 1 ? String(r.values[others[0]!.name] ?? '–') : '',
      // A run cut off by --max-time has a total time but never switched over.
      status: r.values.converged === false || ('downtimeMs' in r.values && r.values.downtimeMs === null) ? CUT_OFF : COMPLETED,
    }));
  const cutOff = values.some((v) => v.status === CUT_OFF);
  const dashBy = others.length === 1 && others[0]!.values.length <= 6 ? (others[0] as { name: string; values: (number | string)[] }) : null;
  if (values.length === 0) return null;
  const keyCount = new Map<string, number>();
  for (const v of values) keyCount.set(`${v.series}|${v.x}`, (keyCount.get(`${v.series}|${v.x}`) ?? 0) + 1);
  const repeated = [...keyCount.values()].some((n) => n > 1);
  // Link speeds are compared by factors: log whenever positive; other parameters only when they span a decade.
  const logX = param.name === 'bandwidthBytesPerS' ? useLog(values.map((v) => v.x), 1) : param.values.length >= 3 && useLog(values.map((v) => v.x), 10);
  const logY = useLog(values.map((v) => v.y), 20);
  const notes = [
    others.length ? `one line per algorithm and value of ${others.map((o) => o.name).join(', ')}${dashBy ? ' (dashes)' : ''}` : 'one line per algorithm',
    repeated ? 'mean of repeated runs' : '',
    missing ? `${missing} run${missing > 1 ? 's' : ''} with no ${METRICS[metric].missing} not drawn` : '',
  ].filter(Boolean);
  return {
    title: { text: `${METRICS[metric].title} against ${axis.title.replace(/ \(.*\)$/, '')}`, subtitle: [trace, notes.join('; ')] },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: logTitle(axis.title, logX), scale: logX ? logScale(values.map((v) => v.x), 1.12) : { zero: false }, axis: { format: '~g', ...(logX ? { values: logTicks(values.map((v) => v.x)) } : {}) } },
      y: { field: 'y', type: 'quantitative', aggregate: 'mean', title: logTitle(METRICS[metric].axis, logY), scale: logY ? logScale(values.map((v) => v.y), 1.3) : {}, axis: { format: '~g', ...(logY ? { values: logTicks(values.map((v) => v.y)) } : {}) } },
      color: { field: 'algorithm', type: 'nominal', title: 'algorithm', scale: algorithmColors(values.map((v) => v.algorithm)) },
      detail: { field: 'series', type: 'nominal' },
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        // One other varied parameter with few values: its lines told apart by dash.
        ...(dashBy ? { encoding: { strokeDash: { field: 'other', type: 'ordinal', title: dashBy.name, sort: [...dashBy.values.map(String), '–'], legend: { symbolStrokeColor: '#333', symbolSize: 300 } } } } : {}),
      },
      {
        mark: { type: 'point', filled: true, size: 50 },
        ...(cutOff ? { encoding: { shape: { field: 'status', type: 'nominal', title: null, scale: { domain: [COMPLETED, CUT_OFF], range: ['circle', 'cross'] }, legend: { labelLimit: 400 } } } } : {}),
      },
    ],
  } as ChartSpec;
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

/** Every metric-against-parameter chart of a sweep: per trace, per swept parameter, total time then downtime. */
export function sweepChartSpecs(rows: readonly NormalRow[]): { name: string; trace: string; parameter: string; spec: ChartSpec }[] {
  const { numeric: params, choices } = varying(rows);
  const out: { name: string; trace: string; parameter: string; spec: ChartSpec }[] = [];
  const traces = [...new Set(rows.map((r) => r.trace))];
  const metrics: SweepMetric[] = ['totalTimeS', 'downtimeMs'];
  if (rows.some((r) => typeof r.values.oracleTimeRatio === 'number')) metrics.push('oracleTimeRatio');
  traces.forEach((trace, ti) => {
    for (const p of params) {
      const others = [...params.filter((o) => o !== p), ...choices];
      for (const metric of metrics) {
        const spec = sweepCurveSpec(rows, trace, p, others, metric);
        if (spec) out.push({ name: `sweep-${ti}-${p.name}-${metric}`, trace, parameter: p.name, spec });
      }
    }
  });
  return out;
}

/** A parameter value as people read it (bandwidth as a rate). */
export function parameterText(name: string, v: number): string {
  if (name === 'bandwidthBytesPerS') {
    const bits = v * 8;
    return bits >= 1e9 ? `${sigText(bits / 1e9)} Gbit/s` : `${sigText(bits / 1e6)} Mbit/s`;
  }
  return Number.isInteger(v) && Math.abs(v) >= 10000 ? groupDigits(v) : sigText(v);
}
