// `migreplay sweep` as a library call: expand the grid, keep this shard's runs, skip
// those already in the output (--resume), replay the rest on a worker pool, and append
// the results batch by batch as they finish.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Algorithm } from '../algorithms/types.js';
import { fail, MigreplayError, type ErrorCode } from '../errors.js';
import { AtomicFile } from '../io/files.js';
import { loadWasmModule } from '../kernel/node.js';
import { bytesSource, openTrace, type Trace } from '../trace/read.js';
import { VERSION } from '../version.js';
import { roundRows, ROUND_COLUMNS, runColumns, runRow, sortRows, type Column, type Row, type TableKind } from './columns.js';
import { AppendWriter, encodeTable, formatOf, readTable, writeTable, type Format, type TableData } from './formats.js';
import { expandGrid, expandTraces, parseShard, shardOf, type RunSpec } from './grid.js';
import { parseSets, type Axis } from './params.js';
import { decodedBytes, shareTrace, type ShareMode } from './shared.js';
import { memoryBudget } from '../io/memory.js';
import type { SweepOutcome, SweepTask, SweepWorkerData } from './worker.js';

export interface SweepOptions {
  /** Trace files or globs. */
  traces: readonly string[];
  algorithms: readonly Algorithm[];
  /** `name=v1,v2,…` (units and ranges allowed), one per varied parameter. */
  sets?: readonly string[];
  /** Results file: .arrow (Arrow IPC stream), .parquet, .csv or .jsonl. */
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
  /** Progress line on stderr (the CLI sets it when stderr is a terminal). */
  progress?: boolean;
  /** Notes (warnings) go here; stderr by default. */
  note?: (line: string) => void;
}

export interface SweepStats {
  /** Runs in the grid (all shards). */
  gridRuns: number;
  /** Runs in this shard. */
  shardRuns: number;
  /** Runs of this shard already in the output (skipped). */
  alreadyDone: number;
  /** Runs replayed now. */
  ran: number;
  /** Wall time of the replays (pool start to last result written), s. */
  seconds: number;
  runsPerSecond: number;
  /** Worker threads used. */
  jobs: number;
  /** How the traces were shared with the workers. */
  share: 'bytes' | 'decoded';
  traces: string[];
  /** Runs per algorithm in this shard. */
  perAlgorithm: Record<string, number>;
  out: string;
  roundsOut?: string;
}

interface LoadedTrace { name: string; bytes: SharedArrayBuffer; trace: Trace }

/** Read a trace once into shared memory and validate it. */
function loadShared(file: string): LoadedTrace {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) fail('file-unreadable', `${file}: is a folder, not a trace file`);
    const bytes = new SharedArrayBuffer(st.size);
    const view = new Uint8Array(bytes);
    for (let at = 0; at < st.size; ) {
      const n = fs.readSync(fd, view, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return { name: file, bytes, trace: openTrace(bytesSource(file, view)) };
  } finally {
    fs.closeSync(fd);
  }
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

function workerFile(): string {
  const here = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here.href;
  // Running from the TypeScript sources (tests): use the built worker.
  return new URL('../../dist/sweep/worker.js', import.meta.url).href;
}

function tableMetadata(kind: TableKind): Map<string, string> {
  return new Map([['migreplay.version', VERSION], ['migreplay.table', kind]]);
}

function sameColumns(a: readonly Column[], b: readonly Column[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
}

function exists(file: string): boolean {
  try {
    return fs.statSync(file).size >= 0;
  } catch {
    return false;
  }
}

/** Where one table goes: the file, its format, and for Parquet the stream sidecar written meanwhile. */
interface Target {
  file: string;
  format: Format;
  /** The file appended to while running: the output itself, or FILE.partial.arrow for Parquet. */
  appendFile: string;
  appendFormat: 'arrow' | 'csv' | 'jsonl';
  columns: Column[];
  kind: TableKind;
}

function target(file: string, columns: Column[], kind: TableKind, what: string): Target {
  const format = formatOf(file, what);
  const appendFile = format === 'parquet' ? `${file}.partial.arrow` : file;
  return { file, format, appendFile, appendFormat: format === 'parquet' ? 'arrow' : format, columns, kind };
}

function checkColumns(t: Target, file: string, data: TableData): void {
  if (data.columns.length === 0 || sameColumns(data.columns, t.columns)) return;
  fail('usage', `${file}: its columns differ from this sweep's (another --algo, --oracle or version wrote it): write to another file, or drop --resume and add --overwrite`);
}

/** Rows already in a target (the output and, for Parquet, its sidecar), and how to continue appending. */
async function existing(t: Target, resume: boolean, overwrite: boolean, what: string): Promise<{ rows: Row[]; keepBytes: number; baseRows: Row[]; torn: number }> {
  const present = [t.file, t.appendFile].filter((f, i, all) => all.indexOf(f) === i && exists(f));
  if (present.length === 0) return { rows: [], keepBytes: 0, baseRows: [], torn: 0 };
  if (!resume) {
    if (overwrite) {
      // The sidecar is truncated when the writer opens it; a finished Parquet file goes now.
      if (t.format === 'parquet') fs.rmSync(t.file, { force: true });
      return { rows: [], keepBytes: 0, baseRows: [], torn: 0 };
    }
    fail('usage', `${what} ${present[0]}: already exists; add --resume to continue that sweep, or --overwrite to replace it`);
  }
  let baseRows: Row[] = [];
  if (t.format === 'parquet' && exists(t.file)) {
    const data = await readTable(t.file, 'parquet');
    checkColumns(t, t.file, data);
    baseRows = data.rows;
  }
  if (!exists(t.appendFile)) return { rows: baseRows, keepBytes: 0, baseRows, torn: 0 };
  const data = await readTable(t.appendFile, t.appendFormat);
  checkColumns(t, t.appendFile, data);
  return { rows: [...baseRows, ...data.rows], keepBytes: data.columns.length === 0 ? 0 : data.validBytes, baseRows, torn: data.tornBytes };
}

/** Run a sweep. Resolves when every run of the shard is in the output. */
export async function runSweep(o: SweepOptions): Promise<SweepStats> {
  const note = o.note ?? ((line: string) => process.stderr.write(`migreplay: ${line}\n`));
  if (o.resume && o.overwrite) fail('usage', '--resume and --overwrite contradict each other: continue the sweep in --out, or replace it');
  const axes = parseSets(o.sets ?? [], o.algorithms);
  const jobs = o.jobs ?? os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) fail('usage', `--jobs: '${o.jobs}' is not a whole number ≥ 1`);
  const batchRows = o.batchRows ?? 1000;
  if (!Number.isInteger(batchRows) || batchRows < 1) fail('usage', `--batch: '${o.batchRows}' is not a whole number ≥ 1`);
  const flushMs = o.flushMs ?? 1000;
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  const runCols = runColumns(o.algorithms);
  const runsT = target(o.out, runCols, 'runs', '--out');
  const roundsT = o.roundsOut !== undefined ? target(o.roundsOut, ROUND_COLUMNS, 'rounds', '--rounds-out') : undefined;
  if (roundsT && [roundsT.file, roundsT.appendFile].some((f) => f === runsT.file || f === runsT.appendFile)) {
    fail('usage', '--rounds-out must name another file than --out');
  }

  const traceFiles = expandTraces(o.traces);
  const traces = traceFiles.map(loadShared);
  checkStarts(traces, axes);
  const shareMode = o.share ?? 'auto';
  if (!['auto', 'bytes', 'decoded'].includes(shareMode)) fail('usage', `--share: '${shareMode}' is not one of auto, bytes, decoded`);
  const share: 'bytes' | 'decoded' = shareMode !== 'auto' ? shareMode
    : traces.reduce((n, t) => n + decodedBytes(t.trace), 0) <= memoryBudget() ? 'decoded' : 'bytes';
  const grid = expandGrid(traceFiles, o.algorithms, axes);
  const mine = shard ? grid.filter((r) => shardOf(r.runId, shard.count) === shard.index) : grid;
  const perAlgorithm: Record<string, number> = {};
  for (const r of mine) perAlgorithm[r.algorithm] = (perAlgorithm[r.algorithm] ?? 0) + 1;

  const stats: SweepStats = {
    gridRuns: grid.length, shardRuns: mine.length, alreadyDone: 0, ran: 0, seconds: 0, runsPerSecond: 0,
    jobs, share, traces: traceFiles, perAlgorithm, out: o.out, roundsOut: o.roundsOut,
  };

  // What is already there (a dry run without --resume does not look).
  const look = o.resume || !o.dryRun;
  const nothing = { rows: [], keepBytes: 0, baseRows: [], torn: 0 };
  const prior = look ? await existing(runsT, Boolean(o.resume), Boolean(o.overwrite), '--out') : nothing;
  const done = new Set(prior.rows.map((r) => String(r.runId)));
  if (prior.torn > 0) note(`${runsT.appendFile}: dropped a torn last batch (${prior.torn} bytes) left by an interrupted sweep`);
  const todo = mine.filter((r) => !done.has(r.runId));
  stats.alreadyDone = mine.length - todo.length;
  let priorRounds: Awaited<ReturnType<typeof existing>> | undefined;
  if (roundsT) {
    priorRounds = look ? await existing(roundsT, Boolean(o.resume), Boolean(o.overwrite), '--rounds-out') : nothing;
    const missing = done.size > 0 && !exists(roundsT.file) && !exists(roundsT.appendFile);
    if (missing) note(`--rounds-out ${roundsT.file}: new, so it lacks the rounds of the ${done.size} runs already in ${runsT.file}`);
  }
  if (o.dryRun) return stats;

  // Open the writers: resumed files keep their whole part; a rounds file keeps only the rounds of finished runs.
  const runsWriter = new AppendWriter(runsT.appendFile, runsT.appendFormat, runsT.columns, tableMetadata('runs'), prior.keepBytes);
  let roundsWriter: AppendWriter | undefined;
  if (roundsT && priorRounds) {
    let keep = priorRounds.keepBytes;
    const appended = priorRounds.rows.slice(priorRounds.baseRows.length);
    const kept = appended.filter((r) => done.has(String(r.runId)));
    if (keep > 0 && kept.length !== appended.length) {
      // Rounds of runs whose row never reached --out (killed between the two writes): drop them.
      const content = await encodeTable(roundsT.appendFormat, roundsT.columns, kept, tableMetadata('rounds'));
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      const body = roundsT.appendFormat === 'arrow' ? bytes.subarray(0, bytes.byteLength - 8) : bytes; // no end marker: appended to
      writeRaw(roundsT.appendFile, body);
      keep = body.byteLength;
    }
    roundsWriter = new AppendWriter(roundsT.appendFile, roundsT.appendFormat, roundsT.columns, tableMetadata('rounds'), keep);
  }

  let pendingRuns: Row[] = [];
  let pendingRounds: Row[] = [];
  let lastFlush = Date.now();
  const flush = () => {
    if (pendingRuns.length === 0) return;
    // Rounds first: a run's row is in --out only once its rounds are in --rounds-out.
    roundsWriter?.append(pendingRounds);
    runsWriter.append(pendingRuns);
    pendingRuns = [];
    pendingRounds = [];
    lastFlush = Date.now();
  };
  const closeWriters = () => {
    flush();
    roundsWriter?.close();
    runsWriter.close();
  };

  // A signal (Ctrl-C, a scheduler's SIGTERM): write what has finished, then let the CLI exit.
  const onSignal = (signal: NodeJS.Signals) => {
    try { closeWriters(); } catch { /* exiting anyway */ }
    process.stderr.write(`migreplay: sweep interrupted: ${runsWriter.written} runs written to ${runsT.appendFile}; --resume continues it\n`);
    if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const s of signals) process.prependOnceListener(s, onSignal);

  const started = performance.now();
  const total = todo.length;
  let finished = 0;
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!o.progress) return;
    const now = performance.now();
    if (!force && now - lastDraw < 250) return;
    lastDraw = now;
    const s = (now - started) / 1000;
    const rate = finished / Math.max(s, 1e-9);
    const eta = rate > 0 ? (total - finished) / rate : NaN;
    const pct = total > 0 ? (100 * finished) / total : 100;
    process.stderr.write(`\r\x1b[Ksweep: ${finished}/${total} runs (${pct.toFixed(1)} %), ${rate.toFixed(1)} runs/s, ETA ${formatEta(eta)}`);
  };
  // Off a terminal (a log, CI) no bar: a plain line every few seconds and one at the end.
  // Only for a caller that asked for no bar (the CLI does when stderr is not a terminal).
  const linesEveryMs = o.progress === false && !process.stderr.isTTY ? progressIntervalMs() : undefined;
  let lastLine = performance.now();
  const line = (end = false) => {
    if (linesEveryMs === undefined || (total === 0 && !end)) return;
    const now = performance.now();
    if (!end && now - lastLine < linesEveryMs) return;
    lastLine = now;
    const s = (now - started) / 1000;
    const rate = finished / Math.max(s, 1e-9);
    const left = end || finished >= total ? '' : `, ~${rate > 0 ? formatEta((total - finished) / rate) : '?'} left`;
    process.stderr.write(`sweep: ${finished}/${total} runs, ${formatEta(s)}${left}\n`);
  };
  const timer = setInterval(() => {
    if (Date.now() - lastFlush >= flushMs) flush();
    draw();
    line();
  }, Math.min(250, flushMs, linesEveryMs ?? Infinity));
  timer.unref();

  let pool: Piscina<SweepTask, SweepOutcome> | undefined;
  try {
    if (total > 0) {
      const threads = Math.min(jobs, total);
      stats.jobs = threads;
      // With several workers, the longest runs go first so that none is left running
      // alone at the end (longest-first list scheduling). Rows are keyed by runId, so
      // their order in the file carries no meaning; one worker keeps the grid's order.
      if (threads > 1) {
        const cost = (r: RunSpec): number => {
          const t = traces[r.traceIndex]!.trace;
          const seconds = (t.meta.memPages * t.meta.pageSize) / Number(r.link.bandwidthBytesPerS); // one full copy
          return (t.summary.events / Math.max(t.summary.durationUs, 1)) * seconds;
        };
        const costs = new Map(todo.map((r) => [r, cost(r)]));
        todo.sort((a, b) => costs.get(b)! - costs.get(a)!);
      }
      const kernel = o.kernel ?? 'wasm';
      const workerData: SweepWorkerData = {
        traces: traces.map((t) => shareTrace(t.trace, t.bytes, share)),
        kernel,
        wasmModule: kernel === 'wasm' ? loadWasmModule() : undefined,
        oracle: Boolean(o.oracle),
      };
      pool = new Piscina<SweepTask, SweepOutcome>({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 60_000, workerData });
      const p = pool;
      let failure: unknown;
      let next = 0;
      const one = async (run: RunSpec): Promise<void> => {
        let outcome: SweepOutcome | undefined;
        const task: SweepTask = { traceIndex: run.traceIndex, algorithm: run.algorithm, params: run.given, link: run.link };
        // A replay's own errors come back as outcomes (deterministic: not retried); the pool
        // rejects only when a worker died or could not start: that run is tried once more.
        for (let attempt = 0; !outcome; attempt++) {
          try {
            outcome = await p.run(task);
          } catch (e) {
            if (attempt === 0) continue;
            outcome = { ok: false, code: 'internal', message: e instanceof Error ? e.message.split('\n')[0]! : String(e), exitCode: 1 };
          }
        }
        if (!outcome.ok) {
          const what = `run ${run.runId} (${run.trace}, ${run.algorithm}, ${JSON.stringify({ ...run.params, ...run.link })})`;
          const code = (outcome.code === 'internal' ? 'usage' : outcome.code) as ErrorCode;
          failure ??= new MigreplayError(code, `${what} failed: ${outcome.message}`, outcome.code === 'internal' ? 1 : outcome.exitCode);
          return;
        }
        // The row's parameter columns (and the run's id) are the values the replay really used.
        const used = outcome.result.params as Record<string, unknown>;
        for (const [k, v] of Object.entries({ ...run.params, ...run.link })) {
          if (k in used && used[k] !== v) {
            failure ??= new MigreplayError('usage', `run ${run.runId} (${run.trace}, ${run.algorithm}): the replay used ${k} = ${String(used[k])} where the sweep expected ${String(v)} (a bug: please report it)`, 1);
            return;
          }
        }
        if (failure) return; // the sweep is stopping: nothing more is written
        const t = traces[run.traceIndex]!.trace;
        pendingRuns.push(runRow(runsT.columns, run, { memPages: t.meta.memPages, pageSize: t.meta.pageSize }, outcome.result));
        if (roundsWriter) pendingRounds.push(...roundRows(run.runId, outcome.result));
        finished++;
        if (pendingRuns.length >= batchRows) flush();
        draw();
      };
      // Keep every worker busy with a short queue; stop handing out runs after a failure.
      const lane = async () => {
        while (next < todo.length && !failure) {
          try {
            await one(todo[next++]!);
          } catch (e) {
            failure ??= e; // a write failed: stop every lane, then report it
          }
        }
      };
      await Promise.all(Array.from({ length: threads * 2 }, lane));
      if (failure) throw failure;
    }
    closeWriters();
    stats.ran = finished;
    stats.seconds = (performance.now() - started) / 1000;
    stats.runsPerSecond = stats.seconds > 0 ? finished / stats.seconds : 0;
    if (o.progress) { draw(true); process.stderr.write('\n'); }
    if (total > 0) line(true);
    // Parquet: the whole table, sorted by runId, from what was there and the sidecar.
    for (const t of [runsT, roundsT]) {
      if (!t || t.format !== 'parquet') continue;
      const prev = t === runsT ? prior : priorRounds!;
      const side = await readTable(t.appendFile, 'arrow');
      const rows = sortRows([...prev.baseRows, ...side.rows]);
      await writeTable(t.file, 'parquet', t.columns, rows, tableMetadata(t.kind));
      fs.rmSync(t.appendFile, { force: true });
    }
    return stats;
  } catch (e) {
    try {
      closeWriters();
    } catch {
      runsWriter.abandon();
      roundsWriter?.abandon();
    }
    throw e;
  } finally {
    clearInterval(timer);
    for (const s of signals) process.removeListener(s, onSignal);
    if (pool) await pool.destroy();
  }
}

/** Replace a file's content atomically. */
function writeRaw(file: string, bytes: Uint8Array): void {
  const out = new AtomicFile(file);
  out.write(bytes);
  out.commit();
}

/** How often the plain progress line is printed off a terminal: MIGREPLAY_PROGRESS_S seconds (default 5). */
function progressIntervalMs(): number {
  const v = Number(process.env.MIGREPLAY_PROGRESS_S);
  return Number.isFinite(v) && v > 0 ? v * 1000 : 5000;
}

function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
