// The comparison table's cells, computed as `migreplay replay` prints its table
// (src/cli/replay.ts humanTable): same columns, same rounding (4 significant digits).
import type { ReplayResult } from 'migreplay';

/** A number rounded to `digits` significant digits (src/cli/common.ts sig). */
export function sig(x: number, digits = 4): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

export interface Cell {
  /** Column key (data-col). */
  col: string;
  /** What the cell shows: exactly the CLI table's text. */
  text: string;
  /** The full-precision value behind it (data-value), when it is a number. */
  value?: number | null;
  numeric: boolean;
}

export const COLUMNS = [
  ['algorithm', 'algorithm'], ['pagesSent', 'pages sent'], ['mibSent', 'MiB sent'], ['totalTimeS', 'total s'],
  ['downtimeMs', 'downtime ms'], ['iterations', 'iters'], ['overheadRatio', 'R_d'], ['timeRatio', 'time/oracle'], ['stopReason', 'stop reason'],
] as const;

/** One row of the comparison table. */
export function rowCells(r: ReplayResult): Cell[] {
  const num = (col: string, value: number, text = String(sig(value))): Cell => ({ col, text, value, numeric: true });
  return [
    { col: 'algorithm', text: r.algorithm, numeric: false },
    num('pagesSent', r.pagesSent, String(r.pagesSent)),
    num('mibSent', r.bytesSent / 2 ** 20),
    num('totalTimeS', r.totalTimeS),
    r.downtimeMs === null ? { col: 'downtimeMs', text: 'never', value: null, numeric: true } : num('downtimeMs', r.downtimeMs),
    num('iterations', r.iterations, String(r.iterations)),
    num('overheadRatio', r.overheadRatio),
    r.oracle
      ? { col: 'timeRatio', text: `${sig(r.oracle.timeRatio, 3)}${r.oracle.comparable ? '' : '*'}`, value: r.oracle.timeRatio, numeric: true }
      : { col: 'timeRatio', text: '-', value: null, numeric: true },
    { col: 'stopReason', text: r.stopReason + (r.wrapped ? ' (wrapped)' : ''), numeric: false },
  ];
}

export function fmtBytes(b: number): string {
  for (const [u, f] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 1024]] as const) if (b >= f) return `${sig(b / f, 3)} ${u}`;
  return `${b} B`;
}

export function fmtSeconds(s: number): string {
  return s >= 1 ? `${sig(s, 3)} s` : `${sig(s * 1000, 3)} ms`;
}
