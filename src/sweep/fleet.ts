// `sweep --plan`: a fleet plan (docs/fleet.md) replayed over a grid of its own knobs —
// the policy, --max-concurrent, --by and the shared link's bandwidth — one row per fleet.
// Each fleet already runs its guests on every core (src/run/fleet.ts), so the cells run
// one after another.
import { fail } from '../errors.js';
import { writeTable, formatOf } from '../io/tables/index.js';
import type { Column, Row } from '../io/tables/index.js';
import { specKey } from '../params/index.js';
import { FLEET_PARAMS } from '../params/fleet.js';
import { expandItem, type SetTarget } from './params.js';
import { runFleet, type FleetPlan, type FleetPolicy, type FleetOrderBy } from '../run/fleet.js';
import { VERSION } from '../version.js';

/** What a fleet sweep may vary, by --set name. */
const FLEET_AXES: Record<string, SetTarget> = {
  policy: { type: 'link', spec: FLEET_PARAMS.policy },
  'max-concurrent': { type: 'link', spec: { ...FLEET_PARAMS['max-concurrent'], default: 1 } }, // a target needs a default; each cell gives its value
  by: { type: 'link', spec: FLEET_PARAMS.by },
  bandwidth: { type: 'link', spec: FLEET_PARAMS.bandwidth },
};

/** One fleet of the grid: the plan's knobs as varied. */
export interface FleetCell {
  policy: FleetPolicy;
  maxConcurrent: number | null;
  by: FleetOrderBy | null;
  bandwidthBytesPerS: number;
}

/** The cells of `--set` axes over a plan (the plan's own value where an axis is not set), in grid order. */
export function fleetCells(plan: FleetPlan, sets: readonly string[]): FleetCell[] {
  const axes: { name: string; values: (number | string)[] }[] = [];
  for (const raw of sets) {
    const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=(.*)$/.exec(raw);
    if (!m) fail('usage', `--set '${raw}': expected name=v1,v2,… (e.g. --set policy=sequential,parallel --set max-concurrent=1..4+1)`);
    const name = m[1]!;
    const target = FLEET_AXES[name];
    if (!target) fail('usage', `--set ${name}: a fleet sweep (--plan) varies ${Object.keys(FLEET_AXES).join(', ')}; each guest's parameters are the plan's`);
    if (axes.some((a) => a.name === name)) fail('usage', `--set ${name}: given twice (list every value in one --set)`);
    const items = m[2]!.split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) fail('usage', `--set ${name}: empty value in '${raw}'`);
    axes.push({ name, values: [...new Set(items.flatMap((item) => expandItem(target, name, item)))] });
  }
  const base: FleetCell = { policy: plan.policy, maxConcurrent: plan.maxConcurrent ?? null, by: plan.by ?? null, bandwidthBytesPerS: plan.bandwidthBytesPerS };
  let cells: FleetCell[] = [base];
  for (const a of axes) {
    const key = specKey(FLEET_AXES[a.name]!.spec) as keyof FleetCell;
    cells = cells.flatMap((c) => a.values.map((v) => ({ ...c, [key]: v })));
  }
  for (const c of cells) {
    // Checked before any fleet runs (and in a dry run): a bad combination would otherwise fail half-way.
    if (c.by !== null && !c.policy.endsWith('-first')) fail('usage', `--set by: orders shortest-first and largest-first; policy ${c.policy} keeps the given order (vary by only with those policies)`);
  }
  return cells;
}

/** The columns of a fleet sweep's table: the cell, then the fleet's outcome. */
export const FLEET_SWEEP_COLUMNS: Column[] = [
  { name: 'policy', type: 'utf8' }, { name: 'maxConcurrent', type: 'int32' }, { name: 'by', type: 'utf8' },
  { name: 'bandwidthBytesPerS', type: 'float64' }, { name: 'guests', type: 'int32' },
  { name: 'makespanS', type: 'float64' }, { name: 'meanSwitchOverS', type: 'float64' }, { name: 'bytesSent', type: 'float64' },
  { name: 'worstDowntimeMs', type: 'float64' }, { name: 'meanDowntimeMs', type: 'float64' }, { name: 'unfinished', type: 'int32' },
  { name: 'order', type: 'utf8' },
];

/** Options of runFleetSweep. */
export interface FleetSweepOptions {
  plan: FleetPlan;
  sets: readonly string[];
  out: string;
  /** Called before each fleet with its number (from 1), the count and the cell. */
  onCell?: (i: number, n: number, cell: FleetCell) => void;
}

/** Replay the plan once per cell and write one row per fleet to `out` (.arrow, .parquet, .csv, .jsonl). */
export async function runFleetSweep(o: FleetSweepOptions): Promise<{ fleets: number; out: string; rows: Row[] }> {
  const format = formatOf(o.out);
  const cells = fleetCells(o.plan, o.sets);
  const rows: Row[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    o.onCell?.(i + 1, cells.length, c);
    const plan: FleetPlan = { ...o.plan, policy: c.policy, bandwidthBytesPerS: c.bandwidthBytesPerS };
    if (c.maxConcurrent !== null) plan.maxConcurrent = c.maxConcurrent;
    else delete plan.maxConcurrent;
    if (c.by !== null) plan.by = c.by;
    else delete plan.by;
    const f = await runFleet(plan);
    rows.push({
      policy: f.policy, maxConcurrent: f.maxConcurrent, by: f.policy.endsWith('-first') ? f.by : null, bandwidthBytesPerS: f.link.bandwidthBytesPerS,
      guests: f.guests.length, makespanS: f.makespanS, meanSwitchOverS: f.meanSwitchOverS, bytesSent: f.bytesSent,
      worstDowntimeMs: f.worstDowntimeMs, meanDowntimeMs: f.meanDowntimeMs, unfinished: f.unfinished, order: f.order.join(','),
    });
  }
  const metadata = new Map([['migreplay.version', VERSION], ['migreplay.table', 'fleet-sweep'], ['migreplay.plan', JSON.stringify(o.plan)]]);
  await writeTable(o.out, format, FLEET_SWEEP_COLUMNS, rows, metadata);
  return { fleets: rows.length, out: o.out, rows };
}
