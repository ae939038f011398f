// Writes traces in the Arrow format of docs/trace-format.md, epoch by epoch, in bounded memory:
// epochs are buffered into record batches of about `batchPages` page numbers and
// handed to a byte sink as soon as each batch is complete. No Node imports.
import {
  AsyncByteQueue, CompressionType, Field, Int64, List, RecordBatch, RecordBatchFileWriter,
  RecordBatchStreamWriter, Schema, Struct, Uint32, makeData, type RecordBatchWriter,
} from 'apache-arrow';
import { registerCodecs } from './codecs.js';
import { COLUMNS, META_KEYS, SCHEMA_VERSION } from './schema.js';

/** Body compression of written traces. */
export type TraceCompression = 'none' | 'zstd' | 'lz4';

/** What a new trace says about itself. */
export interface TraceHeader {
  memPages: number;
  pageSize: number;
  intervalUs?: number;
  durationUs?: number;
  source?: string;
  workload?: string;
  description?: string;
  /** Further metadata keys, written as they are. */
  extra?: Record<string, string>;
  /**
   * The whole schema metadata, written exactly as given (keys, values, order) instead of
   * what the fields above would make: a conversion that keeps a trace's own metadata.
   * The caller checks it (parseMeta) and keeps memPages/pageSize consistent with it.
   */
  metadata?: ReadonlyMap<string, string>;
  hasComm?: boolean;
  hasImmp?: boolean;
}

/** How a trace is written. */
export interface TraceWriterOptions {
  /** 'file' (random access, footer) or 'stream' (valid up to the last whole batch even if cut short). */
  form?: 'file' | 'stream';
  compression?: TraceCompression;
  /** Page numbers per record batch (default 1 Mi). */
  batchPages?: number;
}

// apache-arrow writes into an AsyncByteQueue; this one hands each chunk on at once.
class CallbackSink extends AsyncByteQueue {
  constructor(private readonly onChunk: (chunk: Uint8Array) => void) {
    super();
  }
  override write(value: any): any {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.byteLength > 0) this.onChunk(bytes);
    return true;
  }
  override close(): void {}
}

// The IPC file form is magic + the stream form + a footer; apache-arrow's file writer
// leaves the stream's schema message out (readers then need the footer first). We
// write it, so the file can also be read front to back in bounded memory.
class SchemaFirstFileWriter extends RecordBatchFileWriter {
  protected override _writeSchema(schema: Schema): this {
    super._writeSchema(schema);
    (RecordBatchStreamWriter.prototype as any)._writeSchema.call(this, schema);
    return this;
  }
}

const LIST_TYPE = () => new List(new Field('item', new Uint32(), false));

/** The Arrow schema (with metadata) for a trace header. */
export function traceSchema(h: TraceHeader): Schema {
  const fields = [new Field(COLUMNS.t, new Int64(), false), new Field(COLUMNS.pages, LIST_TYPE(), false)];
  if (h.hasComm) fields.push(new Field(COLUMNS.comm, LIST_TYPE(), false));
  if (h.hasImmp) fields.push(new Field(COLUMNS.immp, LIST_TYPE(), false));
  if (h.metadata) return new Schema(fields, new Map(h.metadata));
  const md = new Map<string, string>([[META_KEYS.schema, SCHEMA_VERSION], [META_KEYS.pageSize, String(h.pageSize)], [META_KEYS.memPages, String(h.memPages)]]);
  if (h.intervalUs !== undefined) md.set(META_KEYS.intervalUs, String(Math.round(h.intervalUs)));
  if (h.durationUs !== undefined) md.set(META_KEYS.durationUs, String(Math.round(h.durationUs)));
  for (const key of ['source', 'workload', 'description'] as const) if (h[key] !== undefined) md.set(META_KEYS[key], h[key]!);
  for (const [k, v] of Object.entries(h.extra ?? {})) if (!md.has(k)) md.set(k, v);
  return new Schema(fields, md);
}

class GrowableU32 {
  data = new Uint32Array(1024);
  length = 0;
  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      const next = new Uint32Array(Math.max(this.data.length * 2, this.length + values.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
}

class ListBuffer {
  values = new GrowableU32();
  offsets: number[] = [0];
  add(pages: ArrayLike<number>): void {
    this.values.push(pages);
    this.offsets.push(this.values.length);
  }
  data(rows: number) {
    const child = makeData({ type: new Uint32(), length: this.values.length, nullCount: 0, data: this.values.data.slice(0, this.values.length) });
    return makeData({ type: LIST_TYPE(), length: rows, nullCount: 0, valueOffsets: Int32Array.from(this.offsets), child });
  }
}

/** Streams epochs into an Arrow IPC trace through a byte sink. */
export class TraceWriter {
  private readonly schema: Schema;
  private readonly writer: RecordBatchWriter;
  private readonly batchPages: number;
  private times: bigint[] = [];
  private pages = new ListBuffer();
  private comm?: ListBuffer;
  private immp?: ListBuffer;
  /** Epochs written so far. */
  epochs = 0;
  /** Page writes so far. */
  events = 0;

  constructor(sink: (chunk: Uint8Array) => void, readonly header: TraceHeader, options: TraceWriterOptions = {}) {
    registerCodecs();
    this.schema = traceSchema(header);
    this.batchPages = options.batchPages ?? 1 << 20;
    const compressionType = options.compression === 'zstd' ? CompressionType.ZSTD : options.compression === 'lz4' ? CompressionType.LZ4_FRAME : null;
    const Writer = options.form === 'stream' ? RecordBatchStreamWriter : SchemaFirstFileWriter;
    this.writer = new Writer({ compressionType }) as RecordBatchWriter;
    this.writer.reset(new CallbackSink(sink) as any, this.schema);
    this.resetBuffers();
  }

  private resetBuffers(): void {
    this.times = [];
    this.pages = new ListBuffer();
    this.comm = this.header.hasComm ? new ListBuffer() : undefined;
    this.immp = this.header.hasImmp ? new ListBuffer() : undefined;
  }

  /** Add one epoch: its start (µs) and its pages, ascending; comm/immp subsets when the header has them. */
  epoch(tUs: number, pages: ArrayLike<number>, comm?: ArrayLike<number>, immp?: ArrayLike<number>): void {
    this.times.push(BigInt(tUs));
    this.pages.add(pages);
    this.comm?.add(comm ?? []);
    this.immp?.add(immp ?? []);
    this.epochs++;
    this.events += pages.length;
    if (this.pages.values.length >= this.batchPages) this.flush();
  }

  /** Write the buffered epochs as one record batch. */
  flush(): void {
    const rows = this.times.length;
    if (rows === 0) return;
    const children = [
      makeData({ type: new Int64(), length: rows, nullCount: 0, data: BigInt64Array.from(this.times) }),
      this.pages.data(rows),
    ];
    if (this.comm) children.push(this.comm.data(rows));
    if (this.immp) children.push(this.immp.data(rows));
    const struct = makeData({ type: new Struct(this.schema.fields), length: rows, nullCount: 0, children });
    this.writer.write(new RecordBatch(this.schema, struct));
    this.resetBuffers();
  }

  /** Write what is buffered and the end of the trace (footer or end-of-stream marker). */
  close(): void {
    this.flush();
    this.writer.close();
  }
}
