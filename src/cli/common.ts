// What the commands share: opening traces, picking a kernel, formatting tables.
import { fail } from '../errors.js';
import { fileSource } from '../io/files.js';
import { memoryBudget } from '../io/memory.js';
import { createKernel } from '../kernel/node.js';
import type { Kernel } from '../kernel/types.js';
import { openTrace, type Trace } from '../trace/read.js';

/** Open and validate a trace file. */
export function loadTrace(path: string): Trace {
  return openTrace(fileSource(path));
}

/**
 * Open a trace for several passes (one per algorithm, every wrap, the oracle, within-epoch
 * ranges): a trace that decodes to at most `budget` bytes (the memory budget,
 * src/io/memory.ts) keeps the epochs its validating pass decoded, so later passes neither
 * read nor decode again; a larger one is read from the file on every pass, in bounded memory.
 */
export function loadTraceForReplays(path: string, budget: number = memoryBudget()): Trace {
  return openTrace(fileSource(path), { keepDecodedBytes: budget });
}

/**
 * Fail (exit 2) when --algo lists `all` with other ids (`all,precopy`): `all` means every
 * algorithm and stands alone. Called before the ids are looked up.
 */
export function checkAlgoSpec(spec: string): void {
  const ids = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length > 1 && ids.includes('all')) fail('usage', "--algo: 'all' stands alone (it means every algorithm)");
}

/** The kernel --kernel names. */
export function pickKernel(name: string): Kernel {
  if (name !== 'wasm' && name !== 'js') fail('usage', `--kernel: '${name}' is not one of wasm, js`);
  return createKernel(name);
}

/** A plain text table: a header row, a rule, then rows; numbers right-aligned. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const line = (r: string[]) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A number rounded to `digits` significant digits, for tables. */
export function sig(x: number, digits = 4): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

/** Whether progress may be shown: stderr is a terminal. */
export const showProgress = (): boolean => Boolean(process.stderr.isTTY);
