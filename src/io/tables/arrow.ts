// Arrow IPC: the stream form (.arrow, appended batch by batch: schema, one record batch
// per append, the end marker at close) and the file form (.feather, and what other tools
// and replay --out write), read alike. A stream torn by a kill keeps its whole batches:
// the messages are walked with the one IPC framing (src/io/ipc.ts) and the torn rest left out.
import {
  Bool, Field, Float64, Int32, makeData, RecordBatch, RecordBatchReader, RecordBatchStreamWriter,
  Schema, Struct, Table, tableToIPC, Type, Utf8, vectorFromArray, type DataType,
} from 'apache-arrow';
import { fail } from '../../errors.js';
import { registerCodecs } from '../../trace/codecs.js';
import { Broken, EOS, hasArrowMagic, readerOf, readFrame } from '../ipc.js';
import type { Column, ColumnType, Row, TableData, TableFormat } from './types.js';
import { cell } from './values.js';

function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'utf8': return new Utf8();
    case 'float64': return new Float64();
    case 'int32': return new Int32();
    case 'bool': return new Bool();
  }
}

/** The Arrow schema of a table (every column nullable). */
export function arrowSchema(columns: readonly Column[], metadata: Map<string, string>): Schema {
  return new Schema(columns.map((c) => new Field(c.name, arrowType(c.type), true)), metadata);
}

function recordBatch(schema: Schema, columns: readonly Column[], rows: readonly Row[]): RecordBatch {
  const children = columns.map((c, i) => {
    const vector = vectorFromArray(rows.map((r) => cell(c, r[c.name])), schema.fields[i]!.type);
    if (vector.data.length !== 1) throw new Error('a table batch column came out in more than one chunk');
    return vector.data[0]!;
  });
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** Where the whole messages of an IPC stream from byte `from` end, and whether an end-of-stream marker follows. */
export function ipcFrames(bytes: Uint8Array, from = 0): { frames: { start: number; end: number; schema: boolean }[]; end: number; eos: boolean } {
  const read = readerOf(bytes);
  const frames: { start: number; end: number; schema: boolean }[] = [];
  for (let pos = from; ;) {
    const f = readFrame(read, pos, bytes.byteLength);
    if (f === 'end') return { frames, end: pos, eos: pos < bytes.byteLength };
    if (f instanceof Broken) return { frames, end: pos, eos: false };
    frames.push({ start: pos, end: f.end, schema: f.message.isSchema() });
    pos = f.end;
  }
}

/** The stream bytes of the schema alone, and of one batch alone. */
export function encodeStreamParts(schema: Schema, columns: readonly Column[], rows: readonly Row[]): { schema: Uint8Array; batch: Uint8Array } {
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  if (rows.length > 0) writer.write(recordBatch(schema, columns, rows));
  writer.finish();
  const bytes = writer.toUint8Array(true);
  const { frames } = ipcFrames(bytes);
  const first = frames[0]!;
  return { schema: bytes.slice(first.start, first.end), batch: bytes.slice(first.end, frames[frames.length - 1]!.end) };
}

/** A whole Arrow IPC stream of rows (schema, one batch per 64 Ki rows, end marker). */
export function encodeArrowStream(columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Uint8Array {
  const schema = arrowSchema(columns, metadata);
  const parts: Uint8Array[] = [encodeStreamParts(schema, columns, []).schema];
  for (let at = 0; at < rows.length; at += 65536) parts.push(encodeStreamParts(schema, columns, rows.slice(at, at + 65536)).batch);
  parts.push(EOS);
  return concat(parts);
}

/** An Arrow table as an IPC file (the footer form). */
export function encodeArrowFile(table: Table): Uint8Array {
  return tableToIPC(table, 'file');
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function columnTypeOf(t: DataType): ColumnType {
  switch (t.typeId) {
    case Type.Bool: return 'bool';
    case Type.Int: return (t as any).bitWidth <= 32 ? 'int32' : 'float64';
    case Type.Float: return 'float64';
    case Type.Dictionary: return columnTypeOf((t as any).dictionary);
    default: return 'utf8';
  }
}

/** Plain JS values out of Arrow ones: BigInt → number, vectors and struct rows → arrays and objects. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
  if (Array.isArray(v)) return v.map(plainValue);
  // Arrow vectors give arrays, struct and map rows give objects.
  const o = v as { toJSON?: () => unknown };
  if (typeof o.toJSON === 'function') return plainValue(o.toJSON());
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plainValue(x);
  return out;
}

function scalar(v: unknown, type: ColumnType): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (type === 'utf8') return typeof v === 'string' ? v : String(v);
  return v as number | boolean;
}

/** The schema and the record batches of Arrow IPC bytes (stream or file form), and how much of them is whole. */
export function readArrowBatches(file: string, bytes: Uint8Array): { schema?: Schema; batches: RecordBatch[]; validBytes: number; tornBytes: number } {
  registerCodecs();
  let whole = bytes;
  let validBytes = bytes.byteLength;
  let tornBytes = 0;
  if (!hasArrowMagic(bytes)) {
    const { frames, end, eos } = ipcFrames(bytes);
    if (frames.length === 0 || !frames[0]!.schema) {
      if (bytes.byteLength === 0 || (frames.length === 0 && !eos)) return { batches: [], validBytes: 0, tornBytes: bytes.byteLength };
      return fail('not-arrow', `${file}: not an Arrow IPC file or stream (it does not start with a schema message)`);
    }
    whole = concat([bytes.subarray(0, end), EOS]);
    validBytes = end;
    tornBytes = Math.max(0, bytes.byteLength - end - (eos ? EOS.byteLength : 0));
  }
  // The file form (written whole by other tools) is read through its footer.
  try {
    const reader = RecordBatchReader.from(whole);
    reader.open();
    const schema = reader.schema; // before the batches: a finished reader forgets it
    const batches = [...reader];
    return { schema: schema ?? batches[0]?.schema, batches, validBytes, tornBytes };
  } catch (e) {
    return fail('not-arrow', `${file}: not a readable Arrow IPC file or stream (${detail(e)})`);
  }
}

/** The one line said of a decoding failure: migreplay's own words kept, any other exception's text replaced. */
function detail(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return /^corrupt /.test(text) ? text : 'its bytes are not valid Arrow data';
}

/** Rows of record batches, each value converted by `value` (scalars by column type unless given). */
export function batchRows<R>(batches: readonly RecordBatch[], value: (v: unknown, c: Column) => R): Record<string, R>[] {
  const rows: Record<string, R>[] = [];
  for (const batch of batches) {
    const columns = columnsOf(batch.schema);
    const vectors = columns.map((c) => batch.getChild(c.name)!);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, R> = {};
      columns.forEach((c, j) => { row[c.name] = value(vectors[j]!.get(i), c); });
      rows.push(row);
    }
  }
  return rows;
}

/** The columns of an Arrow schema, as migreplay's column types. */
export function columnsOf(schema: Schema | undefined): Column[] {
  return schema ? schema.fields.map((f) => ({ name: f.name, type: columnTypeOf(f.type) })) : [];
}

/** A table of Arrow IPC bytes (either form), a torn last batch left out. */
export function readArrow(file: string, bytes: Uint8Array): TableData {
  const { schema, batches, validBytes, tornBytes } = readArrowBatches(file, bytes);
  const rows = batchRows(batches, (v, c) => scalar(v, c.type));
  return { columns: columnsOf(schema), rows, metadata: schema?.metadata ?? new Map(), validBytes, tornBytes };
}

export const arrowFormat: TableFormat = {
  id: 'arrow',
  extensions: ['.arrow', '.arrows', '.ipc'],
  appendable: true,
  read: readArrow,
  encode: encodeArrowStream,
};

export const featherFormat: TableFormat = {
  id: 'feather',
  extensions: ['.feather'],
  appendable: false,
  read: readArrow,
  encode: (columns, rows, metadata) => {
    const schema = arrowSchema(columns, metadata);
    const batches: RecordBatch[] = [];
    for (let at = 0; at < rows.length; at += 65536) batches.push(recordBatch(schema, columns, rows.slice(at, at + 65536)));
    return encodeArrowFile(new Table(schema, batches));
  },
};
