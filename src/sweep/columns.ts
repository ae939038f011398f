// The two tables a sweep writes — runs (one row per replay) and rounds (one row per
// round of each replay, keyed by runId) — their columns, and rows built from results.
import { algorithms } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/types.js';
import { paramKey, specKey } from '../params/index.js';
import type { ReplayResult } from '../engine/types.js';
import { LINK_PARAMS } from '../params/link.js';
import type { RunSpec } from './grid.js';

import type { Column, ColumnType, Row } from '../io/tables/types.js';

export type { Column, ColumnType, Row };

/** Which table a file holds (Arrow schema metadata `migreplay.table`). */
export type TableKind = 'runs' | 'rounds';

const LEAD: Column[] = [
  { name: 'runId', type: 'utf8' },
  { name: 'trace', type: 'utf8' },
  { name: 'algorithm', type: 'utf8' },
  { name: 'memPages', type: 'float64' },
  { name: 'pageSize', type: 'float64' },
];

/** Every scalar metric of `replay --json`, in order; the algorithm-specific ones are null where they do not apply. */
const METRICS: Column[] = [
  { name: 'pagesSent', type: 'float64' },
  { name: 'bytesSent', type: 'float64' },
  { name: 'totalTimeS', type: 'float64' },
  { name: 'downtimeMs', type: 'float64' },
  { name: 'converged', type: 'bool' },
  { name: 'iterations', type: 'int32' },
  { name: 'overheadRatio', type: 'float64' },
  { name: 'stopReason', type: 'utf8' },
  { name: 'wrapped', type: 'bool' },
  { name: 'rounds', type: 'int32' },
  { name: 'dirtySyncCount', type: 'int32' },
  { name: 'throttleSteps', type: 'int32' },
  { name: 'throttlePercent', type: 'float64' },
  { name: 'workloadSlowdown', type: 'float64' },
  { name: 'workloadDelayS', type: 'float64' },
  { name: 'immpColumn', type: 'bool' },
  { name: 'remoteFaults', type: 'float64' },
  { name: 'faultWaitS', type: 'float64' },
  { name: 'stateBytes', type: 'float64' },
];

/** The oracle distance (`--oracle`), flattened; null without --oracle and where it does not apply. */
const ORACLE: Column[] = [
  { name: 'oracleBudgetPages', type: 'float64' },
  { name: 'oracleTotalTimeS', type: 'float64' },
  { name: 'oraclePagesRatio', type: 'float64' },
  { name: 'oracleTimeRatio', type: 'float64' },
  { name: 'oracleComparable', type: 'bool' },
];

/** Result fields not in a column of their own (throttleHistory, fields added after this table) go into `extra` as JSON. */
const EXTRA: Column = { name: 'extra', type: 'utf8' };

/** Fields of a ReplayResult that the columns above already hold. */
const HANDLED = new Set(['algorithm', 'params', 'rounds', 'oracle', ...METRICS.map((c) => c.name)]);

export const ROUND_COLUMNS: Column[] = [
  { name: 'runId', type: 'utf8' },
  { name: 'index', type: 'int32' },
  { name: 'phase', type: 'utf8' },
  { name: 'final', type: 'bool' },
  { name: 'startS', type: 'float64' },
  { name: 'durationS', type: 'float64' },
  { name: 'pagesDirtied', type: 'float64' },
  { name: 'pagesSent', type: 'float64' },
  { name: 'pagesSkipped', type: 'float64' },
  { name: 'pagesDeferred', type: 'float64' },
];

function paramColumnType(kind: string): ColumnType {
  return kind === 'choice' ? 'utf8' : 'float64';
}

/** Parameter columns: the link's, then those of the picked algorithms in registry order (camelCase keys, as in replay --json). */
export function paramColumns(picked: readonly Algorithm[]): Column[] {
  const cols: Column[] = LINK_PARAMS.map((p) => ({ name: specKey(p), type: p.kind === 'choice' ? 'utf8' : 'float64' }));
  for (const a of algorithms) {
    if (!picked.includes(a)) continue;
    for (const p of a.params) {
      const name = paramKey(p.name);
      if (!cols.some((c) => c.name === name)) cols.push({ name, type: paramColumnType(p.kind) });
    }
  }
  return cols;
}

/** The columns of the runs table for these algorithms. */
export function runColumns(picked: readonly Algorithm[]): Column[] {
  const cols = [...LEAD, ...paramColumns(picked), ...METRICS, ...ORACLE, EXTRA];
  const names = new Set<string>();
  for (const c of cols) {
    if (names.has(c.name)) throw new Error(`sweep column '${c.name}' is defined twice (a parameter shares a metric's name)`);
    names.add(c.name);
  }
  return cols;
}

/** Every column name this build knows, in canonical order (merge sorts unions by it), with its type. */
export function knownColumns(): Column[] {
  const seen = new Set<string>();
  const out: Column[] = [];
  for (const c of [...runColumns(algorithms), ...ROUND_COLUMNS]) {
    if (seen.has(c.name)) continue;
    seen.add(c.name);
    out.push(c);
  }
  return out;
}

/** A number, or null for anything else (NaN and infinities included: no format carries them all). */
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The runs-table row of one result. */
export function runRow(columns: readonly Column[], run: RunSpec, trace: { memPages: number; pageSize: number }, r: ReplayResult): Row {
  const row: Row = {};
  for (const c of columns) row[c.name] = null;
  row.runId = run.runId;
  row.trace = run.trace;
  row.algorithm = run.algorithm;
  row.memPages = trace.memPages;
  row.pageSize = trace.pageSize;
  for (const [k, v] of Object.entries({ ...run.link, ...run.params })) if (k in row) row[k] = v;
  const result = r as unknown as Record<string, unknown>;
  for (const c of METRICS) {
    const v = c.name === 'rounds' ? r.rounds.length : result[c.name];
    row[c.name] = c.type === 'bool' ? (typeof v === 'boolean' ? v : null) : c.type === 'utf8' ? (v == null ? null : String(v)) : num(v);
  }
  if (r.oracle) {
    row.oracleBudgetPages = num(r.oracle.budgetPages);
    row.oracleTotalTimeS = num(r.oracle.oracleTotalTimeS);
    row.oraclePagesRatio = num(r.oracle.pagesRatio);
    row.oracleTimeRatio = num(r.oracle.timeRatio);
    row.oracleComparable = r.oracle.comparable;
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) if (!HANDLED.has(k) && v !== undefined) extra[k] = v;
  row.extra = Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
  return row;
}

/** The rounds-table rows of one result. */
export function roundRows(runId: string, r: ReplayResult): Row[] {
  return r.rounds.map((x) => ({
    runId,
    index: x.index,
    phase: x.phase ?? null,
    final: x.final,
    startS: num(x.startS),
    durationS: num(x.durationS),
    pagesDirtied: num(x.pagesDirtied),
    pagesSent: num(x.pagesSent),
    pagesSkipped: num(x.pagesSkipped),
    pagesDeferred: num(x.pagesDeferred),
  }));
}

/** The key of a row: its runId, and its round index in a rounds table. */
export function rowKey(row: Row): string {
  return row.index === undefined ? String(row.runId) : `${row.runId}#${String(row.index).padStart(6, '0')}`;
}

/** Sort rows by runId (then round index). */
export function sortRows(rows: Row[]): Row[] {
  return rows.sort((a, b) => {
    const ka = String(a.runId);
    const kb = String(b.runId);
    if (ka !== kb) return ka < kb ? -1 : 1;
    return Number(a.index ?? 0) - Number(b.index ?? 0);
  });
}
