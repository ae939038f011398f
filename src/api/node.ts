// The public functions of 'migreplay/node' (files, the kernel on disk, sweeps, capture,
// plots and reports), each checking its arguments (src/api/check.ts), and replayFile:
// `migreplay replay <path> --json` as one call.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { algorithms } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/types.js';
import { startCapture as startCaptureImpl, type CaptureHandle, type CaptureOptions, type CaptureResult } from '../capture/capture.js';
import { loadTraceForReplays } from '../cli/common.js';
import { WITHIN_EPOCH_RULES, type WithinEpoch } from '../engine/clock.js';
import type { LinkParams } from '../engine/types.js';
import { fail } from '../errors.js';
import { AtomicFile as AtomicFileImpl, fileSource as fileSourceImpl, writeFileAtomic as writeFileAtomicImpl } from '../io/files.js';
import { createKernel as createKernelImpl, loadWasmModule as loadWasmModuleImpl } from '../kernel/node.js';
import type { Kernel } from '../kernel/types.js';
import { resultsDocument as resultsDocumentImpl, type ResultsDocument } from '../output/results.js';
import { renderPlotFile as renderPlotFileImpl } from '../plot/file.js';
import { svgToPng as svgToPngImpl } from '../plot/png.js';
import { fleetPlotSvg as fleetPlotSvgImpl } from '../plot/fleet.js';
import { replayPlotSvg as replayPlotSvgImpl } from '../plot/replay.js';
import { heatmapSvg as heatmapSvgImpl, tracePlotSvgs as tracePlotSvgsImpl } from '../plot/trace.js';
import { buildReport as buildReportImpl, type ReportOptions } from '../report/html.js';
import { isResultsDocument, readReportInput as readReportInputImpl, type ReportInput } from '../report/inputs.js';
import { FORMAT_IDS, formatOf, readTable as readTableImpl, writeTable as writeTableImpl, type Format, type TableData } from '../io/tables/index.js';
import { knownColumns, type Column, type Row } from '../sweep/columns.js';
import { mergeFiles as mergeFilesImpl, type MergeStats } from '../sweep/merge.js';
import { progressRenderer } from '../sweep/progress.js';
import { runSweep as runSweepImpl, type SweepControl, type SweepOptions, type SweepStats } from '../sweep/run.js';
import { FLEET_ORDER_BY, FLEET_POLICIES, runFleet as runFleetImpl, type FleetOptions, type FleetPlan, type FleetResult } from '../run/fleet.js';
import { readFleetPlan as readFleetPlanImpl } from '../run/fleet-plan.js';
import type { ByteSource, OpenOptions, Trace } from '../trace/read.js';
import { parseDecimal, parseDuration, parseRate } from '../units.js';
import { array, bad, bool, func, int, isObject, isPlainObject, num, oneOf, options, shown, str } from './check.js';
import { madeKernel, usableKernel } from './kernel.js';
import { compareAlgorithms, usableAlgorithm, usableAlgorithms, usableParams, type ParamInput } from './replay.js';
import { madeSource, openTraceFrom, usableTrace } from './trace.js';

// ---------------------------------------------------------------------------------------
// Files and traces.

/** A file path argument: a non-empty string or a file: URL. */
function pathArg(fn: string, what: string, p: unknown): string {
  if (p instanceof URL) {
    if (p.protocol !== 'file:') bad(fn, what, 'a file path (a string or a file: URL)', p.href);
    return fileURLToPath(p);
  }
  if (typeof p !== 'string' || p === '') bad(fn, what, 'a file path (a string or a file: URL)', p);
  return p;
}

/** A ByteSource reading a file in chunks; memory stays bounded whatever its size. */
export function fileSource(path: string | URL, chunkSize = 1 << 22): ByteSource {
  const file = pathArg('fileSource', 'path', path);
  int('fileSource', 'chunkSize', chunkSize, 1);
  return madeSource(fileSourceImpl(file, chunkSize));
}

/** Open and validate a trace: a path (or file: URL) read in bounded memory, or any ByteSource. */
export function openTrace(source: string | URL | ByteSource, options?: OpenOptions): Trace {
  if (typeof source === 'string' || source instanceof URL) {
    const file = pathArg('openTrace', 'source', source);
    return openTraceFrom('openTrace', madeSource(fileSourceImpl(file)), options);
  }
  return openTraceFrom('openTrace', source, options);
}

/** Open and validate a trace file (Arrow IPC file or stream), reading it in bounded memory. */
export function openTraceFile(path: string | URL, options?: OpenOptions): Trace {
  const file = pathArg('openTraceFile', 'path', path);
  return openTraceFrom('openTraceFile', madeSource(fileSourceImpl(file)), options);
}

const TRACES = new URL('../../traces/', import.meta.url); // src/api/ and dist/api/ are two levels down

/** The names of the traces shipped with the package (traces/*.arrow), without '.arrow'. */
export function shippedTraces(): string[] {
  try {
    return readdirSync(fileURLToPath(TRACES)).filter((f) => f.endsWith('.arrow')).map((f) => f.slice(0, -'.arrow'.length)).sort();
  } catch {
    return [];
  }
}

/** The absolute path of a trace shipped with the package, by name ('xz6' or 'xz6.arrow'): works from any folder. */
export function shippedTrace(name: string): string {
  str('shippedTrace', 'name', name);
  const base = name.endsWith('.arrow') ? name.slice(0, -'.arrow'.length) : name;
  const known = shippedTraces();
  if (!known.includes(base)) fail('file-missing', `shippedTrace: no shipped trace ${shown(name)} (shipped: ${known.join(', ') || 'none'})`);
  return fileURLToPath(new URL(`${base}.arrow`, TRACES));
}

/** An output file written under a temporary name and renamed into place on commit. */
export class AtomicFile extends AtomicFileImpl {
  #finished = false;

  constructor(file: string) {
    super(str('AtomicFile', 'file', file));
  }

  /** Append bytes or text. */
  override write(chunk: Uint8Array | string): void {
    if (this.#finished) fail('usage', `AtomicFile.write: ${this.file} is already committed or aborted`);
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) bad('AtomicFile.write', 'chunk', 'a string or a Uint8Array', chunk);
    super.write(chunk);
  }

  /** Flush to disk and move the file into place. */
  override commit(): void {
    if (this.#finished) fail('usage', `AtomicFile.commit: ${this.file} is already committed or aborted`);
    super.commit();
    this.#finished = true;
  }

  /** Drop the temporary file; the old output, if any, stays. */
  override abort(): void {
    this.#finished = true;
    super.abort();
  }
}

/** Write a whole text or byte output atomically (temporary name, then rename). */
export function writeFileAtomic(file: string, content: Uint8Array | string): void {
  str('writeFileAtomic', 'file', file);
  if (typeof content !== 'string' && !(content instanceof Uint8Array)) bad('writeFileAtomic', 'content', 'a string or a Uint8Array', content);
  writeFileAtomicImpl(file, content);
}

// ---------------------------------------------------------------------------------------
// Kernels.

/** A fresh kernel: 'wasm' (AssemblyScript, build/kernel.wasm) or 'js' (the TypeScript reference). */
export function createKernel(name: 'wasm' | 'js'): Kernel {
  return madeKernel(createKernelImpl(oneOf('createKernel', 'name', name, ['wasm', 'js'])));
}

/** The default kernel for Node: the WebAssembly one. */
export function defaultKernel(): Kernel {
  return madeKernel(createKernelImpl('wasm'));
}

/** The compiled kernel module (build/kernel.wasm), compiled once per process. */
export function loadWasmModule(): WebAssembly.Module {
  return loadWasmModuleImpl();
}

// ---------------------------------------------------------------------------------------
// replayFile: `migreplay replay <path> --json` as one call.

/** Options of replayFile: those of `migreplay replay`, with the same defaults. */
export interface ReplayFileOptions {
  /** Algorithms: 'all' (default), ids comma-separated as --algo takes them, or an array of algorithms or ids. */
  algorithms?: 'all' | string | readonly (Algorithm | string)[];
  /** Link bandwidth: text with a unit as --bandwidth takes it ('1Gbit', '10GB/s'), or bytes/s (default '1Gbit'). */
  bandwidth?: string | number;
  /** Trace time at which the migration starts: text with a unit ('2s'), or seconds (default 0). */
  start?: string | number;
  /** Time to resume the guest at the destination, ms (default 0). */
  resumeMs?: string | number;
  /** Where in its epoch a write lands: 'spread' (default), 'start' or 'whole'. */
  withinEpoch?: WithinEpoch;
  /** Algorithm parameters as the CLI's flags, by flag name or JSON key: each must belong to a selected algorithm. */
  params?: ParamInput;
  /** 'wasm' (default), 'js', or a kernel object. */
  kernel?: 'wasm' | 'js' | Kernel;
}

const REPLAY_FILE_OPTIONS = ['algorithms', 'bandwidth', 'start', 'resumeMs', 'withinEpoch', 'params', 'kernel'];

/** The algorithms option of replayFile: 'all', a comma list as --algo takes it, or an array. */
function pickedAlgorithms(fn: string, which: unknown): Algorithm[] {
  if (which === undefined || which === 'all') return [...algorithms];
  if (typeof which === 'string') {
    const picked: Algorithm[] = [];
    for (const id of which.split(',').map((s) => s.trim()).filter(Boolean)) {
      const a = usableAlgorithm(fn, id, 'options.algorithms');
      if (!picked.includes(a)) picked.push(a);
    }
    if (picked.length === 0) fail('usage', `${fn}: options.algorithms names no algorithm (known: ${algorithms.map((a) => a.id).join(', ')}, all)`);
    return picked;
  }
  return usableAlgorithms(fn, which, 'options.algorithms');
}

/**
 * Replay a trace file as `migreplay replay <path> --json` does and return the very document
 * it prints (results, oracle distances, --within-epoch ranges for coarse runs).
 */
export function replayFile(path: string | URL, options?: ReplayFileOptions): ResultsDocument {
  const fn = 'replayFile';
  const file = pathArg(fn, 'path', path);
  const o = optionsOf(fn, options);
  const picked = pickedAlgorithms(fn, o.algorithms);
  const unit = (what: string, v: unknown, parse: (w: string, t: string | number) => number, example: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') bad(fn, `options.${what}`, `a string with a unit (e.g. ${example}) or a number`, v);
    return parse(`${fn}: options.${what}`, v);
  };
  const bandwidth = unit('bandwidth', o.bandwidth, parseRate, "'1Gbit'") ?? parseRate('--bandwidth', '1Gbit');
  if (!(bandwidth > 0)) fail('usage', `${fn}: options.bandwidth must be above 0 (got ${shown(o.bandwidth)})`);
  const startS = unit('start', o.start, parseDuration, "'2s'") ?? 0;
  let resumeMs = 0;
  if (o.resumeMs !== undefined) {
    if (typeof o.resumeMs !== 'string' && typeof o.resumeMs !== 'number') bad(fn, 'options.resumeMs', 'a number of milliseconds ≥ 0', o.resumeMs);
    resumeMs = parseDecimal(`${fn}: options.resumeMs`, o.resumeMs, 'a number of milliseconds ≥ 0');
  }
  const withinEpoch = o.withinEpoch === undefined ? 'spread' : oneOf(fn, 'options.withinEpoch', o.withinEpoch, WITHIN_EPOCH_RULES);
  const params = usableParams(fn, picked, o.params, 'options.params', false);
  let kernel: Kernel;
  if (o.kernel === undefined) kernel = createKernelImpl('wasm');
  else if (typeof o.kernel === 'string') kernel = createKernelImpl(oneOf(fn, 'options.kernel', o.kernel, ['wasm', 'js']));
  else kernel = usableKernel(fn, o.kernel, 'options.kernel');
  const trace = loadTraceForReplays(file);
  if (startS * 1e6 >= trace.summary.durationUs) {
    fail('usage', `${fn}: options.start = ${startS} s lies outside the trace (0 … ${trace.summary.durationUs / 1e6} s)`);
  }
  const link: LinkParams = { bandwidthBytesPerS: bandwidth, startS, resumeMs, withinEpoch };
  const { results } = compareAlgorithms(trace, picked, kernel, { link, params });
  return resultsDocumentImpl(trace, { bandwidthBytesPerS: link.bandwidthBytesPerS, startS: link.startS, resumeMs: link.resumeMs }, results);
}

const optionsOf = (fn: string, o: unknown) => options(fn, 'options', o, REPLAY_FILE_OPTIONS);

// ---------------------------------------------------------------------------------------
// Fleets.

const PLAN_FIELDS = ['bandwidthBytesPerS', 'policy', 'maxConcurrent', 'by', 'kernel', 'guests'];
const GUEST_FIELDS = ['trace', 'name', 'algorithm', 'params', 'maxBandwidthBytesPerS', 'startS', 'resumeMs', 'withinEpoch', 'notBeforeS'];

/** Read a fleet plan file (.json, .yaml) as `migreplay fleet --plan` does; relative traces are taken from its folder. */
export function readFleetPlan(file: string | URL): FleetPlan {
  return readFleetPlanImpl(pathArg('readFleetPlan', 'file', file));
}

/** Migrate several guests over one shared link (docs/fleet.md): what `migreplay fleet --json` reports, as one call. */
export async function runFleet(plan: FleetPlan, options?: FleetOptions): Promise<FleetResult> {
  const fn = 'runFleet';
  if (plan === undefined) bad(fn, 'plan', `an object (${PLAN_FIELDS.join(', ')})`, plan);
  const p = optionsNamed(fn, 'plan', plan, PLAN_FIELDS);
  num(fn, 'plan.bandwidthBytesPerS', p.bandwidthBytesPerS, 0, true, 'bytes/s');
  oneOf(fn, 'plan.policy', p.policy, FLEET_POLICIES);
  if (p.maxConcurrent !== undefined) int(fn, 'plan.maxConcurrent', p.maxConcurrent, 1);
  if (p.by !== undefined) oneOf(fn, 'plan.by', p.by, FLEET_ORDER_BY);
  if (p.kernel !== undefined) oneOf(fn, 'plan.kernel', p.kernel, ['wasm', 'js']);
  const guests = array(fn, 'plan.guests', p.guests, 'an array of guests ({ trace, algorithm, … })');
  if (guests.length === 0) fail('usage', `${fn}: plan.guests must hold at least one guest`);
  guests.forEach((raw, i) => {
    const w = `plan.guests[${i}]`;
    const g = optionsNamed(fn, w, raw, GUEST_FIELDS, true);
    str(fn, `${w}.trace`, g.trace);
    str(fn, `${w}.algorithm`, g.algorithm);
    if (g.name !== undefined) str(fn, `${w}.name`, g.name);
    if (g.params !== undefined) {
      if (!isPlainObject(g.params)) bad(fn, `${w}.params`, 'an object of parameter values', g.params);
      for (const [k, v] of Object.entries(g.params)) {
        if (typeof v !== 'string' && typeof v !== 'number') bad(fn, `${w}.params.${k}`, 'a number or a string with a unit', v);
      }
    }
    if (g.maxBandwidthBytesPerS !== undefined) num(fn, `${w}.maxBandwidthBytesPerS`, g.maxBandwidthBytesPerS, 0, true, 'bytes/s');
    if (g.startS !== undefined) num(fn, `${w}.startS`, g.startS, 0, false, 's');
    if (g.resumeMs !== undefined) num(fn, `${w}.resumeMs`, g.resumeMs, 0, false, 'ms');
    if (g.withinEpoch !== undefined) oneOf(fn, `${w}.withinEpoch`, g.withinEpoch, WITHIN_EPOCH_RULES);
    if (g.notBeforeS !== undefined) num(fn, `${w}.notBeforeS`, g.notBeforeS, 0, false, 's');
  });
  const o = options === undefined ? {} : optionsNamed(fn, 'options', options, ['onProgress']);
  if (o.onProgress !== undefined) func(fn, 'options.onProgress', o.onProgress);
  return runFleetImpl(plan, options);
}

/** A required object argument with known keys (`options` treats undefined as {}). */
function optionsNamed(fn: string, what: string, value: unknown, known: readonly string[], required = true): Record<string, unknown> {
  if (required && value === undefined) bad(fn, what, `an object (${known.join(', ')})`, value);
  return options(fn, what, value, known);
}

// ---------------------------------------------------------------------------------------
// Sweeps and tables.

const SWEEP_OPTIONS = ['traces', 'algorithms', 'sets', 'out', 'roundsOut', 'jobs', 'shard', 'resume', 'overwrite', 'kernel', 'share', 'oracle', 'batchRows', 'flushMs', 'dryRun', 'progress', 'onProgress', 'signal', 'note'];

/** Run a sweep (every trace × algorithm × parameter grid point) into a table file; resolves when the shard is done. */
export async function runSweep(o: Omit<SweepOptions, 'algorithms'> & SweepControl & { algorithms: readonly (Algorithm | string)[]; progress?: boolean }): Promise<SweepStats> {
  const fn = 'runSweep';
  if (o === undefined) bad(fn, 'options', `an object (${SWEEP_OPTIONS.join(', ')})`, o);
  const g = options(fn, 'options', o, SWEEP_OPTIONS);
  const traces = array(fn, 'options.traces', g.traces, 'an array of trace files or globs');
  if (traces.length === 0) fail('usage', `${fn}: options.traces must name at least one trace file`);
  traces.forEach((t, i) => str(fn, `options.traces[${i}]`, t));
  const picked = usableAlgorithms(fn, g.algorithms, 'options.algorithms');
  if (g.sets !== undefined) array(fn, 'options.sets', g.sets, "an array of 'name=v1,v2,…' strings").forEach((s, i) => str(fn, `options.sets[${i}]`, s));
  str(fn, 'options.out', g.out);
  if (g.roundsOut !== undefined) str(fn, 'options.roundsOut', g.roundsOut);
  if (g.jobs !== undefined) int(fn, 'options.jobs', g.jobs, 1);
  if (g.shard !== undefined) str(fn, 'options.shard', g.shard);
  for (const k of ['resume', 'overwrite', 'oracle', 'dryRun', 'progress'] as const) if (g[k] !== undefined) bool(fn, `options.${k}`, g[k]);
  if (g.kernel !== undefined) oneOf(fn, 'options.kernel', g.kernel, ['wasm', 'js']);
  if (g.share !== undefined) oneOf(fn, 'options.share', g.share, ['auto', 'bytes', 'decoded']);
  if (g.batchRows !== undefined) int(fn, 'options.batchRows', g.batchRows, 1);
  if (g.flushMs !== undefined) num(fn, 'options.flushMs', g.flushMs, 0, false, 'ms');
  if (g.note !== undefined) func(fn, 'options.note', g.note);
  if (g.onProgress !== undefined) func(fn, 'options.onProgress', g.onProgress);
  if (g.signal !== undefined && !(g.signal instanceof AbortSignal)) bad(fn, 'options.signal', 'an AbortSignal', g.signal);
  const { progress, onProgress, signal, ...rest } = o;
  // progress: true draws a bar on stderr, false plain lines when stderr is not a terminal.
  const drawn = progress === true ? progressRenderer(true) : progress === false && !process.stderr.isTTY ? progressRenderer(false) : undefined;
  return runSweepImpl({ ...(rest as SweepOptions), algorithms: picked }, { onProgress: onProgress ?? drawn, signal });
}

/** Merge sweep outputs (parts of a sharded sweep) into one file, checking that they agree. */
export async function mergeFiles(parts: readonly string[], out: string, note?: (line: string) => void): Promise<MergeStats> {
  const fn = 'mergeFiles';
  array(fn, 'parts', parts, 'an array of file paths').forEach((p, i) => str(fn, `parts[${i}]`, p));
  str(fn, 'out', out);
  if (note !== undefined) func(fn, 'note', note);
  return mergeFilesImpl(parts, out, note);
}

const FORMATS = FORMAT_IDS;

/** Read a table file (Arrow IPC, Parquet, CSV, JSON Lines; by extension unless format is given); a torn last batch or line is left out. */
export async function readTable(file: string, format?: Format): Promise<TableData> {
  str('readTable', 'file', file);
  if (format !== undefined) oneOf('readTable', 'format', format, FORMATS);
  return readTableImpl(file, format ?? formatOf(file, file), { known: knownColumns() });
}

/** Write a whole table atomically in a format: columns { name, type }, rows keyed by column name, schema metadata. */
export async function writeTable(file: string, format: Format, columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<void> {
  const fn = 'writeTable';
  str(fn, 'file', file);
  oneOf(fn, 'format', format, FORMATS);
  array(fn, 'columns', columns, 'an array of columns { name, type }').forEach((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string' || !['utf8', 'float64', 'int32', 'bool'].includes(c.type as string)) {
      bad(fn, `columns[${i}]`, "a column { name, type: 'utf8' | 'float64' | 'int32' | 'bool' }", c);
    }
  });
  array(fn, 'rows', rows, 'an array of rows (objects keyed by column name)').forEach((r, i) => {
    if (!isPlainObject(r)) bad(fn, `rows[${i}]`, 'an object keyed by column name', r);
  });
  if (!(metadata instanceof Map)) bad(fn, 'metadata', 'a Map of strings to strings', metadata);
  return writeTableImpl(file, format, columns, rows, metadata);
}

// ---------------------------------------------------------------------------------------
// Capture.

const CAPTURE_OPTIONS = [
  'out', 'command', 'pid', 'xenDomid', 'fakeDirtylog', 'fakeCalls', 'intervalUs', 'durationUs', 'mechanism', 'compression',
  'batchUs', 'batchPages', 'keepThp', 'pageMap', 'workload', 'description', 'helper', 'commandStdout', 'onEpoch', 'onNote',
];

function checkCapture(fn: string, o: unknown): CaptureOptions {
  if (o === undefined) bad(fn, 'options', 'an object { out, and one of command, pid, xenDomid }', o);
  const g = options(fn, 'options', o, CAPTURE_OPTIONS);
  str(fn, 'options.out', g.out);
  if (g.command !== undefined) {
    const c = array(fn, 'options.command', g.command, 'an array of strings (the program and its arguments)');
    if (c.length === 0) fail('usage', `${fn}: options.command must name a program`);
    c.forEach((x, i) => str(fn, `options.command[${i}]`, x, true));
  }
  if (g.pid !== undefined) int(fn, 'options.pid', g.pid, 1);
  if (g.xenDomid !== undefined) int(fn, 'options.xenDomid', g.xenDomid, 0);
  for (const k of ['fakeDirtylog', 'fakeCalls', 'pageMap', 'helper'] as const) if (g[k] !== undefined) str(fn, `options.${k}`, g[k]);
  for (const k of ['workload', 'description'] as const) if (g[k] !== undefined) str(fn, `options.${k}`, g[k], true);
  for (const k of ['intervalUs', 'durationUs', 'batchUs'] as const) if (g[k] !== undefined) num(fn, `options.${k}`, g[k], 0, true, 'µs');
  if (g.batchPages !== undefined) int(fn, 'options.batchPages', g.batchPages, 1);
  if (g.mechanism !== undefined) oneOf(fn, 'options.mechanism', g.mechanism, ['auto', 'softdirty', 'pagemap-scan']);
  if (g.compression !== undefined) oneOf(fn, 'options.compression', g.compression, ['none', 'zstd', 'lz4']);
  if (g.keepThp !== undefined) bool(fn, 'options.keepThp', g.keepThp);
  if (g.commandStdout !== undefined) oneOf(fn, 'options.commandStdout', g.commandStdout, ['inherit', 'stderr']);
  for (const k of ['onEpoch', 'onNote'] as const) if (g[k] !== undefined) func(fn, `options.${k}`, g[k]);
  const sources = (['command', 'pid', 'xenDomid', 'fakeDirtylog'] as const).filter((k) => g[k] !== undefined);
  if (sources.length !== 1) fail('usage', `${fn}: options must give exactly one of command, pid, xenDomid, fakeDirtylog (got ${sources.length ? sources.join(', ') : 'none'})`);
  return o as CaptureOptions;
}

/** Start capturing a process's page writes into a trace; the handle's `done` resolves when the trace is closed. */
export async function startCapture(o: CaptureOptions): Promise<CaptureHandle> {
  return startCaptureImpl(checkCapture('startCapture', o));
}

/** Capture a process's page writes into a trace, to its end. */
export async function runCapture(o: CaptureOptions): Promise<CaptureResult> {
  return (await startCaptureImpl(checkCapture('runCapture', o))).done;
}

// ---------------------------------------------------------------------------------------
// Plots and reports.

const DOC_RULE = 'a results document (what replayFile or resultsDocument returns)';

/** One SVG of a results document: pages sent, total time and downtime per algorithm, rounds, distance to the oracle. */
export async function replayPlotSvg(doc: ResultsDocument): Promise<string> {
  if (!isResultsDocument(doc)) bad('replayPlotSvg', 'doc', DOC_RULE, doc);
  return replayPlotSvgImpl(doc);
}

/** The timeline of a fleet (runFleet's result) as one SVG: each guest's rounds and stop-and-copy, and the link's shares. */
export async function fleetPlotSvg(fleet: FleetResult): Promise<string> {
  const f = fleet as unknown as Record<string, unknown> | undefined;
  if (!isObject(f) || !Array.isArray(f.guests) || !isObject(f.link) || typeof f.makespanS !== 'number') bad('fleetPlotSvg', 'fleet', 'what runFleet returned', fleet);
  return fleetPlotSvgImpl(fleet);
}

/** Two SVG charts of a trace: pages dirtied per epoch, and the writable working set. */
export async function tracePlotSvgs(trace: Trace, kernel: Kernel): Promise<string[]> {
  return tracePlotSvgsImpl(usableTrace('tracePlotSvgs', trace), usableKernel('tracePlotSvgs', kernel));
}

/** An SVG heat map of a trace's writes (page buckets × time). */
export async function heatmapSvg(trace: Trace, kernel?: Kernel): Promise<string> {
  const t = usableTrace('heatmapSvg', trace);
  return heatmapSvgImpl(t, kernel === undefined ? undefined : usableKernel('heatmapSvg', kernel));
}

/** Write one SVG chart, or several stacked vertically, to FILE.svg or FILE.png (by extension). */
export function renderPlotFile(file: string, svgs: string | readonly string[]): void {
  const fn = 'renderPlotFile';
  str(fn, 'file', file);
  if (!/\.(svg|png)$/i.test(file)) fail('usage', `${fn}: file ${shown(file)} must end in .svg or .png`);
  const ok = typeof svgs === 'string' || (Array.isArray(svgs) && svgs.length > 0 && svgs.every((s) => typeof s === 'string'));
  if (!ok) bad(fn, 'svgs', 'an SVG string or a non-empty array of them', svgs);
  renderPlotFileImpl(file, svgs);
}

/** Rasterise an SVG document to PNG bytes (scale 2 by default). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  str('svgToPng', 'svg', svg);
  num('svgToPng', 'scale', scale, 0, true);
  return svgToPngImpl(svg, scale);
}

/** Read one results or sweep file for a report: .json, .jsonl, .arrow, .feather, .parquet or .csv. */
export async function readReportInput(file: string): Promise<ReportInput[]> {
  return readReportInputImpl(str('readReportInput', 'file', file));
}

const REPORT_OPTIONS = ['results', 'traces', 'openTrace', 'kernel', 'title', 'maxTraces'];

/** Build the self-contained HTML report of results documents and sweep rows (charts as inline SVG). */
export async function buildReport(opts: ReportOptions): Promise<string> {
  const fn = 'buildReport';
  if (opts === undefined) bad(fn, 'options', `an object (${REPORT_OPTIONS.join(', ')})`, opts);
  const g = options(fn, 'options', opts, REPORT_OPTIONS);
  array(fn, 'options.results', g.results, 'an array of results documents, sweep rows or readReportInput entries').forEach((r, i) => {
    if (!isObject(r)) bad(fn, `options.results[${i}]`, 'a results document, a sweep row or a readReportInput entry', r);
  });
  const traces = g.traces === undefined ? undefined : array(fn, 'options.traces', g.traces, 'an array of traces').map((t, i) => usableTrace(fn, t, `options.traces[${i}]`));
  let open: ReportOptions['openTrace'];
  if (g.openTrace !== undefined) {
    const userOpen = func<(p: string) => Trace>(fn, 'options.openTrace', g.openTrace);
    open = (p) => usableTrace(fn, userOpen(p), `options.openTrace(${shown(p)})`);
  }
  const kernel = g.kernel === undefined ? undefined : usableKernel(fn, g.kernel, 'options.kernel');
  if (g.title !== undefined) str(fn, 'options.title', g.title, true);
  if (g.maxTraces !== undefined) int(fn, 'options.maxTraces', g.maxTraces, 0);
  return buildReportImpl({ ...opts, traces, openTrace: open, kernel });
}
