// The public trace functions: opening (from a ByteSource), decoding once, writing,
// statistics and down-sampling, each checking its arguments (src/api/check.ts).
//
// A Trace the library made (openTrace, openTraceFile, decodedTrace) was validated when it
// was opened and is frozen: it goes to the engine as it is. Any other object shaped like
// a Trace (made by hand, or a spread copy with other metadata) is checked too: its meta
// and summary on every call, its epochs as they stream by on the first pass that reaches
// them — the same rules openTrace applies to a file (pages ascending, distinct and below
// mem_pages, times increasing, the summary's counts) — so a wrong one ends in a one-line
// MigreplayError, never in a kernel writing outside its bitmaps. No Node imports.
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import { enableZstdEncoder as enableZstdEncoderImpl } from '../trace/codecs.js';
import { downsampleEpochs as downsampleEpochsImpl, type MergedEpoch } from '../trace/downsample.js';
import { traceStats as traceStatsImpl, type TraceStats } from '../trace/inspect.js';
import { bytesSource as bytesSourceImpl, openTrace as openTraceImpl, type ByteSource, type OpenOptions, type Trace } from '../trace/read.js';
import { MAX_MEM_PAGES, type EpochBatch } from '../trace/schema.js';
import { TraceWriter as TraceWriterImpl, traceSchema as traceSchemaImpl, type TraceHeader, type TraceWriterOptions } from '../trace/write.js';
import { bad, func, int, isObject, isPlainObject, num, oneOf, options, shown, str } from './check.js';
import { usableKernel } from './kernel.js';

// ---------------------------------------------------------------------------------------
// Traces the library made, and checked views of the others.

const madeHere = new WeakSet<object>();

/** Freeze a validated trace (its meta and summary too) and remember it as one the library made. */
export function madeTrace(trace: Trace): Trace {
  if (trace.meta.dataPages) Object.freeze(trace.meta.dataPages);
  Object.freeze(trace.meta);
  Object.freeze(trace.summary);
  Object.freeze(trace);
  madeHere.add(trace);
  return trace;
}

const TRACE_RULE = 'a Trace (what openTrace, openTraceFile or decodedTrace returns)';

const optionalInt = (fn: string, what: string, v: unknown, min: number): void => {
  if (v !== undefined) int(fn, what, v, min);
};

/** Check the parts of a Trace the engine reads before any epoch: name, meta, summary, batches. */
function checkTraceShape(fn: string, what: string, t: unknown): Trace {
  if (!isObject(t) || typeof t.batches !== 'function' || !isObject(t.meta) || !isObject(t.summary)) {
    if (typeof t === 'string') bad(fn, what, `${TRACE_RULE}, not a path: open it first with openTrace from 'migreplay/node'`, t);
    bad(fn, what, TRACE_RULE, t);
  }
  str(fn, `${what}.name`, t.name, true);
  const m = t.meta as Record<string, unknown>;
  int(fn, `${what}.meta.memPages`, m.memPages, 1, MAX_MEM_PAGES);
  int(fn, `${what}.meta.pageSize`, m.pageSize, 1);
  optionalInt(fn, `${what}.meta.intervalUs`, m.intervalUs, 1);
  optionalInt(fn, `${what}.meta.durationUs`, m.durationUs, 1);
  if (m.dataPages !== undefined) {
    const ranges = m.dataPages;
    let next = 0;
    const ok = Array.isArray(ranges) && ranges.every((r) => {
      const good = Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] >= next && r[1] >= r[0] && r[1] < (m.memPages as number);
      if (good) next = r[1] + 1;
      return good;
    });
    if (!ok) bad(fn, `${what}.meta.dataPages`, 'ascending, disjoint inclusive [first, last] page ranges below memPages', ranges);
  }
  const s = t.summary as Record<string, unknown>;
  int(fn, `${what}.summary.epochs`, s.epochs, 1);
  int(fn, `${what}.summary.events`, s.events, 0);
  int(fn, `${what}.summary.firstUs`, s.firstUs, 0);
  int(fn, `${what}.summary.lastUs`, s.lastUs, s.firstUs as number);
  num(fn, `${what}.summary.durationUs`, s.durationUs, s.lastUs as number, true, 'µs, above summary.lastUs,');
  int(fn, `${what}.summary.maxEpochPages`, s.maxEpochPages, 0);
  int(fn, `${what}.summary.maxBatchPages`, s.maxBatchPages, s.maxEpochPages as number);
  for (const k of ['hasComm', 'hasImmp'] as const) if (typeof s[k] !== 'boolean') bad(fn, `${what}.summary.${k}`, 'true or false', s[k]);
  return t as unknown as Trace;
}

/** How far the epochs of a trace not made here have been checked. */
interface CheckState {
  fn: string;
  view: Trace;
  /** What the checks so far assumed of meta and summary: if it changes, start over. */
  basis: string;
  /** Batches checked, and the running counts after them. */
  batches: number;
  epochs: number;
  events: number;
  lastUs: number;
}
const checked = new WeakMap<Trace, CheckState>();

const basisOf = (t: Trace): string => {
  const { meta: m, summary: s } = t;
  return [m.memPages, s.epochs, s.events, s.firstUs, s.lastUs, s.durationUs, s.maxEpochPages, s.maxBatchPages, s.hasComm, s.hasImmp].join();
};

/**
 * The trace to hand to the engine: one made here as it is; any other checked (meta and
 * summary now, epochs as they stream by), as a view with the same name, meta and summary.
 */
export function usableTrace(fn: string, t: unknown, what = 'trace'): Trace {
  if (madeHere.has(t as object)) return t as Trace;
  const trace = checkTraceShape(fn, what, t);
  let state = checked.get(trace);
  const basis = basisOf(trace);
  if (!state || state.basis !== basis) {
    const s: CheckState = { fn, basis, batches: 0, epochs: 0, events: 0, lastUs: -1, view: undefined as unknown as Trace };
    s.view = { name: trace.name, meta: trace.meta, summary: trace.summary, batches: () => checkedPass(trace, s) };
    checked.set(trace, s);
    state = s;
  }
  state.fn = fn;
  return state.view;
}

/** The first index of pages[p0 … p1) not above the one before it, or p1 when they ascend strictly. */
function ascendingUntil(pages: Uint32Array, p0: number, p1: number): number {
  let prev = -1;
  for (let k = p0; k < p1; k++) {
    if (pages[k]! <= prev) return k;
    prev = pages[k]!;
  }
  return p1;
}

/** One pass over a trace not made here, each batch checked before the engine sees it. */
function* checkedPass(trace: Trace, s: CheckState): Generator<EpochBatch> {
  const it = trace.batches() as Iterable<EpochBatch> | undefined;
  const name = `${s.fn}: trace '${trace.name}'`;
  if (!it || typeof (it as Iterable<EpochBatch>)[Symbol.iterator] !== 'function') {
    fail('usage', `${name}: batches() must return an iterable of epoch batches (got ${shown(it)})`);
  }
  const { meta, summary } = trace;
  let index = 0;
  let epochs = 0;
  let events = 0;
  let lastUs = -1;
  for (const b of it) {
    if (index < s.batches) {
      index++;
      yield b;
      continue;
    }
    if (index === s.batches && index > 0) ({ epochs, events, lastUs } = s);
    const where = `${name}: batch ${index}`;
    if (!isObject(b)) fail('usage', `${where} must be an epoch batch { length, tUs, offsets, pages } (got ${shown(b)})`);
    const n = b.length;
    if (!Number.isSafeInteger(n) || n < 0) fail('trace-rule', `${where}: length must be a whole number ≥ 0 (got ${shown(n)})`);
    const list = (arr: unknown, offs: unknown, what: string, offWhat: string, present: boolean): void => {
      // An empty batch (apache-arrow's, for a stream without record batches) may lack the optional lists.
      if (n === 0 && what !== 'pages' && arr === undefined && offs === undefined) return;
      if (!present) {
        if (arr !== undefined || offs !== undefined) fail('trace-rule', `${where}: has ${what} but summary.${what === 'comm' ? 'hasComm' : 'hasImmp'} is false`);
        return;
      }
      if (!(arr instanceof Uint32Array)) fail('trace-rule', `${where}: ${what} must be a Uint32Array (got ${shown(arr)})`);
      if (!(offs instanceof Int32Array) || offs.length < n + 1) fail('trace-rule', `${where}: ${offWhat} must be an Int32Array of length + 1 = ${n + 1} offsets (got ${shown(offs)})`);
      if (arr.length > summary.maxBatchPages) fail('trace-rule', `${where}: ${arr.length} ${what} entries, more than summary.maxBatchPages (${summary.maxBatchPages})`);
    };
    if (!(b.tUs instanceof Float64Array) || b.tUs.length < n) fail('trace-rule', `${where}: tUs must be a Float64Array of length ${n} (got ${shown(b.tUs)})`);
    list(b.pages, b.offsets, 'pages', 'offsets', true);
    list(b.comm, b.commOffsets, 'comm', 'commOffsets', summary.hasComm);
    list(b.immp, b.immpOffsets, 'immp', 'immpOffsets', summary.hasImmp);
    const batch = b as unknown as EpochBatch;
    const { tUs, offsets, pages } = batch;
    for (let i = 0; i < n; i++) {
      const row = `${where}, row ${epochs + i}`;
      const t = tUs[i]!;
      if (!Number.isSafeInteger(t) || t < 0) fail('trace-rule', `${row}: t_us = ${t} is not a whole number ≥ 0`);
      if (t <= lastUs) fail('trace-rule', `${row}: t_us = ${t} does not increase (previous ${lastUs})`);
      if (t >= summary.durationUs) fail('trace-rule', `${row}: t_us = ${t} is not before summary.durationUs (${summary.durationUs})`);
      lastUs = t;
      const p0 = offsets[i]!;
      const p1 = offsets[i + 1]!;
      if (!(p0 >= 0 && p0 <= p1 && p1 <= pages.length)) fail('trace-rule', `${row}: offsets ${p0} … ${p1} do not lie within the batch's ${pages.length} pages`);
      const k = ascendingUntil(pages, p0, p1);
      if (k < p1) fail('trace-rule', `${row}: pages not ascending and distinct (page ${pages[k]} after ${pages[k - 1]})`);
      if (p1 > p0 && pages[p1 - 1]! >= meta.memPages) fail('trace-rule', `${row}: page ${pages[p1 - 1]} ≥ meta.memPages (${meta.memPages})`);
      if (p1 - p0 > summary.maxEpochPages) fail('trace-rule', `${row}: ${p1 - p0} pages, more than summary.maxEpochPages (${summary.maxEpochPages})`);
      for (const [sub, subOffs, what] of [[batch.comm, batch.commOffsets, 'comm'], [batch.immp, batch.immpOffsets, 'immp']] as const) {
        if (!sub) continue;
        const s0 = subOffs![i]!;
        const s1 = subOffs![i + 1]!;
        if (!(s0 >= 0 && s0 <= s1 && s1 <= sub.length)) fail('trace-rule', `${row}: ${what} offsets ${s0} … ${s1} do not lie within the batch's ${sub.length} ${what} entries`);
        let j = p0;
        let prev = -1;
        for (let q = s0; q < s1; q++) {
          const page = sub[q]!;
          if (page <= prev) fail('trace-rule', `${row}: ${what} not ascending and distinct (page ${page} after ${prev})`);
          prev = page;
          while (j < p1 && pages[j]! < page) j++;
          if (j >= p1 || pages[j] !== page) fail('trace-rule', `${row}: ${what} page ${page} is not in pages`);
        }
      }
    }
    if (epochs === 0 && n > 0 && tUs[0] !== summary.firstUs) fail('trace-rule', `${name}: its first epoch starts at ${tUs[0]} µs, summary.firstUs says ${summary.firstUs}`);
    epochs += n;
    events += offsets[n]! - offsets[0]!;
    if (epochs > summary.epochs) fail('trace-rule', `${name}: its batches hold more epochs than summary.epochs (${summary.epochs})`);
    index++;
    Object.assign(s, { batches: index, epochs, events, lastUs });
    yield batch;
  }
  // Every batch of the pass is now checked: the running counts are the totals.
  ({ epochs, events, lastUs } = s);
  if (epochs !== summary.epochs) fail('trace-rule', `${name}: its batches hold ${epochs} epochs, summary.epochs says ${summary.epochs}`);
  if (events !== summary.events) fail('trace-rule', `${name}: its batches hold ${events} page writes, summary.events says ${summary.events}`);
  if (lastUs !== summary.lastUs) fail('trace-rule', `${name}: its last epoch starts at ${lastUs} µs, summary.lastUs says ${summary.lastUs}`);
}

// ---------------------------------------------------------------------------------------
// Byte sources.

const sourcesMadeHere = new WeakSet<object>();

/** Remember a ByteSource the library made (bytesSource, fileSource): its reads need no checking. */
export function madeSource<T extends ByteSource>(src: T): T {
  sourcesMadeHere.add(src);
  return src;
}

const SOURCE_RULE = 'a ByteSource { name, size, chunks(from), read(from, length) } such as bytesSource(name, bytes)';

/** A ByteSource checked: its shape now, and (for one not made here) what each read returns. */
export function usableSource(fn: string, src: unknown, what = 'source'): ByteSource {
  if (sourcesMadeHere.has(src as object)) return src as ByteSource;
  if (typeof src === 'string' || src instanceof URL) {
    fail('usage', `${fn}: ${what} must be ${SOURCE_RULE}, not a path (got ${shown(String(src))}): in Node, the openTrace of 'migreplay/node' opens paths; elsewhere read the bytes and pass bytesSource(name, bytes)`);
  }
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) {
    fail('usage', `${fn}: ${what} must be ${SOURCE_RULE} (got ${shown(src)}): wrap bytes as bytesSource(name, bytes)`);
  }
  if (!isObject(src)) bad(fn, what, SOURCE_RULE, src);
  str(fn, `${what}.name`, src.name);
  int(fn, `${what}.size`, src.size, 0);
  func(fn, `${what}.chunks`, src.chunks);
  func(fn, `${what}.read`, src.read);
  const own = src as unknown as ByteSource;
  const label = `${fn}: ${what} '${own.name}'`;
  const bytes = (v: unknown, call: string): Uint8Array => {
    if (!(v instanceof Uint8Array)) fail('usage', `${label}: ${call} returned ${shown(v)}, not a Uint8Array`);
    return v;
  };
  return {
    name: own.name,
    size: own.size,
    read(from, length) {
      const out = bytes(own.read(from, length), `read(${from}, ${length})`);
      if (out.byteLength > length) fail('usage', `${label}: read(${from}, ${length}) returned ${out.byteLength} bytes, more than the ${length} asked for`);
      return out;
    },
    *chunks(from) {
      const it = own.chunks(from) as Iterable<Uint8Array> | undefined;
      if (!it || typeof it[Symbol.iterator] !== 'function') fail('usage', `${label}: chunks(${from}) returned ${shown(it)}, not an iterable of Uint8Array`);
      for (const c of it) yield bytes(c, `chunks(${from})`);
    },
  };
}

/** Bytes in memory as a ByteSource (anywhere: browsers too). */
export function bytesSource(name: string, bytes: Uint8Array, chunkSize = 1 << 22): ByteSource {
  str('bytesSource', 'name', name);
  if (!(bytes instanceof Uint8Array)) {
    if (bytes as unknown instanceof ArrayBuffer) bad('bytesSource', 'bytes', 'a Uint8Array (wrap an ArrayBuffer as new Uint8Array(buffer))', bytes);
    bad('bytesSource', 'bytes', 'a Uint8Array', bytes);
  }
  int('bytesSource', 'chunkSize', chunkSize, 1);
  return madeSource(bytesSourceImpl(name, bytes, chunkSize));
}

/** The options of openTrace, checked. */
function openOptions(fn: string, o: unknown): OpenOptions {
  const given = options(fn, 'options', o, ['keepDecodedBytes']);
  const keep = given.keepDecodedBytes;
  if (keep !== undefined && !(typeof keep === 'number' && keep >= 0)) bad(fn, 'options.keepDecodedBytes', 'a number of bytes ≥ 0 (Infinity: keep any size)', keep);
  return keep === undefined ? {} : { keepDecodedBytes: keep as number };
}

/** Open and validate a trace from a ByteSource (Arrow IPC file or stream); a path needs 'migreplay/node'. */
export function openTrace(source: ByteSource, options?: OpenOptions): Trace {
  return openTraceFrom('openTrace', source, options);
}

/** openTrace under another function's name (for messages). */
export function openTraceFrom(fn: string, source: unknown, options: unknown): Trace {
  const src = usableSource(fn, source);
  return madeTrace(openTraceImpl(src, openOptions(fn, options)));
}

/** The same trace with its epochs decoded once and kept in memory: fast repeated replays. */
export function decodedTrace(trace: Trace): Trace {
  const source = usableTrace('decodedTrace', trace);
  const batches: EpochBatch[] = [...source.batches()];
  const mine = madeHere.has(trace);
  return madeTrace({
    name: source.name,
    meta: mine ? source.meta : { ...source.meta, raw: { ...source.meta.raw } },
    summary: mine ? source.summary : { ...source.summary },
    batches: () => batches,
  });
}

// ---------------------------------------------------------------------------------------
// Statistics and down-sampling.

/** A trace's statistics (what `migreplay inspect` prints), in one pass with the kernel's bitmaps. */
export function traceStats(trace: Trace, kernel: Kernel, windowsS?: readonly number[]): TraceStats {
  const t = usableTrace('traceStats', trace);
  const k = usableKernel('traceStats', kernel);
  if (windowsS === undefined) return traceStatsImpl(t, k);
  const w = windowsS as unknown;
  if (!Array.isArray(w) || w.length === 0 || !w.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    bad('traceStats', 'windowsS', 'a non-empty array of window lengths in seconds, each a finite number > 0', w);
  }
  return traceStatsImpl(t, k, w);
}

/** The epochs of a trace merged `factor` at a time (what a dirty log read factor times less often records). */
export function downsampleEpochs(trace: Trace, factor: number): Generator<MergedEpoch> {
  const t = usableTrace('downsampleEpochs', trace);
  int('downsampleEpochs', 'factor', factor, 1);
  return downsampleEpochsImpl(t, factor);
}

// ---------------------------------------------------------------------------------------
// Writing traces.

const HEADER_KEYS = ['memPages', 'pageSize', 'intervalUs', 'durationUs', 'source', 'workload', 'description', 'extra', 'metadata', 'hasComm', 'hasImmp'];

/** A trace header, checked: what the reader will require of the file. */
function checkHeader(fn: string, h: unknown): TraceHeader {
  if (h === undefined) bad(fn, 'header', 'a trace header { memPages, pageSize, … }', h);
  const given = options(fn, 'header', h, HEADER_KEYS);
  int(fn, 'header.memPages', given.memPages, 1, MAX_MEM_PAGES);
  int(fn, 'header.pageSize', given.pageSize, 1);
  optionalInt(fn, 'header.intervalUs', given.intervalUs, 1);
  optionalInt(fn, 'header.durationUs', given.durationUs, 1);
  for (const k of ['source', 'workload', 'description'] as const) if (given[k] !== undefined) str(fn, `header.${k}`, given[k], true);
  for (const k of ['hasComm', 'hasImmp'] as const) if (given[k] !== undefined && typeof given[k] !== 'boolean') bad(fn, `header.${k}`, 'true or false', given[k]);
  if (given.extra !== undefined && !(isPlainObject(given.extra) && Object.values(given.extra).every((v) => typeof v === 'string'))) {
    bad(fn, 'header.extra', 'an object of string values', given.extra);
  }
  if (given.metadata !== undefined) {
    const md = given.metadata;
    if (!(md instanceof Map) || ![...md].every(([k, v]) => typeof k === 'string' && typeof v === 'string')) bad(fn, 'header.metadata', 'a Map of strings to strings', md);
    if (md.get('mem_pages') !== String(given.memPages)) fail('usage', `${fn}: header.metadata's mem_pages (${shown(md.get('mem_pages'))}) must equal header.memPages (${given.memPages})`);
    if ((md.get('page_size') ?? '4096') !== String(given.pageSize)) fail('usage', `${fn}: header.metadata's page_size (${shown(md.get('page_size') ?? '4096')}) must equal header.pageSize (${given.pageSize})`);
  }
  return h as TraceHeader;
}

/** Writer options, checked. */
function checkWriterOptions(fn: string, o: unknown): TraceWriterOptions {
  const given = options(fn, 'options', o, ['form', 'compression', 'batchPages']);
  if (given.form !== undefined) oneOf(fn, 'options.form', given.form, ['file', 'stream']);
  if (given.compression !== undefined) oneOf(fn, 'options.compression', given.compression, ['none', 'zstd', 'lz4']);
  if (given.compression === 'zstd' && typeof compressionRegistry.get(CompressionType.ZSTD)?.encode !== 'function') {
    fail('usage', `${fn}: options.compression 'zstd' needs the ZSTD encoder: await enableZstdEncoder() first`);
  }
  if (given.batchPages !== undefined) int(fn, 'options.batchPages', given.batchPages, 1);
  return given as TraceWriterOptions;
}

/** The sink, header and options of a writer, checked (TraceWriter, generateTrace). */
export function checkWriterArgs(fn: string, sink: unknown, header: unknown, opts: unknown): void {
  func(fn, 'sink', sink);
  if (header !== null) checkHeader(fn, header);
  checkWriterOptions(fn, opts);
}

/** The Arrow schema (with metadata) of a trace header. */
export function traceSchema(header: TraceHeader): ReturnType<typeof traceSchemaImpl> {
  return traceSchemaImpl(checkHeader('traceSchema', header));
}

const isList = (v: unknown): v is ArrayLike<number> => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));

/** Streams epochs into an Arrow IPC trace through a byte sink, refusing what the reader would refuse. */
export class TraceWriter extends TraceWriterImpl {
  #closed = false;
  #lastUs = -1;

  constructor(sink: (chunk: Uint8Array) => void, header: TraceHeader, options: TraceWriterOptions = {}) {
    checkWriterArgs('TraceWriter', sink, header, options);
    super(sink, header, options);
  }

  /** Add one epoch: its start (µs, increasing), its pages (ascending, distinct, < memPages), and the comm/immp subsets the header has. */
  override epoch(tUs: number, pages: ArrayLike<number>, comm?: ArrayLike<number>, immp?: ArrayLike<number>): void {
    const fn = 'TraceWriter.epoch';
    if (this.#closed) fail('usage', `${fn}: the writer is closed`);
    if (typeof tUs !== 'number' || !Number.isSafeInteger(tUs) || tUs < 0) bad(fn, 'tUs', 'a whole number of µs ≥ 0', tUs);
    if (tUs <= this.#lastUs) fail('usage', `${fn}: tUs = ${tUs} does not increase (previous ${this.#lastUs})`);
    const d = this.header.durationUs;
    if (d !== undefined && tUs >= d) fail('usage', `${fn}: tUs = ${tUs} is not before header.durationUs (${d})`);
    const memPages = this.header.memPages;
    const ascending = (list: unknown, what: string): ArrayLike<number> => {
      if (!isList(list)) bad(fn, what, 'an array or typed array of page numbers', list);
      let prev = -1;
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        if (!Number.isInteger(p) || p < 0 || p >= memPages) fail('usage', `${fn}: ${what}[${i}] = ${shown(p)} is not a page number (a whole number from 0 to memPages − 1 = ${memPages - 1})`);
        if (p <= prev) fail('usage', `${fn}: ${what} not ascending and distinct (page ${p} after ${prev})`);
        prev = p;
      }
      return list;
    };
    ascending(pages, 'pages');
    for (const [sub, what, has] of [[comm, 'comm', this.header.hasComm], [immp, 'immp', this.header.hasImmp]] as const) {
      if (sub === undefined) continue;
      if (!has) fail('usage', `${fn}: ${what} given, but the header has no ${what === 'comm' ? 'hasComm' : 'hasImmp'}: true`);
      ascending(sub, what);
      const all = new Set(Array.from(pages));
      for (let i = 0; i < sub.length; i++) if (!all.has(sub[i]!)) fail('usage', `${fn}: ${what} page ${sub[i]} is not in pages`);
    }
    this.#lastUs = tUs;
    super.epoch(tUs, pages, comm, immp);
  }

  /** Write the buffered epochs as one record batch. */
  override flush(): void {
    if (this.#closed) fail('usage', 'TraceWriter.flush: the writer is closed');
    super.flush();
  }

  /** Write what is buffered and the end of the trace (footer or end-of-stream marker). */
  override close(): void {
    if (this.#closed) fail('usage', 'TraceWriter.close: the writer is already closed');
    super.close();
    this.#closed = true;
  }
}

/** Load the ZSTD encoder (async wasm init) so traces can be written ZSTD-compressed. */
export async function enableZstdEncoder(level = 9): Promise<void> {
  int('enableZstdEncoder', 'level', level, 1, 22);
  return enableZstdEncoderImpl(level);
}
