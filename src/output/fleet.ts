// The fleet document (`fleet --json`, docs/fleet.md#output) and its table form: one row
// per guest, for --out .csv, .arrow, .parquet and .jsonl.
import type { FleetResult } from '../run/fleet.js';
import type { Column, Row } from '../sweep/columns.js';
import { VERSION } from '../version.js';

/** What `fleet --json` prints. */
export interface FleetDocument {
  migreplay: { version: string; kind: 'fleet' };
  fleet: FleetResult;
}

/** Assemble the fleet document. */
export function fleetDocument(fleet: FleetResult): FleetDocument {
  return { migreplay: { version: VERSION, kind: 'fleet' }, fleet };
}

/** Whether a parsed JSON value is a fleet document. */
export function isFleetDocument(v: unknown): v is FleetDocument {
  const m = (v as { migreplay?: { kind?: unknown } } | null)?.migreplay;
  return typeof m === 'object' && m !== null && m.kind === 'fleet' && typeof (v as { fleet?: unknown }).fleet === 'object';
}

/** The columns of the per-guest table. */
export const FLEET_COLUMNS: Column[] = [
  { name: 'guest', type: 'utf8' }, { name: 'trace', type: 'utf8' }, { name: 'algorithm', type: 'utf8' },
  { name: 'beginS', type: 'float64' }, { name: 'endS', type: 'float64' },
  { name: 'pagesSent', type: 'float64' }, { name: 'bytesSent', type: 'float64' }, { name: 'totalTimeS', type: 'float64' },
  { name: 'downtimeMs', type: 'float64' }, { name: 'iterations', type: 'int32' }, { name: 'rounds', type: 'int32' },
  { name: 'stopReason', type: 'utf8' }, { name: 'wrapped', type: 'bool' }, { name: 'params', type: 'utf8' },
];

/** One row per guest. */
export function fleetRows(fleet: FleetResult): Row[] {
  return fleet.guests.map((g) => ({
    guest: g.name, trace: g.trace, algorithm: g.algorithm, beginS: g.beginS, endS: g.endS,
    pagesSent: g.result.pagesSent, bytesSent: g.result.bytesSent, totalTimeS: g.result.totalTimeS,
    downtimeMs: g.result.downtimeMs, iterations: g.result.iterations, rounds: g.result.rounds.length,
    stopReason: g.result.stopReason, wrapped: g.result.wrapped, params: JSON.stringify(g.result.params),
  }));
}

/** The fleet's totals, as table metadata. */
export function fleetMetadata(fleet: FleetResult): Map<string, string> {
  const { guests: _g, ...summary } = fleet;
  return new Map([['migreplay.version', VERSION], ['migreplay.table', 'fleet'], ['migreplay.fleet', JSON.stringify(summary)]]);
}
