// Sweep tables on disk: Arrow IPC stream, Parquet, CSV, JSON Lines. The stream forms
// (Arrow stream, CSV, JSONL) are appended batch by batch with an fsync after each, so a
// kill leaves every finished batch readable; readers here tolerate a torn last batch
// or line and say how many bytes are whole. Parquet is written whole (temp + rename).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Bool, Field, Float64, Int32, makeData, Message, RecordBatch, RecordBatchReader, RecordBatchStreamWriter,
  Schema, Struct, Type, Utf8, vectorFromArray, type DataType,
} from 'apache-arrow';
import { fail, MigreplayError } from '../errors.js';
import { AtomicFile, describe, ensureFolderOf } from '../io/files.js';
import { registerCodecs } from '../trace/codecs.js';
import { knownColumns, type Column, type ColumnType, type Row } from './columns.js';

export type Format = 'arrow' | 'parquet' | 'csv' | 'jsonl';

/** The format of a file, by its extension. */
export function formatOf(file: string, what = '--out'): Format {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.arrow': case '.arrows': case '.ipc': case '': return 'arrow'; // Arrow is the default
    case '.parquet': case '.pq': return 'parquet';
    case '.csv': return 'csv';
    case '.jsonl': case '.ndjson': return 'jsonl';
    default: return fail('usage', `${what}: '${file}' must end in .arrow, .parquet, .csv or .jsonl (no extension: Arrow)`);
  }
}

/** A table read from disk: columns, rows, schema metadata, and how much of the file is whole. */
export interface TableData {
  columns: Column[];
  rows: Row[];
  metadata: Map<string, string>;
  /** Bytes from the start that hold whole batches / lines (the stream's end-of-stream marker not included). */
  validBytes: number;
  /** Bytes after validBytes that are neither whole nor the end marker: a batch or line torn by a kill. */
  tornBytes: number;
}

// ---------------------------------------------------------------- Arrow

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

function cell(c: Column, v: Row[string] | undefined): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'utf8': return String(v);
    case 'bool': return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null;
    default: {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? n : null;
    }
  }
}

function recordBatch(schema: Schema, columns: readonly Column[], rows: readonly Row[]): RecordBatch {
  const children = columns.map((c, i) => {
    const vector = vectorFromArray(rows.map((r) => cell(c, r[c.name])), schema.fields[i]!.type);
    if (vector.data.length !== 1) throw new Error('a sweep batch column came out in more than one chunk');
    return vector.data[0]!;
  });
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

interface Frame { start: number; end: number; type: 'schema' | 'batch' | 'dictionary' | 'other' }

const CONTINUATION = 0xffffffff;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * The whole messages of an Arrow IPC stream from byte `from`: where each starts and
 * ends, where the whole part ends, and whether an end-of-stream marker follows it.
 */
export function ipcFrames(bytes: Uint8Array, from = 0): { frames: Frame[]; end: number; eos: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Frame[] = [];
  let pos = from;
  for (;;) {
    if (pos + 4 > bytes.byteLength) return { frames, end: pos, eos: false };
    let head = 4;
    let metaLength = view.getUint32(pos, true);
    if (metaLength === CONTINUATION) {
      if (pos + 8 > bytes.byteLength) return { frames, end: pos, eos: false };
      metaLength = view.getInt32(pos + 4, true);
      head = 8;
    }
    if (metaLength === 0) return { frames, end: pos, eos: true };
    if (metaLength < 0 || pos + head + metaLength > bytes.byteLength) return { frames, end: pos, eos: false };
    let message: Message;
    try {
      message = Message.decode(bytes.subarray(pos + head, pos + head + metaLength));
    } catch {
      return { frames, end: pos, eos: false };
    }
    const end = pos + head + metaLength + Number(message.bodyLength);
    if (!(end <= bytes.byteLength)) return { frames, end: pos, eos: false };
    const type = message.isSchema() ? 'schema' : message.isRecordBatch() ? 'batch' : message.isDictionaryBatch() ? 'dictionary' : 'other';
    frames.push({ start: pos, end, type });
    pos = end;
  }
}

/** The stream bytes of one batch alone, and of the schema alone. */
function encodeStreamParts(schema: Schema, columns: readonly Column[], rows: readonly Row[]): { schema: Uint8Array; batch: Uint8Array } {
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

function plain(v: unknown, type: ColumnType): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (type === 'utf8') return typeof v === 'string' ? v : String(v);
  return v as number | boolean;
}

function rowsOfReader(reader: RecordBatchReader, source: string): { columns: Column[]; rows: Row[]; metadata: Map<string, string> } {
  const rows: Row[] = [];
  let columns: Column[] | undefined;
  let metadata = new Map<string, string>();
  try {
    for (const batch of reader) {
      if (!columns) {
        columns = batch.schema.fields.map((f) => ({ name: f.name, type: columnTypeOf(f.type) }));
        metadata = batch.schema.metadata;
      }
      const vectors = columns.map((c) => batch.getChild(c.name)!);
      for (let i = 0; i < batch.numRows; i++) {
        const row: Row = {};
        columns.forEach((c, j) => { row[c.name] = plain(vectors[j]!.get(i), c.type); });
        rows.push(row);
      }
    }
  } catch (e) {
    fail('not-arrow', `${source}: cannot read (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (!columns) {
    const schema = reader.schema;
    columns = schema ? schema.fields.map((f) => ({ name: f.name, type: columnTypeOf(f.type) })) : [];
    metadata = schema?.metadata ?? metadata;
  }
  return { columns, rows, metadata };
}

function readArrow(file: string, bytes: Uint8Array): TableData {
  registerCodecs();
  const magic = bytes.byteLength >= 6 && String.fromCharCode(...bytes.subarray(0, 6)) === 'ARROW1';
  if (magic) {
    // The IPC file form (written whole by other tools): read through its footer.
    const reader = RecordBatchReader.from(bytes);
    return { ...rowsOfReader(reader, file), validBytes: bytes.byteLength, tornBytes: 0 };
  }
  const { frames, end, eos } = ipcFrames(bytes);
  if (frames.length === 0 || frames[0]!.type !== 'schema') {
    if (bytes.byteLength === 0 || (frames.length === 0 && !eos)) return { columns: [], rows: [], metadata: new Map(), validBytes: 0, tornBytes: bytes.byteLength };
    return fail('not-arrow', `${file}: not an Arrow IPC stream of sweep results`);
  }
  const whole = concat([bytes.subarray(0, end), EOS]);
  const data = rowsOfReader(RecordBatchReader.from(whole), file);
  const tornBytes = bytes.byteLength - end - (eos ? EOS.byteLength : 0);
  return { ...data, validBytes: end, tornBytes: Math.max(0, tornBytes) };
}

// ---------------------------------------------------------------- CSV and JSONL

function csvCell(v: Row[string] | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(columns: readonly Column[], row: Row): string {
  return columns.map((c) => csvCell(c.type === 'utf8' ? row[c.name] : cell(c, row[c.name]))).join(',') + '\n';
}

function csvHeader(columns: readonly Column[]): string {
  return columns.map((c) => csvCell(c.name)).join(',') + '\n';
}

/** Split CSV bytes into records (RFC 4180 quoting); `end` is the byte after the last whole record's newline. */
function csvRecords(bytes: Uint8Array): { records: (string | null)[][]; ends: number[] } {
  const records: (string | null)[][] = [];
  const ends: number[] = [];
  const decoder = new TextDecoder();
  let fields: (string | null)[] = [];
  let fieldStart = 0;
  let inQuotes = false;
  let quoted = false;
  const take = (i: number) => {
    let text = decoder.decode(bytes.subarray(fieldStart, i));
    if (quoted) text = text.slice(1, -1).replace(/""/g, '"');
    fields.push(!quoted && text === '' ? null : text);
  };
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i]!;
    if (inQuotes) {
      if (b === 0x22) inQuotes = false;
      continue;
    }
    if (b === 0x22) {
      inQuotes = true;
      if (i === fieldStart) quoted = true;
    } else if (b === 0x2c) {
      take(i);
      fieldStart = i + 1;
      quoted = false;
    } else if (b === 0x0a) {
      take(i > fieldStart && bytes[i - 1] === 0x0d ? i - 1 : i);
      records.push(fields);
      ends.push(i + 1);
      fields = [];
      fieldStart = i + 1;
      quoted = false;
    }
  }
  return { records, ends };
}

/** Column types by name for text formats: known columns by their definition, others by their values. */
function typeColumns(names: readonly string[], sample: (name: string) => unknown[]): Column[] {
  const known = new Map(knownColumns().map((c) => [c.name, c.type]));
  return names.map((name) => {
    const t = known.get(name);
    if (t) return { name, type: t };
    const values = sample(name).filter((v) => v !== null && v !== undefined && v !== '');
    if (values.length > 0 && values.every((v) => typeof v === 'boolean' || v === 'true' || v === 'false')) return { name, type: 'bool' as const };
    if (values.length > 0 && values.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))))) return { name, type: 'float64' as const };
    return { name, type: 'utf8' as const };
  });
}

function readCsv(file: string, bytes: Uint8Array): TableData {
  const { records, ends } = csvRecords(bytes);
  if (records.length === 0) return { columns: [], rows: [], metadata: new Map(), validBytes: 0, tornBytes: bytes.byteLength };
  const names = records[0]!.map((n) => n ?? '');
  let body = records.slice(1);
  let validBytes = ends[ends.length - 1]!;
  // A record with the wrong number of fields can only be a torn last line.
  const bad = body.findIndex((r) => r.length !== names.length);
  if (bad >= 0) {
    if (bad !== body.length - 1) fail('truncated', `${file}: line ${bad + 2} has ${body[bad]!.length} fields, the header ${names.length}`);
    body = body.slice(0, bad);
    validBytes = ends[bad]!;
  }
  const columns = typeColumns(names, (name) => body.map((r) => r[names.indexOf(name)]));
  const rows = body.map((r) => {
    const row: Row = {};
    columns.forEach((c, j) => { row[c.name] = cell(c, r[j]); });
    return row;
  });
  return { columns, rows, metadata: new Map(), validBytes, tornBytes: bytes.byteLength - validBytes };
}

function readJsonl(file: string, bytes: Uint8Array): TableData {
  const decoder = new TextDecoder();
  const parsed: Record<string, unknown>[] = [];
  let validBytes = 0;
  let lineStart = 0;
  let lineNo = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x0a) continue;
    lineNo++;
    const text = decoder.decode(bytes.subarray(lineStart, i)).trim();
    const next = i + 1;
    if (text !== '') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (value === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
        // Only the last line can be torn; anything before it is damage.
        if (bytes.subarray(next).some((b) => b !== 0x0a && b !== 0x20 && b !== 0)) fail('truncated', `${file}: line ${lineNo} is not a JSON object`);
        break;
      }
      parsed.push(value as Record<string, unknown>);
    }
    validBytes = next;
    lineStart = next;
  }
  const names: string[] = [];
  for (const r of parsed) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  const columns = typeColumns(names, (name) => parsed.map((r) => r[name]));
  const rows = parsed.map((r) => {
    const row: Row = {};
    for (const c of columns) row[c.name] = cell(c, r[c.name] as Row[string]);
    return row;
  });
  return { columns, rows, metadata: new Map(), validBytes, tornBytes: bytes.byteLength - validBytes };
}

// ---------------------------------------------------------------- Parquet

type ParquetModule = typeof import('parquet-wasm');
let parquetModule: ParquetModule | undefined;

async function parquet(): Promise<ParquetModule> {
  parquetModule ??= await import('parquet-wasm');
  return parquetModule;
}

/** Parquet bytes of rows (ZSTD pages; the Arrow schema and its metadata kept); parquet-wasm is loaded on first use. */
export async function encodeParquet(columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<Uint8Array> {
  const pq = await parquet();
  const table = pq.Table.fromIPCStream(encodeArrowStream(columns, rows, metadata));
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
  return pq.writeParquet(table, props);
}

async function readParquet(file: string, bytes: Uint8Array): Promise<TableData> {
  const pq = await parquet();
  let ipc: Uint8Array;
  try {
    ipc = pq.readParquet(bytes).intoIPCStream();
  } catch (e) {
    return fail('not-arrow', `${file}: not a readable Parquet file (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  return { ...rowsOfReader(RecordBatchReader.from(ipc), file), validBytes: bytes.byteLength, tornBytes: 0 };
}

// ---------------------------------------------------------------- reading and writing whole files

/** Read a table file of any format; a torn last batch or line is left out (see tornBytes). */
export async function readTable(file: string, format = formatOf(file, file)): Promise<TableData> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot read'}`);
  }
  switch (format) {
    case 'arrow': return readArrow(file, bytes);
    case 'csv': return readCsv(file, bytes);
    case 'jsonl': return readJsonl(file, bytes);
    case 'parquet': return readParquet(file, bytes);
  }
}

/** The bytes (or text) of a whole table in a format. */
export async function encodeTable(format: Format, columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<Uint8Array | string> {
  switch (format) {
    case 'arrow': return encodeArrowStream(columns, rows, metadata);
    case 'parquet': return encodeParquet(columns, rows, metadata);
    case 'csv': return csvHeader(columns) + rows.map((r) => csvLine(columns, r)).join('');
    case 'jsonl': return rows.map((r) => jsonLine(columns, r)).join('');
  }
}

function jsonLine(columns: readonly Column[], row: Row): string {
  const o: Row = {};
  for (const c of columns) o[c.name] = cell(c, row[c.name]);
  return JSON.stringify(o) + '\n';
}

/** Write a whole table atomically (temporary name, then rename). */
export async function writeTable(file: string, format: Format, columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<void> {
  const content = await encodeTable(format, columns, rows, metadata);
  ensureFolderOf(file);
  const out = new AtomicFile(file);
  out.write(content);
  out.commit();
}

// ---------------------------------------------------------------- appending

/**
 * A table file appended to batch by batch: each append() is one write and an fsync,
 * so a kill leaves the batches before it whole. Arrow: an IPC stream (schema, one
 * record batch per append, the end marker at close); CSV: a header, then lines;
 * JSONL: one object per line.
 */
export class AppendWriter {
  private fd = -1;
  private readonly schema?: Schema;
  private closed = false;
  /** Rows written through this writer. */
  written = 0;

  /**
   * Open `file` for appending. `keepBytes` of it are kept (a resumed file's whole
   * part); with 0 the file is started afresh (header or schema first).
   */
  constructor(readonly file: string, readonly format: 'arrow' | 'csv' | 'jsonl', readonly columns: readonly Column[], metadata: Map<string, string>, keepBytes = 0) {
    if (format === 'arrow') this.schema = arrowSchema(columns, metadata);
    try {
      if (keepBytes === 0) ensureFolderOf(file);
      this.fd = fs.openSync(file, keepBytes > 0 ? 'r+' : 'w');
      if (keepBytes > 0) fs.ftruncateSync(this.fd, keepBytes);
    } catch (e) {
      if (e instanceof MigreplayError) throw e;
      return fail('write-failed', `${file}: cannot write (${describe(e as NodeJS.ErrnoException)})`);
    }
    if (keepBytes === 0) {
      if (format === 'arrow') this.writeSync(encodeStreamParts(this.schema!, columns, []).schema);
      else if (format === 'csv') this.writeSync(csvHeader(columns));
      this.sync();
      syncDir(file);
    }
  }

  private position(): number {
    return fs.fstatSync(this.fd).size;
  }

  private writeSync(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let at = 0;
    let pos = this.position();
    try {
      while (at < bytes.byteLength) {
        const n = fs.writeSync(this.fd, bytes, at, bytes.byteLength - at, pos);
        at += n;
        pos += n;
      }
    } catch (e) {
      fail('write-failed', `${this.file}: write failed (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
  }

  private sync(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      fail('write-failed', `${this.file}: fsync failed (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
  }

  /** Append rows as one batch (one Arrow record batch, or lines) and fsync. */
  append(rows: readonly Row[]): void {
    if (rows.length === 0) return;
    if (this.format === 'arrow') this.writeSync(encodeStreamParts(this.schema!, this.columns, rows).batch);
    else if (this.format === 'csv') this.writeSync(rows.map((r) => csvLine(this.columns, r)).join(''));
    else this.writeSync(rows.map((r) => jsonLine(this.columns, r)).join(''));
    this.sync();
    this.written += rows.length;
  }

  /** End the file (Arrow: the end-of-stream marker) and close it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.format === 'arrow') this.writeSync(EOS);
    this.sync();
    fs.closeSync(this.fd);
  }

  /** Close without the end marker (an interrupted sweep: --resume continues the file). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }
}

function syncDir(file: string): void {
  try {
    const fd = fs.openSync(path.dirname(path.resolve(file)), 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch {
    /* not every platform can fsync a folder */
  }
}
