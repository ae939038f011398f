// Reads traces (Arrow IPC file or stream form, plain or ZSTD/LZ4 bodies) batch by
// batch and checks every rule of the schema. No Node imports: bytes come from a
// ByteSource (src/trace/node.ts for files, bytesSource() for memory).
import { RecordBatchReader, Type, type Data, type DataType, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { fail, MigreplayError } from '../errors.js';
import { registerCodecs } from './codecs.js';
import {
  COLUMNS, DEFAULT_PAGE_SIZE, MAX_MEM_PAGES, META_KEYS, SCHEMA_VERSION,
  type EpochBatch, type TraceMeta, type TraceSummary,
} from './schema.js';

/** Where trace bytes come from: a name for messages and a way to read them from the start, as often as needed. */
export interface ByteSource {
  name: string;
  /** Total size in bytes. */
  size: number;
  /** Chunks from byte `from` to the end. */
  chunks(from: number): Iterable<Uint8Array>;
  /** Bytes [from, from+length). */
  read(from: number, length: number): Uint8Array;
}

/** A validated trace: metadata, summary, and fresh passes over its epochs. */
export interface Trace {
  name: string;
  meta: TraceMeta;
  summary: TraceSummary;
  /** A fresh pass over the epochs, batch by batch, from the start. */
  batches(): Iterable<EpochBatch>;
}

const MAGIC = 'ARROW1';

/** A ByteSource over bytes in memory. */
export function bytesSource(name: string, bytes: Uint8Array, chunkSize = 1 << 22): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    *chunks(from) {
      for (let at = from; at < bytes.byteLength; at += chunkSize) yield bytes.subarray(at, Math.min(at + chunkSize, bytes.byteLength));
    },
    read: (from, length) => bytes.subarray(from, from + length),
  };
}

function hasMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

// The IPC file form is the stream form behind an 8-byte magic, then a footer:
// reading it as a stream keeps memory bounded; the trailing magic proves it is whole.
function streamStart(src: ByteSource): number {
  if (src.size === 0) fail('not-arrow', `${src.name}: empty file, not an Arrow IPC trace`);
  if (!hasMagic(src.read(0, 6))) return 0;
  if (src.size < 14 || !hasMagic(src.read(src.size - 6, 6))) {
    fail('truncated', `${src.name}: Arrow IPC file is truncated (no footer); the capture or copy did not finish`);
  }
  return 8;
}

// Files whose stream part lacks the schema message (apache-arrow's own file writer)
// are read through their footer, which needs the whole file in memory.
const WHOLE_FILE_LIMIT = 2 ** 31 - 1;

function openReader(src: ByteSource): RecordBatchReader {
  registerCodecs();
  const start = streamStart(src);
  let reader: RecordBatchReader | undefined;
  let problem = 'no schema message';
  try {
    reader = RecordBatchReader.from(src.chunks(start)) as RecordBatchReader;
    reader.open();
  } catch (e) {
    problem = oneLine(e);
    reader = undefined;
  }
  if (!reader?.schema) {
    if (start === 0 || src.size > WHOLE_FILE_LIMIT) return fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (${problem})`);
    try {
      reader = RecordBatchReader.from(src.read(0, src.size)) as RecordBatchReader;
      reader.open();
    } catch (e2) {
      return fail('not-arrow', `${src.name}: not a readable Arrow IPC file (${oneLine(e2)})`);
    }
  }
  if (!reader.schema) fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (no schema message)`);
  return reader;
}

function oneLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!.slice(0, 200);
}

function metaNumber(src: string, raw: Record<string, string>, key: string, required: boolean, min: number): number | undefined {
  const text = raw[key];
  if (text === undefined) {
    if (required) fail('schema', `${src}: schema metadata lacks '${key}' (required)`);
    return undefined;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    fail('schema', `${src}: schema metadata '${key}' = '${text}' is not an integer ≥ ${min}`);
  }
  return value;
}

/** Parse and check the schema-level metadata of a trace. */
export function parseMeta(src: string, metadata: Map<string, string>): TraceMeta {
  const raw: Record<string, string> = {};
  for (const [k, v] of metadata) raw[k] = v;
  const version = raw[META_KEYS.schema];
  if (version !== undefined && version !== SCHEMA_VERSION) {
    fail('schema', `${src}: trace schema version '${version}' is not supported (this build reads ${SCHEMA_VERSION})`);
  }
  const memPages = metaNumber(src, raw, META_KEYS.memPages, true, 1)!;
  if (memPages > MAX_MEM_PAGES) {
    fail('too-large', `${src}: mem_pages = ${memPages} is beyond what a replay can hold (at most ${MAX_MEM_PAGES} pages in wasm32 memory)`);
  }
  const meta: TraceMeta = {
    pageSize: metaNumber(src, raw, META_KEYS.pageSize, false, 1) ?? DEFAULT_PAGE_SIZE,
    memPages,
    intervalUs: metaNumber(src, raw, META_KEYS.intervalUs, false, 1),
    durationUs: metaNumber(src, raw, META_KEYS.durationUs, false, 1),
    raw,
  };
  for (const key of ['source', 'workload', 'description'] as const) if (raw[META_KEYS[key]] !== undefined) meta[key] = raw[META_KEYS[key]];
  return meta;
}

function isUint32List(type: DataType): boolean {
  if (type.typeId !== Type.List) return false;
  const child = type.children[0]?.type;
  return child !== undefined && child.typeId === Type.Int && (child as any).bitWidth === 32 && !(child as any).isSigned;
}

function checkSchema(src: string, schema: Schema): void {
  const field = (name: string): Field | undefined => schema.fields.find((f) => f.name === name);
  const t = field(COLUMNS.t);
  if (!t) fail('schema', `${src}: no '${COLUMNS.t}' column`);
  if (t.type.typeId !== Type.Int || (t.type as any).bitWidth !== 64) {
    fail('schema', `${src}: column '${COLUMNS.t}' is ${t.type}, expected Int64 or Uint64`);
  }
  const pages = field(COLUMNS.pages);
  if (!pages) fail('schema', `${src}: no '${COLUMNS.pages}' column`);
  for (const name of [COLUMNS.pages, COLUMNS.comm, COLUMNS.immp]) {
    const f = field(name);
    if (f && !isUint32List(f.type)) fail('schema', `${src}: column '${name}' is ${f.type}, expected List<Uint32>`);
  }
}

interface ListColumn { offsets: Int32Array; values: Uint32Array }

function listColumn(src: string, batchIndex: number, batch: RecordBatch, name: string): ListColumn | undefined {
  const vector = batch.getChild(name);
  if (!vector) return undefined;
  const data = vector.data[0] as Data;
  const child = data.children[0]!;
  if (data.nullCount > 0 || child.nullCount > 0) fail('trace-rule', `${src}: batch ${batchIndex}: column '${name}' has nulls`);
  const raw = data.valueOffsets.subarray(data.offset, data.offset + data.length + 1) as Int32Array;
  const base = raw[0]!;
  const values = (child.values as Uint32Array).subarray(child.offset + base, child.offset + raw[data.length]!);
  let offsets = raw;
  if (base !== 0) {
    offsets = new Int32Array(raw.length);
    for (let i = 0; i < raw.length; i++) offsets[i] = raw[i]! - base;
  }
  return { offsets, values };
}

function decodeBatch(src: string, batchIndex: number, batch: RecordBatch): EpochBatch {
  const length = batch.numRows;
  // apache-arrow yields an empty batch without column data for a stream with no record batches.
  if (length === 0) return { length: 0, tUs: new Float64Array(0), offsets: new Int32Array(1), pages: new Uint32Array(0) };
  const tData = batch.getChild(COLUMNS.t)!.data[0] as Data;
  if (tData.nullCount > 0) fail('trace-rule', `${src}: batch ${batchIndex}: column '${COLUMNS.t}' has nulls`);
  const t64 = (tData.values as BigInt64Array | BigUint64Array).subarray(tData.offset, tData.offset + length);
  const tUs = new Float64Array(length);
  for (let i = 0; i < length; i++) tUs[i] = Number(t64[i]!);
  const pages = listColumn(src, batchIndex, batch, COLUMNS.pages)!;
  const comm = listColumn(src, batchIndex, batch, COLUMNS.comm);
  const immp = listColumn(src, batchIndex, batch, COLUMNS.immp);
  return {
    length, tUs, offsets: pages.offsets, pages: pages.values,
    commOffsets: comm?.offsets, comm: comm?.values,
    immpOffsets: immp?.offsets, immp: immp?.values,
  };
}

function* decodeAll(src: ByteSource, reader: RecordBatchReader): Iterable<EpochBatch> {
  let index = 0;
  const it = reader[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<RecordBatch>;
    try {
      next = it.next();
    } catch (e) {
      if (e instanceof MigreplayError) throw e;
      return fail('truncated', `${src.name}: batch ${index}: cannot decode (${oneLine(e)}); the trace is truncated or corrupt`);
    }
    if (next.done) return;
    yield decodeBatch(src.name, index++, next.value);
  }
}

// Every in-epoch list rule: ascending, distinct, < memPages; subset lists inside pages.
function checkSubset(src: string, where: string, name: string, pages: Uint32Array, p0: number, p1: number, sub: Uint32Array, s0: number, s1: number): void {
  let j = p0;
  let prev = -1;
  for (let i = s0; i < s1; i++) {
    const page = sub[i]!;
    if (page <= prev) fail('trace-rule', `${src}: ${where}: ${name} not ascending and distinct (page ${page} after ${prev})`);
    prev = page;
    while (j < p1 && pages[j]! < page) j++;
    if (j >= p1 || pages[j] !== page) fail('trace-rule', `${src}: ${where}: ${name} page ${page} is not in pages`);
  }
}

/** Open a trace: parse its schema and metadata and check every epoch, in one bounded-memory pass. */
export function openTrace(src: ByteSource): Trace {
  const reader = openReader(src);
  const schema = reader.schema;
  checkSchema(src.name, schema);
  const meta = parseMeta(src.name, schema.metadata);
  const summary: TraceSummary = {
    epochs: 0, events: 0, firstUs: 0, lastUs: -1, durationUs: 0, durationInferred: false,
    maxEpochPages: 0, maxBatchPages: 0,
    hasComm: schema.fields.some((f) => f.name === COLUMNS.comm),
    hasImmp: schema.fields.some((f) => f.name === COLUMNS.immp),
  };
  let prevT = -1;
  let secondLastT = -1;
  let batchIndex = 0;
  for (const b of decodeAll(src, reader)) {
    for (let i = 0; i < b.length; i++) {
      const row = summary.epochs + i;
      const where = `batch ${batchIndex}, row ${row}`;
      const t = b.tUs[i]!;
      if (!(t >= 0) || !Number.isSafeInteger(t)) fail('trace-rule', `${src.name}: ${where}: t_us = ${t} is negative or too large`);
      if (t <= prevT) fail('trace-rule', `${src.name}: ${where}: t_us = ${t} does not increase (previous ${prevT})`);
      secondLastT = prevT;
      prevT = t;
      const p0 = b.offsets[i]!;
      const p1 = b.offsets[i + 1]!;
      let prev = -1;
      for (let k = p0; k < p1; k++) {
        const page = b.pages[k]!;
        if (page <= prev) fail('trace-rule', `${src.name}: ${where}: pages not ascending and distinct (page ${page} after ${prev})`);
        prev = page;
      }
      if (prev >= meta.memPages) fail('trace-rule', `${src.name}: ${where}: page ${prev} ≥ mem_pages (${meta.memPages})`);
      if (b.comm) checkSubset(src.name, where, COLUMNS.comm, b.pages, p0, p1, b.comm, b.commOffsets![i]!, b.commOffsets![i + 1]!);
      if (b.immp) checkSubset(src.name, where, COLUMNS.immp, b.pages, p0, p1, b.immp, b.immpOffsets![i]!, b.immpOffsets![i + 1]!);
      summary.maxEpochPages = Math.max(summary.maxEpochPages, p1 - p0);
    }
    if (summary.epochs === 0 && b.length > 0) summary.firstUs = b.tUs[0]!;
    summary.epochs += b.length;
    summary.events += b.pages.length;
    summary.maxBatchPages = Math.max(summary.maxBatchPages, b.pages.length);
    batchIndex++;
  }
  if (summary.epochs === 0) fail('trace-rule', `${src.name}: the trace has no epochs`);
  summary.lastUs = prevT;
  if (meta.durationUs !== undefined) {
    if (meta.durationUs <= prevT) fail('schema', `${src.name}: duration_us = ${meta.durationUs} does not lie after the last epoch (t_us = ${prevT})`);
    summary.durationUs = meta.durationUs;
  } else {
    // The last epoch lasts one nominal interval, else as long as the one before it.
    const last = meta.intervalUs ?? (secondLastT >= 0 ? prevT - secondLastT : undefined);
    if (last === undefined) fail('schema', `${src.name}: one epoch and neither duration_us nor interval_us: the trace's length is unknown`);
    summary.durationUs = prevT + last;
    summary.durationInferred = true;
  }
  return {
    name: src.name,
    meta,
    summary,
    batches: () => decodeAll(src, openReader(src)),
  };
}
