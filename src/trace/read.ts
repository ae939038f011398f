// Reads traces (Arrow IPC file or stream form, plain or ZSTD/LZ4 bodies) batch by
// batch and checks every rule of the schema. No Node imports: bytes come from a
// ByteSource (src/trace/node.ts for files, bytesSource() for memory).
import { parseDataPages } from './data-pages.js';
import {
  compressionRegistry, Message, MessageHeader, RecordBatchReader, Type,
  type Data, type DataType, type Field, type RecordBatch, type Schema,
} from 'apache-arrow';
import { ByteBuffer } from 'flatbuffers';
import { fail, MigreplayError } from '../errors.js';
import { Broken, hasArrowMagic, int32At, readFrame, type Frame } from '../io/ipc.js';
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

// The IPC file form is the stream form behind an 8-byte magic, then a footer:
// reading it as a stream keeps memory bounded; the trailing magic proves it is whole.
function streamStart(src: ByteSource): number {
  if (src.size === 0) fail('not-arrow', `${src.name}: empty file, not an Arrow IPC trace`);
  if (!hasArrowMagic(src.read(0, 6))) return 0;
  if (src.size < 14 || !hasArrowMagic(src.read(src.size - 6, 6))) {
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
    problem = detail(e);
    reader = undefined;
  }
  if (!reader?.schema) {
    if (start === 0 || src.size > WHOLE_FILE_LIMIT) return fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (${problem})`);
    try {
      reader = RecordBatchReader.from(src.read(0, src.size)) as RecordBatchReader;
      reader.open();
      checkFooterBlocks(src, reader);
    } catch (e2) {
      return fail('not-arrow', `${src.name}: not a readable Arrow IPC file (${detail(e2, 'its footer or schema does not decode')})`);
    }
  }
  if (!reader.schema) fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (no schema message)`);
  return reader;
}

// apache-arrow's file reader re-reads the same footer block forever when it points at
// a message that is not a record batch (a corrupt footer or file): check each first.
function checkFooterBlocks(src: ByteSource, reader: RecordBatchReader): void {
  const footer = reader.footer;
  if (!footer) return;
  for (let i = 0; i < footer.numRecordBatches; i++) {
    const at = Number(footer.getRecordBatch(i)?.offset ?? -1);
    const f = at >= 0 ? frameAt(src, at, src.size) : 'end';
    if (f === 'end' || f instanceof Broken || f.message.headerType !== MessageHeader.RecordBatch) throw new Error(`the footer's record batch ${i} is not a record batch message`);
  }
}

function oneLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!.slice(0, 200);
}

// Details migreplay words itself (the flatbuffers guard, the LZ4 frame walk, the footer
// check): kept in messages. Any other exception's text (apache-arrow's, V8's) is not a
// message for users: it is replaced by what it means.
const OWN_DETAIL = /^(corrupt |the footer's record batch)/;

/** The detail of an error while decoding, in migreplay's words. */
function detail(e: unknown, otherwise = 'its bytes are not valid Arrow data'): string {
  if (e instanceof MigreplayError) throw e;
  const text = oneLine(e);
  return OWN_DETAIL.test(text) ? text : otherwise;
}

// ---------------------------------------------------------------------------------------
// The structure of the bytes, checked once when a trace is opened, before apache-arrow or
// the direct reader decode anything: every IPC message is framed within the bytes there
// are, the stream has one schema, at its start (or, for apache-arrow's own files, the
// footer holds it), every record batch's buffers lie inside its body, and the schema's
// metadata has each key once. What breaks one of these is said in migreplay's words:
// apache-arrow would otherwise read a second schema as a change of columns, a negative
// buffer offset as one counted from the end of the body, a repeated key as its last value.

// Read ahead this many bytes with each message's prefix: its metadata nearly always fits.
const METADATA_READ = 4096;

/** The message at `pos` of a source whose stream part ends at `limit` (src/io/ipc.ts). */
function frameAt(src: ByteSource, pos: number, limit: number): Frame | 'end' | Broken {
  return readFrame((from, length) => src.read(from, length), pos, limit, METADATA_READ);
}

/** The decoded header of a message, or undefined when its flatbuffer does not decode. */
function headerOf<T>(frame: Frame): T | undefined {
  try {
    return frame.message.header() as T;
  } catch {
    return undefined;
  }
}

// The few flatbuffer fields read here, straight from the bytes (the vtable slots of Arrow's
// Message.fbs, Schema.fbs and File.fbs: slot = 4 + 2 × field index): Message.header (2),
// Schema.custom_metadata (2), KeyValue.key (0), Footer.schema (1), Footer.recordBatches (3),
// a Block struct of 24 bytes (offset: long at 0). apache-arrow decodes metadata into a Map.
const SLOT = { messageHeader: 8, schemaMetadata: 8, keyValueKey: 4, footerSchema: 6, footerBatches: 10 } as const;

/** The root table of a flatbuffer. */
const fbRoot = (bb: ByteBuffer): number => bb.readInt32(bb.position()) + bb.position();
/** The table a field points at, or 0 when the field is absent. */
function fbTable(bb: ByteBuffer, table: number, slot: number): number {
  const o = bb.__offset(table, slot);
  return o ? bb.__indirect(table + o) : 0;
}
/** Where a vector field's entries start and how many there are (none when absent). */
function fbVector(bb: ByteBuffer, table: number, slot: number): { start: number; length: number } {
  const o = bb.__offset(table, slot);
  return o ? { start: bb.__vector(table + o), length: bb.__vector_len(table + o) } : { start: 0, length: 0 };
}

/** The metadata keys of the Schema table at `schema`, as stored, repeats included (a Map would keep one of each). */
function rawMetadataKeys(bb: ByteBuffer, schema: number): (string | null)[] {
  const keys: (string | null)[] = [];
  const v = fbVector(bb, schema, SLOT.schemaMetadata);
  for (let i = 0; i < v.length; i++) {
    const kv = bb.__indirect(v.start + 4 * i);
    const o = bb.__offset(kv, SLOT.keyValueKey);
    keys.push(o ? (bb.__string(kv + o) as string) : null);
  }
  return keys;
}

/**
 * For each buffer and field node of a record batch of this schema, the top-level column
 * it belongs to (depth first, as the IPC format lays them out); undefined for a type whose
 * layout is not spelled out here (the counts are then not checked).
 */
function columnLayout(schema: Schema): { buffers: string[]; nodes: number } | undefined {
  const buffers: string[] = [];
  let nodes = 0;
  const visit = (type: DataType, column: string): boolean => {
    nodes++;
    const own = (n: number) => { for (let i = 0; i < n; i++) buffers.push(column); };
    const children = () => Array.isArray(type.children) && type.children.length > 0 && type.children.every((c) => c?.type !== undefined && visit(c.type, column));
    switch (type.typeId) {
      case Type.Null: return true;
      case Type.Int: case Type.Float: case Type.Bool: case Type.Decimal: case Type.Date: case Type.Time:
      case Type.Timestamp: case Type.Interval: case Type.Duration: case Type.FixedSizeBinary: case Type.Dictionary:
        own(2);
        return true;
      case Type.Utf8: case Type.Binary: case Type.LargeUtf8: case Type.LargeBinary:
        own(3);
        return true;
      case Type.List: case Type.LargeList: case Type.Map:
        own(2);
        return children();
      case Type.FixedSizeList: case Type.Struct:
        own(1);
        return children();
      default:
        return false;
    }
  };
  try {
    for (const f of schema.fields) if (!visit(f.type, f.name)) return undefined;
  } catch {
    return undefined; // a malformed type (a corrupt schema): checkSchema says what is wrong with it
  }
  return { buffers, nodes };
}

/** A record batch message's field nodes and buffers, checked against its body and the schema. */
function checkBatchFrame(name: string, k: number, frame: Frame, layout: ReturnType<typeof columnLayout>): void {
  const corrupt = (why: string): never => fail('truncated', `${name}: batch ${k}: ${why}; the trace is truncated or corrupt`);
  const rb = headerOf<{ length: number; nodes: { length: number; nullCount: number }[]; buffers: { offset: number; length: number }[] }>(frame);
  if (!rb || !Array.isArray(rb.nodes) || !Array.isArray(rb.buffers)) return corrupt('cannot decode (message metadata that does not decode)');
  // Arrow JS counts rows and list entries in 32-bit integers (and its bit routines recurse forever beyond).
  const MAX_ROWS = 2 ** 31 - 1;
  if (!Number.isSafeInteger(rb.length) || rb.length < 0 || rb.length > MAX_ROWS) corrupt(`cannot decode (a row count of ${rb.length})`);
  if (layout && (rb.nodes.length !== layout.nodes || rb.buffers.length !== layout.buffers.length)) {
    corrupt(`cannot decode (its message lays out ${rb.nodes.length} field nodes and ${rb.buffers.length} buffers, the schema's columns ${layout.nodes} and ${layout.buffers.length})`);
  }
  rb.nodes.forEach((node, i) => {
    if (!(Number.isSafeInteger(node.length) && Number.isSafeInteger(node.nullCount) && node.length >= 0 && node.length <= MAX_ROWS && node.nullCount >= 0 && node.nullCount <= node.length)) {
      corrupt(`cannot decode (field node ${i} has length ${node.length} and ${node.nullCount} nulls)`);
    }
  });
  rb.buffers.forEach((b, i) => {
    if (!(Number.isSafeInteger(b.offset) && Number.isSafeInteger(b.length) && b.offset >= 0 && b.length >= 0 && b.offset + b.length <= frame.bodyLength)) {
      const column = layout ? ` (column '${shown(layout.buffers[i]!)}')` : '';
      corrupt(`buffer ${i}${column} lies outside the message body (offset ${b.offset}, length ${b.length}; the body has ${frame.bodyLength} bytes)`);
    }
  });
}

/** Which messages may stand where a record batch does. */
function checkBatchType(name: string, k: number, frame: Frame): 'batch' | 'dictionary' {
  const type = frame.message.headerType;
  if (type === MessageHeader.RecordBatch) return 'batch';
  if (type === MessageHeader.DictionaryBatch) return 'dictionary';
  if (type === MessageHeader.Schema) fail('schema', `${name}: a second schema message after ${k} record batch${k === 1 ? '' : 'es'} (a trace has one schema, at its start)`);
  return fail('truncated', `${name}: batch ${k}: a ${MessageHeader[type] ?? 'unknown'} message where a record batch belongs; the trace is truncated or corrupt`);
}

/**
 * Check the structure of the bytes (see above) and the schema's metadata keys; one-line
 * errors in migreplay's words. Reads every message's metadata, not the bodies.
 */
function checkStructure(src: ByteSource): void {
  registerCodecs(); // and the flatbuffers guard: the metadata read here has lengths to bound
  const start = streamStart(src);
  const limit = streamLimit(src, start);
  const first = frameAt(src, start, limit);
  if (!(first instanceof Broken) && first !== 'end' && first.message.headerType === MessageHeader.Schema) {
    const schema = headerOf<Schema>(first);
    let keys: (string | null)[] | undefined;
    try {
      const bb = new ByteBuffer(first.meta);
      const table = fbTable(bb, fbRoot(bb), SLOT.messageHeader);
      keys = table ? rawMetadataKeys(bb, table) : [];
    } catch {
      keys = undefined;
    }
    if (!schema || !keys) return fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (its schema message does not decode)`);
    checkMetadataKeys(src.name, keys);
    const layout = columnLayout(schema);
    let k = 0;
    for (let pos = first.end; ;) {
      const f = frameAt(src, pos, limit);
      if (f === 'end') return;
      if (f instanceof Broken) fail('truncated', `${src.name}: batch ${k}: cannot decode (${f.why}); the trace is truncated or corrupt`);
      if (checkBatchType(src.name, k, f) === 'batch') checkBatchFrame(src.name, k++, f, layout);
      pos = f.end;
    }
  }
  if (start === 0) {
    // A stream: it must start with its schema.
    if (first === 'end') fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (no schema message)`);
    if (first instanceof Broken) fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (no schema message at its start: ${first.why})`);
    fail('not-arrow', `${src.name}: not an Arrow IPC file or stream (it starts with a ${MessageHeader[first.message.headerType] ?? 'unknown'} message, not a schema)`);
  }
  checkFooterStructure(src);
}

/** The file form without a schema message after its magic (apache-arrow's own writer): the footer holds the schema and says where the batches are. */
function checkFooterStructure(src: ByteSource): void {
  const unreadable = (why: string): never => fail('not-arrow', `${src.name}: not a readable Arrow IPC file (${why})`);
  const length = int32At(src.read(src.size - 10, 4), 0);
  const footerStart = src.size - 10 - length;
  if (!(length > 0 && footerStart >= 8)) unreadable(`no schema message after its magic, and a footer length of ${length} bytes in a ${src.size}-byte file`);
  let keys: (string | null)[];
  let blocks: { offset: number }[];
  try {
    const bb = new ByteBuffer(src.read(footerStart, length));
    const footer = fbRoot(bb);
    const schema = fbTable(bb, footer, SLOT.footerSchema);
    if (!schema) throw new Error('no schema');
    keys = rawMetadataKeys(bb, schema);
    const v = fbVector(bb, footer, SLOT.footerBatches);
    if (v.start + 24 * v.length > bb.capacity()) throw new Error('record batch blocks past the footer');
    blocks = [];
    for (let i = 0; i < v.length; i++) blocks.push({ offset: Number(bb.readInt64(v.start + 24 * i)) });
  } catch {
    return unreadable('no schema message after its magic, and its footer does not decode');
  }
  checkMetadataKeys(src.name, keys);
  if (src.size > WHOLE_FILE_LIMIT) unreadable('no schema message after its magic, and at more than 2 GiB it is too large to be read through its footer');
  // The schema as apache-arrow decodes it, for the layout of the batches.
  let schema: Schema | undefined;
  try {
    const reader = RecordBatchReader.from(src.read(0, src.size)) as RecordBatchReader;
    reader.open();
    schema = reader.schema;
  } catch {
    schema = undefined;
  }
  if (!schema) return unreadable("its footer's schema does not decode");
  const layout = columnLayout(schema);
  blocks.forEach((b, k) => {
    const f = Number.isSafeInteger(b.offset) && b.offset >= 8 ? frameAt(src, b.offset, footerStart) : new Broken(`the footer places it at byte ${b.offset}`);
    if (f === 'end') fail('truncated', `${src.name}: batch ${k}: cannot decode (the footer places it at byte ${b.offset}, where no message is); the trace is truncated or corrupt`);
    if (f instanceof Broken) fail('truncated', `${src.name}: batch ${k}: cannot decode (${f.why}); the trace is truncated or corrupt`);
    if (f.message.headerType !== MessageHeader.RecordBatch) fail('truncated', `${src.name}: batch ${k}: the footer points at a ${MessageHeader[f.message.headerType] ?? 'unknown'} message, not a record batch; the trace is truncated or corrupt`);
    checkBatchFrame(src.name, k, f, layout);
  });
}

/** Each schema metadata key once: apache-arrow would keep one of the values without a word. */
function checkMetadataKeys(src: string, keys: (string | null)[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key === null) continue;
    if (seen.has(key)) fail('schema', `${src}: schema metadata key '${shown(key)}' appears more than once (each key has one value)`);
    seen.add(key);
  }
}

/** Text from the file, for a one-line message: control characters escaped, long text cut. */
function shown(value: string | null, max = 40): string {
  const text = String(value); // a key without a value decodes as null
  const cut = text.length > max;
  return JSON.stringify(cut ? text.slice(0, max) : text).slice(1, -1) + (cut ? '…' : '');
}

function metaNumber(src: string, raw: Record<string, string>, key: string, required: boolean, min: number): number | undefined {
  const text = raw[key];
  if (text === undefined) {
    if (required) fail('schema', `${src}: schema metadata lacks '${key}' (required)`);
    return undefined;
  }
  const value = Number(text);
  if (!/^\s*[0-9]+\s*$/.test(text) || value < min) {
    fail('schema', `${src}: schema metadata '${key}' = '${shown(text)}' is not an integer ≥ ${min}`);
  }
  return value;
}

/** Parse and check the schema-level metadata of a trace. */
export function parseMeta(src: string, metadata: Map<string, string>): TraceMeta {
  const raw: Record<string, string> = {};
  for (const [k, v] of metadata) raw[k] = v;
  const version = raw[META_KEYS.schema];
  if (version !== undefined && version !== SCHEMA_VERSION) {
    fail('schema', `${src}: trace schema version '${shown(version)}' is not supported (this build reads ${SCHEMA_VERSION})`);
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
  if (raw['data_pages'] !== undefined) meta.dataPages = parseDataPages(src, raw['data_pages'], memPages);
  return meta;
}

function isUint32List(type: DataType): boolean {
  if (type.typeId !== Type.List) return false;
  const child = type.children[0]?.type;
  return child !== undefined && child.typeId === Type.Int && (child as any).bitWidth === 32 && !(child as any).isSigned;
}

function checkSchema(src: string, schema: Schema): void {
  const names = new Set<string>();
  for (const f of schema.fields) {
    if (names.has(f.name)) fail('schema', `${src}: two columns named '${shown(f.name)}' (a column name is used once)`);
    names.add(f.name);
  }
  const field = (name: string): Field | undefined => schema.fields.find((f) => f.name === name);
  const t = field(COLUMNS.t);
  if (!t) fail('schema', `${src}: no '${COLUMNS.t}' column`);
  if (t.type.typeId !== Type.Int || (t.type as any).bitWidth !== 64) {
    fail('schema', `${src}: column '${COLUMNS.t}' is ${typeName(t.type)}, expected Int64 or Uint64`);
  }
  const pages = field(COLUMNS.pages);
  if (!pages) fail('schema', `${src}: no '${COLUMNS.pages}' column`);
  for (const name of [COLUMNS.pages, COLUMNS.comm, COLUMNS.immp]) {
    const f = field(name);
    if (f && !isUint32List(f.type)) fail('schema', `${src}: column '${name}' is ${typeName(f.type)}, expected List<Uint32>`);
  }
}

/** A type as apache-arrow names it; a corrupt one (a List without its item field) cannot name itself. */
function typeName(type: DataType): string {
  try {
    const name = String(type);
    if (/undefined|null|NaN/.test(name)) throw new Error(name); // a field of the type is corrupt: Timestamp<undefined>
    return shown(name, 80);
  } catch {
    return `a malformed ${Type[type.typeId] ?? 'unknown'} type`;
  }
}

interface ListColumn { offsets: Int32Array; values: Uint32Array }

function listColumn(src: string, batchIndex: number, batch: RecordBatch, name: string): ListColumn | undefined {
  const vector = batch.getChild(name);
  if (!vector) return undefined;
  const data = vector.data[0] as Data;
  const child = data.children[0]!;
  if (data.nullCount > 0 || child.nullCount > 0) fail('trace-rule', `${src}: batch ${batchIndex}: column '${name}' has nulls`);
  if (data.length !== batch.numRows || !data.valueOffsets || data.valueOffsets.length < data.offset + data.length + 1) {
    fail('truncated', `${src}: batch ${batchIndex}: column '${name}' does not hold a list for each of the batch's ${batch.numRows} rows; the trace is truncated or corrupt`);
  }
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
  if (tData.length !== length || !tData.values || tData.values.length < tData.offset + length) {
    fail('truncated', `${src}: batch ${batchIndex}: column '${COLUMNS.t}' does not hold a value for each of the batch's ${length} rows; the trace is truncated or corrupt`);
  }
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
      return fail('truncated', `${src.name}: batch ${index}: cannot decode (${detail(e)}); the trace is truncated or corrupt`);
    }
    if (next.done) return;
    yield decodeBatch(src.name, index++, next.value);
  }
}

// ---------------------------------------------------------------------------------------
// The direct reader: the common case of a trace — the four known columns, no dictionary,
// plain or compressed buffers — read message by message straight from the source: one
// read per record batch body, and the columns are typed-array views into that body (or
// into each decompressed buffer). apache-arrow's RecordBatchReader, which concatenates
// the source's chunks into each message body and builds Vectors, stays the reference:
// whenever anything here is unusual (another column, a dictionary, nulls, a short read,
// inconsistent lengths) the direct reader gives up without an error, and the pass goes
// on through apache-arrow from that batch, which reports what is wrong exactly as before.

/** Where one list column's node and buffers sit in a record batch. */
interface ListSlot { node: number; offsets: number; values: number }
/** Where each known column sits in a record batch (node and buffer indices, depth first). */
interface Layout { t: { node: number; data: number; unsigned: boolean }; pages: ListSlot; comm?: ListSlot; immp?: ListSlot; nodes: number; buffers: number }

/** The layout of a checked schema, or undefined when the direct reader cannot read it. */
function directLayout(schema: Schema): Layout | undefined {
  if (schema.dictionaries.size > 0) return undefined;
  let nodes = 0;
  let buffers = 0;
  const layout: Partial<Layout> = {};
  for (const f of schema.fields) {
    if (f.name === COLUMNS.t && f.type.typeId === Type.Int && (f.type as any).bitWidth === 64) {
      layout.t = { node: nodes, data: buffers + 1, unsigned: !(f.type as any).isSigned };
      nodes += 1;
      buffers += 2;
    } else if ((f.name === COLUMNS.pages || f.name === COLUMNS.comm || f.name === COLUMNS.immp) && isUint32List(f.type)) {
      // List: validity, offsets; its Uint32 child: validity, values.
      const slot: ListSlot = { node: nodes, offsets: buffers + 1, values: buffers + 3 };
      if (f.name === COLUMNS.pages) layout.pages = slot;
      else if (f.name === COLUMNS.comm) layout.comm = slot;
      else layout.immp = slot;
      nodes += 2;
      buffers += 4;
    } else {
      return undefined;
    }
  }
  if (!layout.t || !layout.pages) return undefined;
  return { ...(layout as Layout), nodes, buffers };
}

/** Sentinel: the direct reader cannot go on; the pass continues through apache-arrow. */
const GIVE_UP = Symbol('give up');

/** A typed array over bytes [at, at+length) of `body`, copied only when misaligned. */
function view<T>(make: new (buf: ArrayBuffer, off: number, len: number) => T, width: number, body: Uint8Array, at: number, bytes: number): T {
  const off = body.byteOffset + at;
  if (off % width === 0) return new make(body.buffer as ArrayBuffer, off, bytes / width);
  const copy = body.slice(at, at + bytes);
  return new make(copy.buffer as ArrayBuffer, 0, bytes / width);
}

// The end of the stream part: the footer's start for the file form, else the end.
function streamLimit(src: ByteSource, start: number): number {
  if (start === 0) return src.size;
  const tail = src.read(src.size - 10, 4);
  const footer = tail.byteLength === 4 ? int32At(tail, 0) : -1;
  const limit = src.size - 10 - footer;
  return footer > 0 && limit >= start ? limit : src.size;
}

/** Decode one record batch body with the direct reader, or give up. */
function directBatch(header: ReturnType<Message['header']>, body: Uint8Array, layout: Layout): EpochBatch | typeof GIVE_UP {
  const rb = header as { length: number; nodes: { length: number; nullCount: number }[]; buffers: { offset: number; length: number }[]; compression?: { type: number } | null };
  const length = rb.length;
  if (!Number.isSafeInteger(length) || length < 0 || rb.nodes.length !== layout.nodes || rb.buffers.length !== layout.buffers) return GIVE_UP;
  const codec = rb.compression != null ? compressionRegistry.get(rb.compression.type as any) : null;
  if (rb.compression != null && typeof codec?.decode !== 'function') return GIVE_UP;
  // The bytes of buffer i: a view into the body, or its decompressed copy.
  const bytes = (i: number): Uint8Array | typeof GIVE_UP => {
    const { offset, length: n } = rb.buffers[i]!;
    if (!(offset >= 0 && n >= 0 && offset + n <= body.byteLength)) return GIVE_UP;
    if (n === 0 || !codec) return body.subarray(offset, offset + n);
    if (n < 8) return GIVE_UP;
    const raw = body.subarray(offset + 8, offset + n);
    const lo = int32At(body, offset);
    const hi = int32At(body, offset + 4);
    return lo === -1 && hi === -1 ? raw.slice() : codec.decode!(raw); // a copy: a view would keep the compressed body alive
  };
  const tNode = rb.nodes[layout.t.node]!;
  if (tNode.length !== length || tNode.nullCount !== 0) return GIVE_UP;
  const tBytes = bytes(layout.t.data);
  if (tBytes === GIVE_UP || tBytes.byteLength < length * 8) return GIVE_UP;
  const t64 = layout.t.unsigned
    ? view(BigUint64Array, 8, tBytes, 0, length * 8)
    : view(BigInt64Array, 8, tBytes, 0, length * 8);
  const tUs = new Float64Array(length);
  for (let i = 0; i < length; i++) tUs[i] = Number(t64[i]!);
  const list = (slot: ListSlot | undefined): ListColumn | undefined | typeof GIVE_UP => {
    if (!slot) return undefined;
    const node = rb.nodes[slot.node]!;
    const child = rb.nodes[slot.node + 1]!;
    if (node.length !== length || node.nullCount !== 0 || child.nullCount !== 0) return GIVE_UP;
    const ob = bytes(slot.offsets);
    const vb = bytes(slot.values);
    if (ob === GIVE_UP || vb === GIVE_UP || ob.byteLength < (length + 1) * 4) return GIVE_UP;
    const raw = view(Int32Array, 4, ob, 0, (length + 1) * 4);
    const base = raw[0]!;
    const end = raw[length]!;
    if (!(base >= 0 && base <= end && end <= child.length && end * 4 <= vb.byteLength)) return GIVE_UP;
    const values = view(Uint32Array, 4, vb, base * 4, (end - base) * 4);
    let offsets = raw;
    if (base !== 0) {
      offsets = new Int32Array(length + 1);
      for (let i = 0; i <= length; i++) offsets[i] = raw[i]! - base;
    }
    return { offsets, values };
  };
  const pages = list(layout.pages);
  const comm = list(layout.comm);
  const immp = list(layout.immp);
  if (pages === GIVE_UP || pages === undefined || comm === GIVE_UP || immp === GIVE_UP) return GIVE_UP;
  return {
    length, tUs, offsets: pages.offsets, pages: pages.values,
    commOffsets: comm?.offsets, comm: comm?.values,
    immpOffsets: immp?.offsets, immp: immp?.values,
  };
}

/** The record batches of a trace through the direct reader; returns GIVE_UP (after yielding what it could) when it cannot go on. */
function* directBatches(src: ByteSource, layout: Layout): Generator<EpochBatch, typeof GIVE_UP | undefined> {
  const start = streamStart(src);
  const limit = streamLimit(src, start);
  for (let pos = start; pos < limit; ) {
    const frame = frameAt(src, pos, limit);
    if (frame === 'end') return undefined;
    if (frame instanceof Broken) return GIVE_UP;
    const { message, bodyStart, bodyLength } = frame;
    if (message.headerType === MessageHeader.Schema) {
      if (pos !== start) return GIVE_UP; // a second schema: leave it to apache-arrow
    } else if (message.headerType === MessageHeader.RecordBatch) {
      const body = bodyLength > 0 ? src.read(bodyStart, bodyLength) : new Uint8Array(0);
      if (body.byteLength < bodyLength) return GIVE_UP;
      let batch: EpochBatch | typeof GIVE_UP;
      try {
        batch = directBatch(message.header(), body, layout);
      } catch {
        return GIVE_UP;
      }
      if (batch === GIVE_UP) return GIVE_UP;
      yield batch;
    } else {
      return GIVE_UP;
    }
    pos = frame.end;
  }
  return undefined;
}

/**
 * A pass over the batches: the direct reader while it can, then apache-arrow for the rest
 * (it decodes again, and drops, the batches already yielded). Every pass takes the same
 * course, so a replay's passes see exactly the epochs openTrace validated: apache-arrow
 * and the direct reader may read a damaged file differently (one trusts the footer, the
 * other the stream), and a pass that started with apache-arrow could see unchecked data.
 * If apache-arrow finds fewer batches than the direct reader gave, the file is corrupt.
 */
function* readBatches(src: ByteSource, layout: Layout | undefined, state: { direct: boolean }): Iterable<EpochBatch> {
  let yielded = 0;
  if (layout && state.direct) {
    const it = directBatches(src, layout);
    for (;;) {
      const r = it.next();
      if (r.done) {
        if (r.value !== GIVE_UP) return;
        break;
      }
      yielded++;
      yield r.value;
    }
  }
  let index = 0;
  for (const b of decodeAll(src, openReader(src))) if (index++ >= yielded) yield b;
  if (index < yielded) fail('truncated', `${src.name}: batch ${index}: cannot decode (the file's footer and its record batches disagree); the trace is truncated or corrupt`);
}

/** A list column whose offsets do not ascend inside its values (Arrow-level corruption: nothing else checks them). */
function corruptOffsets(src: string, where: string, name: string, from: number, to: number, values: number): never {
  return fail('truncated', `${src}: ${where}: column '${name}' lists entries ${from} … ${to} of ${values}; the trace is truncated or corrupt`);
}

/** The index of the first page of pages[p0 … p1) not above the one before it, or p1 if they ascend strictly. */
function ascendingUntil(pages: Uint32Array, p0: number, p1: number): number {
  // A small function of its own: V8 optimizes this hot loop (every page of the trace,
  // 0.7 ns each) much better than the same loop inlined in openTrace's body.
  let prev = -1;
  let k = p0;
  while (k < p1) {
    const page = pages[k]!;
    if (page <= prev) return k;
    prev = page;
    k++;
  }
  return p1;
}

// Every in-epoch list rule: ascending, distinct, < memPages; subset lists inside pages.
function checkSubset(src: string, where: string, name: string, pages: Uint32Array, p0: number, p1: number, sub: Uint32Array, s0: number, s1: number): void {
  if (!(s0 >= 0 && s0 <= s1 && s1 <= sub.length)) corruptOffsets(src, where, name, s0, s1, sub.length);
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

/** Options of openTrace. */
export interface OpenOptions {
  /**
   * Keep the epochs decoded by the validating pass when they take at most this many
   * bytes, so later passes skip the decoding (default 0: every pass reads `src` again).
   */
  keepDecodedBytes?: number;
}

// The memory a kept batch holds: the whole buffers its columns view (a body may also
// hold columns migreplay ignores), each counted once.
function heldBytes(b: EpochBatch, seen: Set<ArrayBufferLike>): number {
  let n = 0;
  for (const a of [b.tUs, b.offsets, b.pages, b.commOffsets, b.comm, b.immpOffsets, b.immp]) {
    if (a && !seen.has(a.buffer)) {
      seen.add(a.buffer);
      n += a.buffer.byteLength;
    }
  }
  return n;
}

/** Open a trace: parse its schema and metadata and check every epoch, in one bounded-memory pass. */
export function openTrace(src: ByteSource, options: OpenOptions = {}): Trace {
  const keepLimit = options.keepDecodedBytes ?? 0;
  let kept: EpochBatch[] | undefined = keepLimit > 0 ? [] : undefined;
  let keptBytes = 0;
  const keptBuffers = new Set<ArrayBufferLike>();
  checkStructure(src);
  const reader = openReader(src);
  const schema = reader.schema;
  const layout = directLayout(schema);
  const state = { direct: true };
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
  for (const b of readBatches(src, layout, state)) {
    const { tUs, offsets, pages } = b;
    for (let i = 0; i < b.length; i++) {
      const where = (): string => `batch ${batchIndex}, row ${summary.epochs + i}`;
      const t = tUs[i]!;
      if (!(t >= 0) || !Number.isSafeInteger(t)) fail('trace-rule', `${src.name}: ${where()}: t_us = ${t} is negative or too large`);
      if (t <= prevT) fail('trace-rule', `${src.name}: ${where()}: t_us = ${t} does not increase (previous ${prevT})`);
      secondLastT = prevT;
      prevT = t;
      const p0 = offsets[i]!;
      const p1 = offsets[i + 1]!;
      if (!(p0 >= 0 && p0 <= p1 && p1 <= pages.length)) corruptOffsets(src.name, where(), COLUMNS.pages, p0, p1, pages.length);
      const k = ascendingUntil(pages, p0, p1);
      if (k < p1) fail('trace-rule', `${src.name}: ${where()}: pages not ascending and distinct (page ${pages[k]} after ${k > p0 ? pages[k - 1] : -1})`);
      const prev = p1 > p0 ? pages[p1 - 1]! : -1;
      if (prev >= meta.memPages) fail('trace-rule', `${src.name}: ${where()}: page ${prev} ≥ mem_pages (${meta.memPages})`);
      if (b.comm) checkSubset(src.name, where(), COLUMNS.comm, pages, p0, p1, b.comm, b.commOffsets![i]!, b.commOffsets![i + 1]!);
      if (b.immp) checkSubset(src.name, where(), COLUMNS.immp, pages, p0, p1, b.immp, b.immpOffsets![i]!, b.immpOffsets![i + 1]!);
      if (p1 - p0 > summary.maxEpochPages) summary.maxEpochPages = p1 - p0;
    }
    if (summary.epochs === 0 && b.length > 0) summary.firstUs = b.tUs[0]!;
    summary.epochs += b.length;
    summary.events += b.pages.length;
    summary.maxBatchPages = Math.max(summary.maxBatchPages, b.pages.length);
    batchIndex++;
    if (kept) {
      keptBytes += heldBytes(b, keptBuffers);
      if (keptBytes <= keepLimit) kept.push(b);
      else {
        kept = undefined; // too large: later passes read the source again
        keptBuffers.clear();
      }
    }
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
  const all = kept;
  return {
    name: src.name,
    meta,
    summary,
    batches: all ? () => all : () => readBatches(src, layout, state),
  };
}
