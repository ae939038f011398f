// Sweep step 1, the plan: check the options, load the traces, expand the grid, keep this
// shard's runs and drop those already in the output (--resume). Nothing is written.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Algorithm } from '../algorithms/types.js';
import { EXIT_RUN_FAILED, fail, inert, quoteName } from '../errors.js';
import { fileIdentity, fileSource } from '../io/files.js';
import { canStartTrace } from '../io/pipe-source.js';
import { FORMAT_IDS, formatOf, readTable, tableFormat, type AppendFormat, type Format, type TableData } from '../io/tables/index.js';
import { bytesSource, openTrace, type Trace } from '../trace/read.js';
import { VERSION } from '../version.js';
import { knownColumns, ROUND_COLUMNS, runColumns, type Column, type Row, type TableKind } from './columns.js';
import { expandGrid, expandTraces, parseShard, shardOf, type RunSpec } from './grid.js';
import { parseSets, type Axis } from './params.js';
import { decodedBytes, type ShareMode } from './shared.js';
import { memoryBudget } from '../io/memory.js';

/** What a sweep is asked to do (the CLI's options; docs/scale-out.md). */
export interface SweepOptions {
  /** Trace files or globs. */
  traces: readonly string[];
  algorithms: readonly Algorithm[];
  /** `name=v1,v2,…` (units and ranges allowed), one per varied parameter. */
  sets?: readonly string[];
  /** Results file: .arrow (Arrow IPC stream), .parquet, .csv, .jsonl, .json or .feather. */
  out: string;
  /** Per-round table, keyed by runId, same formats. */
  roundsOut?: string;
  /** Worker threads (default: available cores). */
  jobs?: number;
  /** `i/n`: run only the runs whose id falls in shard i of n. */
  shard?: string;
  /** Skip runs already in the output and append the rest. */
  resume?: boolean;
  /** Replace an existing output instead of refusing to. */
  overwrite?: boolean;
  kernel?: 'wasm' | 'js';
  /** How traces reach the workers: file bytes, decoded batches, or auto (decoded when they fit; src/sweep/shared.ts). */
  share?: ShareMode;
  /** Also compute each pre-copy run's distance from the clairvoyant oracle (oracle* columns). */
  oracle?: boolean;
  /** Rows per written batch at most (a batch is also written every flushMs). */
  batchRows?: number;
  flushMs?: number;
  /** Expand and count the grid, write nothing. */
  dryRun?: boolean;
  /** Notes (warnings) go here; stderr by default. */
  note?: (line: string) => void;
}

/** A trace read once into shared memory, validated. */
export interface LoadedTrace { name: string; bytes: SharedArrayBuffer; trace: Trace }

/** Where one table goes: the file, its format, and for a format written whole the stream sidecar written meanwhile. */
export interface Target {
  file: string;
  format: Format;
  /** The file appended to while running: the output itself, or FILE.partial.arrow for a format written whole. */
  appendFile: string;
  appendFormat: AppendFormat;
  columns: Column[];
  kind: TableKind;
}

/** What is already in a target: its rows, how many bytes of the appended file to keep, and the rows of a finished whole file. */
export interface Prior { rows: Row[]; keepBytes: number; baseRows: Row[]; torn: number }

/** A sweep, planned: every option checked, the runs left to do. */
export interface SweepPlan {
  options: SweepOptions;
  jobs: number;
  batchRows: number;
  flushMs: number;
  share: 'bytes' | 'decoded';
  traceFiles: string[];
  traces: LoadedTrace[];
  gridRuns: number;
  /** This shard's runs. */
  mine: RunSpec[];
  /** Of those, the ones not yet in the output. */
  todo: RunSpec[];
  runs: Target;
  rounds?: Target;
  priorRuns: Prior;
  priorRounds?: Prior;
  /** runIds already in the output. */
  done: Set<string>;
}

const NOTHING: Prior = { rows: [], keepBytes: 0, baseRows: [], torn: 0 };

/** The most bytes of one trace a sweep holds in shared memory: a Uint8Array's limit. */
const MAX_SHARED_TRACE_BYTES = 2 ** 32;

/** Read a trace once into shared memory and validate it. */
function loadShared(file: string): LoadedTrace {
  // As every command opens a file: missing, a folder, a FIFO (read once, bounded) are said so.
  const src = fileSource(file);
  if (src.size > MAX_SHARED_TRACE_BYTES) {
    // What cannot even start a trace is said so by the reader (at once); a trace too big to share, as such.
    if (!canStartTrace(src.read(0, 8))) openTrace(src);
    fail('too-large', `${quoteName(file)}: ${src.size} bytes; a sweep holds each trace in memory, at most 4 GiB: downsample it (migreplay convert --downsample) or replay it alone`);
  }
  let bytes: SharedArrayBuffer;
  try {
    bytes = new SharedArrayBuffer(src.size);
  } catch {
    return fail('too-large', `${quoteName(file)}: could not get ${src.size} bytes of memory to share it with the sweep's workers`, EXIT_RUN_FAILED);
  }
  const view = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of src.chunks(0)) {
    view.set(chunk, at);
    at += chunk.byteLength;
  }
  return { name: file, bytes, trace: openTrace(bytesSource(file, at === src.size ? view : view.subarray(0, at))) };
}

/** `files` with each one that a prior row names by another path (the same file) under that row's name. */
function priorSpellings(files: string[], rows: readonly Row[]): string[] {
  const named = [...new Set(rows.map((r) => String(r.trace)))].filter((n) => !files.includes(n));
  if (named.length === 0) return files;
  const byIdentity = new Map<string, string>();
  for (const n of named) {
    const id = fileIdentity(n);
    if (id !== undefined && !byIdentity.has(id)) byIdentity.set(id, n);
  }
  return files.map((f) => byIdentity.get(fileIdentity(f) ?? '') ?? f);
}

function checkStarts(traces: readonly LoadedTrace[], axes: readonly Axis[]): void {
  const start = axes.find((a) => a.key === 'startS');
  if (!start) return;
  for (const t of traces) {
    const end = t.trace.summary.durationUs / 1e6;
    for (const v of start.values) {
      if ((v as number) >= end) fail('usage', `--set start: ${v}s lies outside ${t.name} (0 … ${end}s)`);
    }
  }
}

/** The schema metadata of a sweep table. */
export function tableMetadata(kind: TableKind): Map<string, string> {
  return new Map([['migreplay.version', VERSION], ['migreplay.table', kind]]);
}

function sameColumns(a: readonly Column[], b: readonly Column[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
}

/** Whether a file exists. */
export function exists(file: string): boolean {
  try {
    return fs.statSync(file).size >= 0;
  } catch {
    return false;
  }
}

function target(file: string, columns: Column[], kind: TableKind, what: string): Target {
  const format = formatOf(file, what, FORMAT_IDS);
  const whole = !tableFormat(format).appendable;
  return { file, format, appendFile: whole ? `${file}.partial.arrow` : file, appendFormat: whole ? 'arrow' : (format as AppendFormat), columns, kind };
}

/** Read a table of this sweep (typed by the sweep's own columns). */
export function readSweepTable(file: string, format: Format): Promise<TableData> {
  return readTable(file, format, { known: knownColumns() });
}

function checkColumns(t: Target, file: string, data: TableData): void {
  if (data.columns.length === 0 || sameColumns(data.columns, t.columns)) return;
  fail('usage', `${file}: its columns differ from this sweep's (another --algo, --oracle or version wrote it): write to another file, or drop --resume and add --overwrite`);
}

/** Rows already in a target (the output and, for a format written whole, its sidecar), and how to continue appending. */
async function existing(t: Target, resume: boolean, overwrite: boolean, what: string): Promise<Prior> {
  const present = [t.file, t.appendFile].filter((f, i, all) => all.indexOf(f) === i && exists(f));
  if (present.length === 0) return NOTHING;
  if (!resume) {
    if (overwrite) {
      // The sidecar is truncated when the writer opens it; a finished whole file goes now.
      if (t.appendFile !== t.file) fs.rmSync(t.file, { force: true });
      return NOTHING;
    }
    fail('usage', `${what} ${present[0]}: already exists; add --resume to continue that sweep, or --overwrite to replace it`);
  }
  let baseRows: Row[] = [];
  if (t.appendFile !== t.file && exists(t.file)) {
    const data = await readSweepTable(t.file, t.format);
    checkColumns(t, t.file, data);
    baseRows = data.rows;
  }
  if (!exists(t.appendFile)) return { rows: baseRows, keepBytes: 0, baseRows, torn: 0 };
  const data = await readSweepTable(t.appendFile, t.appendFormat);
  checkColumns(t, t.appendFile, data);
  return { rows: [...baseRows, ...data.rows], keepBytes: data.columns.length === 0 ? 0 : data.validBytes, baseRows, torn: data.tornBytes };
}

/** Plan a sweep: bad options and inputs fail here, before anything is written. */
export async function planSweep(o: SweepOptions): Promise<SweepPlan> {
  const note = o.note ?? ((line: string) => process.stderr.write(`migreplay: ${inert(line)}\n`));
  if (o.resume && o.overwrite) fail('usage', '--resume and --overwrite contradict each other: continue the sweep in --out, or replace it');
  const axes = parseSets(o.sets ?? [], o.algorithms);
  const jobs = o.jobs ?? os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) fail('usage', `--jobs: '${o.jobs}' is not a whole number ≥ 1`);
  const batchRows = o.batchRows ?? 1000;
  if (!Number.isInteger(batchRows) || batchRows < 1) fail('usage', `--batch: '${o.batchRows}' is not a whole number ≥ 1`);
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  const runs = target(o.out, runColumns(o.algorithms), 'runs', '--out');
  const rounds = o.roundsOut !== undefined ? target(o.roundsOut, ROUND_COLUMNS, 'rounds', '--rounds-out') : undefined;
  if (rounds && [rounds.file, rounds.appendFile].some((f) => f === runs.file || f === runs.appendFile)) {
    fail('usage', '--rounds-out must name another file than --out');
  }

  // What is already there (a dry run without --resume does not look).
  const look = o.resume || !o.dryRun;
  const priorRuns = look ? await existing(runs, Boolean(o.resume), Boolean(o.overwrite), '--out') : NOTHING;
  // A resumed sweep names each trace as its rows do, however it is named now (/abs vs rel).
  const traceFiles = priorSpellings(expandTraces(o.traces), priorRuns.rows);
  const traces = traceFiles.map(loadShared);
  checkStarts(traces, axes);
  const shareMode = o.share ?? 'auto';
  if (!['auto', 'bytes', 'decoded'].includes(shareMode)) fail('usage', `--share: '${shareMode}' is not one of auto, bytes, decoded`);
  const share: 'bytes' | 'decoded' = shareMode !== 'auto' ? shareMode
    : traces.reduce((n, t) => n + decodedBytes(t.trace), 0) <= memoryBudget() ? 'decoded' : 'bytes';
  const grid = expandGrid(traceFiles, o.algorithms, axes);
  const mine = shard ? grid.filter((r) => shardOf(r.runId, shard.count) === shard.index) : grid;

  const done = new Set(priorRuns.rows.map((r) => String(r.runId)));
  if (priorRuns.torn > 0) note(`${runs.appendFile}: dropped a torn last batch (${priorRuns.torn} bytes) left by an interrupted sweep`);
  const todo = mine.filter((r) => !done.has(r.runId));
  let priorRounds: Prior | undefined;
  if (rounds) {
    priorRounds = look ? await existing(rounds, Boolean(o.resume), Boolean(o.overwrite), '--rounds-out') : NOTHING;
    const missing = done.size > 0 && !exists(rounds.file) && !exists(rounds.appendFile);
    if (missing) note(`--rounds-out ${rounds.file}: new, so it lacks the rounds of the ${done.size} runs already in ${runs.file}`);
  }
  return {
    options: o, jobs, batchRows, flushMs: o.flushMs ?? 1000, share, traceFiles, traces, gridRuns: grid.length, mine, todo,
    runs, rounds, priorRuns, priorRounds, done,
  };
}
