// Every rule of the trace reader (src/trace/read.ts, DESIGN.md "Trace format") with the
// exact one-line message it gives, and the traces it must accept, read back exactly.
//
// Bad traces come from two places: the TraceWriter, which does not validate (unsorted
// pages, t_us going back, comm/immp outside pages, …), and Arrow tables built directly
// with apache-arrow (wrong column types, missing columns or metadata, nulls).
import {
  Field, Float64, Int16, Int32, Int64, List, Message, MessageHeader, RecordBatch, RecordBatchReader, Schema, Struct, Table, Uint32, Uint64,
  Utf8, makeData, tableToIPC, vectorFromArray, type DataType,
} from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { ByteBuffer } from 'flatbuffers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MigreplayError } from '../src/errors.js';
import { enableZstdEncoder } from '../src/trace/codecs.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { TraceWriter, type TraceHeader, type TraceWriterOptions } from '../src/trace/write.js';
import { traceBytes, type TestEpoch } from './helpers.js';

// ---------------------------------------------------------------------------------------
// Helpers

/** The name every bad trace is opened under: each message must start with it. */
const NAME = 'traces/under-test.arrow';

const header = (h: Partial<TraceHeader> = {}): TraceHeader => ({ memPages: 64, pageSize: 4096, ...h });

/** openTrace's error for these bytes; fails the test if it opens. */
function openError(bytes: Uint8Array, name = NAME): unknown {
  try {
    openTrace(bytesSource(name, bytes));
  } catch (e) {
    return e;
  }
  throw new Error(`expected ${name} to be rejected, but it opened`);
}

/**
 * The bytes must be rejected with this code and exactly this message after "NAME: "
 * (a RegExp when part of it comes from apache-arrow), as a one-line MigreplayError
 * with exit status 2 that names the source.
 */
function expectRejected(bytes: Uint8Array, code: string, message: string | RegExp, name = NAME): MigreplayError {
  const e = openError(bytes, name);
  expect(e, `not a MigreplayError: ${String((e as Error)?.stack ?? e)}`).toBeInstanceOf(MigreplayError);
  const err = e as MigreplayError;
  expect(err.code).toBe(code);
  if (typeof message === 'string') expect(err.message).toBe(`${name}: ${message}`);
  else {
    expect(err.message.startsWith(`${name}: `)).toBe(true);
    expect(err.message.slice(name.length + 2)).toMatch(message);
  }
  expect(err.exitCode).toBe(2);
  expect(err.message).toContain(name);
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message.length).toBeLessThan(400);
  return err;
}

/** Every epoch of a trace, read back through trace.batches(). */
function readEpochs(trace: Trace): TestEpoch[] {
  const out: TestEpoch[] = [];
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      const e: TestEpoch = [b.tUs[i]!, [...b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!)]];
      if (b.comm) e[2] = [...b.comm.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!)];
      if (b.immp) {
        e[2] ??= [];
        e[3] = [...b.immp.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!)];
      }
      out.push(e);
    }
  }
  return out;
}

/** The epochs as the trace should hold them: comm/immp lists spelled out when the header has them. */
function normalise(epochs: TestEpoch[], h: TraceHeader): TestEpoch[] {
  return epochs.map(([t, p, c, i]) => {
    const e: TestEpoch = [t, [...p]];
    if (h.hasComm || h.hasImmp) e[2] = h.hasComm ? [...(c ?? [])] : [];
    if (h.hasImmp) e[3] = [...(i ?? [])];
    return e;
  });
}

/** Open bytes that must be valid and check the epochs round-trip exactly (twice: batches() is a fresh pass). */
function expectValid(bytes: Uint8Array, epochs: TestEpoch[], h: TraceHeader, name = 'ok.arrow'): Trace {
  const trace = openTrace(bytesSource(name, bytes));
  const want = normalise(epochs, h);
  expect(readEpochs(trace)).toEqual(want);
  expect(readEpochs(trace)).toEqual(want);
  expect(trace.summary.epochs).toBe(epochs.length);
  expect(trace.summary.events).toBe(epochs.reduce((n, e) => n + e[1].length, 0));
  expect(trace.summary.firstUs).toBe(epochs[0]![0]);
  expect(trace.summary.lastUs).toBe(epochs[epochs.length - 1]![0]);
  expect(trace.meta.memPages).toBe(h.memPages);
  expect(trace.meta.pageSize).toBe(h.pageSize);
  return trace;
}

/** Bytes written with the TraceWriter plus the byte offset of the end of every record batch (and of the schema). */
function writeWithBoundaries(h: TraceHeader, epochs: TestEpoch[], options: TraceWriterOptions): { bytes: Uint8Array; schemaEnd: number; batchEnds: number[]; epochsAt: number[] } {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const w = new TraceWriter((c) => { chunks.push(c.slice()); size += c.byteLength; }, h, options);
  const schemaEnd = size;
  const batchEnds: number[] = [];
  const epochsAt: number[] = [];
  for (const [t, p, c, i] of epochs) {
    const before = size;
    w.epoch(t, p, c, i);
    // The writer flushes a whole record batch synchronously inside epoch() once it holds batchPages pages.
    if (size !== before) {
      batchEnds.push(size);
      epochsAt.push(w.epochs);
    }
  }
  w.close();
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, schemaEnd, batchEnds, epochsAt };
}

// --- Arrow tables built by hand ---------------------------------------------------------

const BIG = (t: DataType) => t.ArrayType === BigInt64Array || t.ArrayType === BigUint64Array;

/** A non-null primitive column. */
function prim(type: DataType, values: (number | bigint)[]) {
  const data = BIG(type) ? (type.ArrayType as any).from(values.map((v) => BigInt(v))) : (type.ArrayType as any).from(values);
  return makeData({ type, length: values.length, nullCount: 0, data } as any);
}

const listOf = (item: DataType, nullableItem = false) => new List(new Field('item', item, nullableItem));

/** A non-null list column. */
function listCol(rows: number[][], type: List = listOf(new Uint32())) {
  const offsets = [0];
  for (const r of rows) offsets.push(offsets[offsets.length - 1]! + r.length);
  const child = prim(type.children[0]!.type, rows.flat());
  return makeData({ type, length: rows.length, nullCount: 0, valueOffsets: Int32Array.from(offsets), child } as any);
}

const META = { 'migreplay.schema': '1', page_size: '4096', mem_pages: '10' };

/** IPC bytes of a one-batch table with these fields, columns and schema metadata. */
function arrowBytes(fields: Field[], columns: any[], metadata: Record<string, string> = META, form: 'file' | 'stream' = 'stream'): Uint8Array {
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const data = makeData({ type: new Struct(fields), length: columns[0].length, nullCount: 0, children: columns } as any);
  return tableToIPC(new Table(schema, [new RecordBatch(schema, data as any)]), form);
}

const F = (name: string, type: DataType, nullable = false) => new Field(name, type, nullable);
const T_FIELD = () => F('t_us', new Int64());
const PAGES_FIELD = () => F('pages', listOf(new Uint32()));
/** A well-formed two-epoch table: t 0, 10; pages {1,2}, {3}. */
const goodColumns = () => [prim(new Int64(), [0, 10]), listCol([[1, 2], [3]])];
const withMeta = (extra: Record<string, string>) => arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), { ...META, ...extra });

function withoutKey(key: string): Record<string, string> {
  const m: Record<string, string> = { ...META };
  delete m[key];
  return m;
}

// A deterministic pseudo-random byte string.
function noise(n: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};
const ascii = (s: string) => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------------------
// Valid traces

describe('valid traces read back exactly', () => {
  const epochs: TestEpoch[] = [
    [0, [0, 1, 2, 63]], [1_000, []], [2_500, [5]], [4_000, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], [9_000, [62, 63]],
  ];

  for (const form of ['file', 'stream'] as const) {
    it(`${form} form, one batch: epochs, pages and summary`, () => {
      const h = header({ intervalUs: 1_000, source: 'synthetic', workload: 'w', description: 'd' });
      const trace = expectValid(traceBytes(h, epochs, { form }), epochs, h);
      expect(trace.summary.durationUs).toBe(10_000); // last t 9000 + interval 1000
      expect(trace.summary.durationInferred).toBe(true);
      expect(trace.summary.maxEpochPages).toBe(10);
      expect(trace.meta.source).toBe('synthetic');
      expect(trace.meta.workload).toBe('w');
      expect(trace.meta.description).toBe('d');
      expect(trace.meta.intervalUs).toBe(1_000);
    });

    it(`${form} form, many small batches: epochs in order across batch boundaries`, () => {
      const many: TestEpoch[] = Array.from({ length: 50 }, (_, i) => [i * 7 + (i % 3), Array.from({ length: i % 5 }, (_, k) => (i + k * 11) % 64).sort((a, b) => a - b)]);
      const h = header({ durationUs: 1_000 });
      const { bytes, batchEnds } = writeWithBoundaries(h, many, { form, batchPages: 4 });
      expect(batchEnds.length).toBeGreaterThan(10);
      const trace = expectValid(bytes, many, h);
      expect(trace.summary.durationUs).toBe(1_000);
      expect(trace.summary.durationInferred).toBe(false);
      expect(trace.summary.maxBatchPages).toBeLessThanOrEqual(4 + 4);
    });

    it(`${form} form with comm_pages and immp_pages columns`, () => {
      const h = header({ hasComm: true, hasImmp: true, intervalUs: 500 });
      const sub: TestEpoch[] = [[0, [1, 2, 3], [2], [1, 3]], [500, [4], [], [4]], [1_000, [], [], []], [1_500, [7, 8], [7, 8], []]];
      const trace = expectValid(traceBytes(h, sub, { form, batchPages: 3 }), sub, h);
      expect(trace.summary.hasComm).toBe(true);
      expect(trace.summary.hasImmp).toBe(true);
    });
  }

  it('ZSTD and LZ4 compressed traces (file and stream) read back identically to plain ones', async () => {
    await enableZstdEncoder();
    // Compressible: long runs of consecutive pages.
    const big: TestEpoch[] = Array.from({ length: 40 }, (_, i) => [i * 1_000, Array.from({ length: 200 }, (_, k) => (i * 3 + k) % 1000).sort((a, b) => a - b)]);
    const h = header({ memPages: 1000, intervalUs: 1_000, hasComm: true });
    const withComm: TestEpoch[] = big.map(([t, p]) => [t, p, p.filter((x) => x % 7 === 0)]);
    for (const form of ['file', 'stream'] as const) {
      const plain = traceBytes(h, withComm, { form, batchPages: 2_000 });
      const plainTrace = expectValid(plain, withComm, h);
      for (const compression of ['zstd', 'lz4'] as const) {
        const packed = traceBytes(h, withComm, { form, compression, batchPages: 2_000 });
        expect(packed.byteLength, `${form}/${compression} is not smaller than plain`).toBeLessThan(plain.byteLength);
        const trace = expectValid(packed, withComm, h);
        expect(readEpochs(trace)).toEqual(readEpochs(plainTrace));
        expect(trace.summary).toEqual(plainTrace.summary);
      }
    }
  }, 60_000);

  it('reads the same whatever the size of the chunks the source hands out (1, 7, 64, 4096 bytes)', () => {
    const h = header({ hasComm: true, intervalUs: 1_000 });
    const e: TestEpoch[] = Array.from({ length: 30 }, (_, i) => [i * 1_000, [i, i + 2, i + 5].filter((x) => x < 64), i % 2 ? [i] : []]);
    for (const form of ['file', 'stream'] as const) {
      for (const compression of ['none', 'lz4'] as const) {
        const bytes = traceBytes(h, e, { form, compression, batchPages: 10 });
        const whole = openTrace(bytesSource('whole.arrow', bytes));
        for (const chunk of [1, 7, 64, 4096]) {
          const trace = openTrace(bytesSource('chunked.arrow', bytes, chunk));
          expect(readEpochs(trace), `${form}/${compression}, ${chunk}-byte chunks`).toEqual(normalise(e, h));
          expect(trace.summary).toEqual(whole.summary);
        }
        // and a stream cut mid-batch is still caught when read in small chunks
        if (form === 'stream') {
          const cut = bytes.subarray(0, bytes.byteLength - 30);
          for (const chunk of [1, 7]) {
            const err = openError(cut) as MigreplayError;
            expect(err).toBeInstanceOf(MigreplayError);
            expect(err.code).toBe('truncated');
            const errChunked = (() => { try { openTrace(bytesSource(NAME, cut, chunk)); } catch (x) { return x; } return undefined; })() as MigreplayError;
            expect(errChunked, `${chunk}-byte chunks`).toBeInstanceOf(MigreplayError);
            expect(errChunked.code).toBe('truncated');
          }
        }
      }
    }
  });

  it('a zero-page trace (epochs that wrote nothing) is valid with 0 events', () => {
    const none: TestEpoch[] = [[0, []], [100, []], [200, []]];
    for (const form of ['file', 'stream'] as const) {
      const trace = expectValid(traceBytes(header(), none, { form }), none, header());
      expect(trace.summary.events).toBe(0);
      expect(trace.summary.maxEpochPages).toBe(0);
      expect(trace.summary.durationUs).toBe(300); // inferred from the last gap
    }
  });

  it('one epoch with interval_us is valid: duration = t_us + interval_us', () => {
    const one: TestEpoch[] = [[250, [3]]];
    const h = header({ intervalUs: 40 });
    const trace = expectValid(traceBytes(h, one), one, h);
    expect(trace.summary.durationUs).toBe(290);
    expect(trace.summary.durationInferred).toBe(true);
  });

  it('one epoch with duration_us is valid: duration = duration_us', () => {
    const one: TestEpoch[] = [[250, [3]]];
    const h = header({ durationUs: 1_000 });
    const trace = expectValid(traceBytes(h, one), one, h);
    expect(trace.summary.durationUs).toBe(1_000);
    expect(trace.summary.durationInferred).toBe(false);
  });

  it('without duration_us or interval_us the last epoch lasts as long as the one before it', () => {
    const e: TestEpoch[] = [[0, [1]], [100, [2]], [130, [3]]];
    const trace = expectValid(traceBytes(header(), e), e, header());
    expect(trace.summary.durationUs).toBe(160);
  });

  it('duration_us just after the last epoch is valid', () => {
    const e: TestEpoch[] = [[0, [1]], [100, [2]]];
    const h = header({ durationUs: 101 });
    expect(expectValid(traceBytes(h, e), e, h).summary.durationUs).toBe(101);
  });

  it('page mem_pages − 1 is valid; pages may start at 0', () => {
    const e: TestEpoch[] = [[0, [0, 63]], [10, [63]]];
    expectValid(traceBytes(header(), e), e, header());
  });

  it('t_us as Uint64 is accepted, as is mem_pages = 2^30 (the limit) and an unknown metadata key', () => {
    for (const form of ['file', 'stream'] as const) {
      const bytes = arrowBytes([F('t_us', new Uint64()), PAGES_FIELD()], [prim(new Uint64(), [0, 10]), listCol([[1, 2], [3]])], { ...META, mem_pages: String(2 ** 30), 'x.custom': 'kept' }, form);
      const trace = openTrace(bytesSource('u64.arrow', bytes));
      expect(readEpochs(trace)).toEqual([[0, [1, 2]], [10, [3]]]);
      expect(trace.meta.memPages).toBe(2 ** 30);
      expect(trace.meta.raw['x.custom']).toBe('kept');
    }
  });

  it("page_size defaults to 4096 when the metadata has none", () => {
    const trace = openTrace(bytesSource('p.arrow', arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), withoutKey('page_size'))));
    expect(trace.meta.pageSize).toBe(4096);
  });

  it("apache-arrow's own IPC file (no schema message after the magic) is read through the footer", () => {
    const bytes = arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), META, 'file');
    // Precondition: the stream part really lacks the schema message, so this exercises the whole-file fallback.
    let streamPartReadable = true;
    try {
      const r = RecordBatchReader.from(bytes.subarray(8));
      r.open();
      streamPartReadable = Boolean(r.schema);
    } catch {
      streamPartReadable = false;
    }
    expect(streamPartReadable).toBe(false);
    const trace = openTrace(bytesSource('pa.arrow', bytes));
    expect(readEpochs(trace)).toEqual([[0, [1, 2]], [10, [3]]]);
    expect(trace.summary.durationUs).toBe(20);
  });

  it("apache-arrow's IPC stream reads the same", () => {
    const trace = openTrace(bytesSource('pa.arrows', arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), META, 'stream')));
    expect(readEpochs(trace)).toEqual([[0, [1, 2]], [10, [3]]]);
  });
});

// ---------------------------------------------------------------------------------------
// Not an Arrow trace at all

describe('bytes that are not a (whole) Arrow trace', () => {
  it('an empty file', () => {
    expectRejected(new Uint8Array(0), 'not-arrow', 'empty file, not an Arrow IPC trace');
  });

  it('random bytes', () => {
    expectRejected(noise(4096), 'not-arrow', /^not an Arrow IPC file or stream \(.+\)$/);
  });

  it('a few random bytes (shorter than a message prefix)', () => {
    expectRejected(noise(5), 'not-arrow', /^not an Arrow IPC file or stream \(.+\)$/);
  });

  it('text (a CSV given where a trace is expected)', () => {
    expectRejected(ascii('epoch,t_us,page\n0,0,1\n0,0,2\n1,100,3\n'), 'not-arrow', /^not an Arrow IPC file or stream \(.+\)$/);
  });

  it('random bytes between the two ARROW1 magics (footer check passes, content does not)', () => {
    expectRejected(concat(ascii('ARROW1\0\0'), noise(500), ascii('ARROW1')), 'not-arrow', /^not a readable Arrow IPC file \(.+\)$/);
  });
});

describe('truncated traces', () => {
  const h = header({ intervalUs: 100 });
  // 12 epochs of 3 pages, 9 pages per batch: the writer flushes a batch every 3 epochs, 4 batches in all.
  const epochs: TestEpoch[] = Array.from({ length: 12 }, (_, i) => [i * 100, [i, i + 1, i + 2]]);
  const TRUNCATED_FILE = 'Arrow IPC file is truncated (no footer); the capture or copy did not finish';

  it('the test stream has 4 batch boundaries after the schema (precondition)', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 9 });
    expect(s.epochsAt).toEqual([3, 6, 9, 12]);
    expect(s.schemaEnd).toBeGreaterThan(0);
    expect(s.bytes.byteLength).toBe(s.batchEnds[3]! + 8); // then the 8-byte end-of-stream marker
  });

  it('IPC file form cut anywhere before its end (at batch boundaries, mid-batch, 1 byte short) is truncated', () => {
    const f = writeWithBoundaries(h, epochs, { form: 'file', batchPages: 9 });
    const cuts = new Set<number>([6, 8, f.schemaEnd, f.bytes.byteLength - 1, f.bytes.byteLength - 6]);
    for (const end of f.batchEnds) {
      cuts.add(end);
      cuts.add(end - 17);
    }
    for (const cut of cuts) expectRejected(f.bytes.subarray(0, cut), 'truncated', TRUNCATED_FILE);
    // and whole, it reads
    expectValid(f.bytes, epochs, h);
  });

  it("apache-arrow's IPC file (footer-only schema) cut short is truncated too", () => {
    const bytes = arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), META, 'file');
    for (const cut of [6, 40, bytes.byteLength >> 1, bytes.byteLength - 1]) expectRejected(bytes.subarray(0, cut), 'truncated', TRUNCATED_FILE);
  });

  // A stream has no footer: a stream cut exactly between two messages is indistinguishable
  // from a shorter stream without its end-of-stream marker. By design (TraceWriterOptions.form,
  // "valid up to the last whole batch even if cut short") it reads as the shorter trace:
  // the whole batches before the cut, nothing invented.
  it('IPC stream cut exactly at a batch boundary is the valid shorter trace of the whole batches before it', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 9 });
    s.batchEnds.forEach((end, k) => {
      const n = s.epochsAt[k]!;
      const trace = expectValid(s.bytes.subarray(0, end), epochs.slice(0, n), h, `cut-at-${end}.arrow`);
      expect(trace.summary.epochs).toBe(n);
      expect(trace.summary.durationUs).toBe(epochs[n - 1]![0] + 100);
    });
  });

  it('IPC stream cut inside a record batch (metadata or body) is truncated, naming the batch', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 9 });
    const starts = [s.schemaEnd, ...s.batchEnds.slice(0, -1)];
    starts.forEach((start, k) => {
      const end = s.batchEnds[k]!;
      // 9 = prefix (8 bytes) + 1 byte of metadata; the middle; one byte short of the batch's end
      for (const cut of [start + 9, (start + end) >> 1, end - 1]) {
        expectRejected(s.bytes.subarray(0, cut), 'truncated', new RegExp(`^batch ${k}: cannot decode \\(.+\\); the trace is truncated or corrupt$`));
      }
    });
  });

  it('IPC stream cut inside its schema message is not an Arrow trace', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 9 });
    for (const cut of [1, 4, 8, 9, s.schemaEnd >> 1, s.schemaEnd - 1]) {
      expectRejected(s.bytes.subarray(0, cut), 'not-arrow', /^not an Arrow IPC file or stream \(.+\)$/);
    }
  });

  // A stream that holds its schema and nothing else — cut right after the schema, or a
  // writer that closed without any epoch — has no epochs: the same error as any other
  // trace without epochs, not a crash while decoding a batch that does not exist.
  it('IPC stream cut right after the schema message (zero batches) is rejected: no epochs', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 9 });
    expectRejected(s.bytes.subarray(0, s.schemaEnd), 'trace-rule', 'the trace has no epochs');
  });
});

// ---------------------------------------------------------------------------------------
// Schema: columns and their types

describe('columns', () => {
  it("no 't_us' column", () => {
    expectRejected(arrowBytes([PAGES_FIELD()], [listCol([[1], [2]])]), 'schema', "no 't_us' column");
  });

  it("no 'pages' column", () => {
    expectRejected(arrowBytes([T_FIELD()], [prim(new Int64(), [0, 10])]), 'schema', "no 'pages' column");
  });

  it('neither column (some other table)', () => {
    expectRejected(arrowBytes([F('x', new Int32())], [prim(new Int32(), [0, 10])]), 'schema', "no 't_us' column");
  });

  const tTypes: [string, DataType][] = [['Int32', new Int32()], ['Float64', new Float64()], ['Uint32', new Uint32()]];
  for (const [label, type] of tTypes) {
    it(`'t_us' of type ${label}`, () => {
      expectRejected(arrowBytes([F('t_us', type), PAGES_FIELD()], [prim(type, [0, 10]), listCol([[1], [2]])]), 'schema', `column 't_us' is ${label}, expected Int64 or Uint64`);
    });
  }

  it("'t_us' of type Utf8", () => {
    const t = vectorFromArray(['0', '10'], new Utf8()).data[0];
    expectRejected(arrowBytes([F('t_us', new Utf8()), PAGES_FIELD()], [t, listCol([[1], [2]])]), 'schema', "column 't_us' is Utf8, expected Int64 or Uint64");
  });

  const listTypes: [string, DataType][] = [['List<Int32>', new Int32()], ['List<Uint64>', new Uint64()], ['List<Int16>', new Int16()]];
  for (const [label, item] of listTypes) {
    it(`'pages' of type ${label}`, () => {
      expectRejected(arrowBytes([T_FIELD(), F('pages', listOf(item))], [prim(new Int64(), [0, 10]), listCol([[1], [2]], listOf(item))]), 'schema', `column 'pages' is ${label}, expected List<Uint32>`);
    });
  }

  it("'pages' as a flat Uint32 column, not a list", () => {
    expectRejected(arrowBytes([T_FIELD(), F('pages', new Uint32())], [prim(new Int64(), [0, 10]), prim(new Uint32(), [1, 2])]), 'schema', "column 'pages' is Uint32, expected List<Uint32>");
  });

  it("'comm_pages' of type List<Int32>", () => {
    expectRejected(
      arrowBytes([T_FIELD(), PAGES_FIELD(), F('comm_pages', listOf(new Int32()))], [...goodColumns(), listCol([[1], []], listOf(new Int32()))]),
      'schema', "column 'comm_pages' is List<Int32>, expected List<Uint32>",
    );
  });

  it("'immp_pages' of type Utf8", () => {
    expectRejected(
      arrowBytes([T_FIELD(), PAGES_FIELD(), F('immp_pages', new Utf8())], [...goodColumns(), vectorFromArray(['a', 'b'], new Utf8()).data[0]]),
      'schema', "column 'immp_pages' is Utf8, expected List<Uint32>",
    );
  });
});

// ---------------------------------------------------------------------------------------
// Schema metadata

describe('schema metadata', () => {
  it('schema version other than 1', () => {
    for (const v of ['2', '0', '1.0', '']) {
      expectRejected(withMeta({ 'migreplay.schema': v }), 'schema', `trace schema version '${v}' is not supported (this build reads 1)`);
    }
  });

  it("missing 'mem_pages'", () => {
    expectRejected(arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), withoutKey('mem_pages')), 'schema', "schema metadata lacks 'mem_pages' (required)");
  });

  it("'mem_pages' not a whole number ≥ 1", () => {
    for (const v of ['lots', '', ' ', '0', '-3', '1.5', 'Infinity', 'NaN']) {
      expectRejected(withMeta({ mem_pages: v }), 'schema', `schema metadata 'mem_pages' = '${v}' is not an integer ≥ 1`);
    }
  });

  it("'mem_pages' beyond 2^30 is too-large (checked before anything is allocated)", () => {
    for (const [v, shown] of [[String(2 ** 30 + 1), '1073741825'], [String(2 ** 40), '1099511627776']]) {
      expectRejected(withMeta({ mem_pages: v! }), 'too-large', `mem_pages = ${shown} is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)`);
    }
  });

  it("'mem_pages' must be written as plain digits (no exponent, hex or sign)", () => {
    for (const v of ['1e3', '0x10', '+64', '64.0']) {
      expectRejected(withMeta({ mem_pages: v }), 'schema', `schema metadata 'mem_pages' = '${v}' is not an integer ≥ 1`);
    }
  });

  it("'mem_pages' beyond 2^30 in a TraceWriter trace, file and stream, is too-large", () => {
    for (const form of ['file', 'stream'] as const) {
      const bytes = traceBytes(header({ memPages: 2 ** 31, intervalUs: 10 }), [[0, [1]], [10, [2 ** 31 - 1]]], { form });
      expectRejected(bytes, 'too-large', 'mem_pages = 2147483648 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)');
    }
  });

  for (const key of ['page_size', 'interval_us', 'duration_us']) {
    it(`'${key}' not a whole number ≥ 1`, () => {
      for (const v of ['0', '-1', 'x', '2.5', '']) {
        expectRejected(withMeta({ [key]: v }), 'schema', `schema metadata '${key}' = '${v}' is not an integer ≥ 1`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Nulls

describe('nulls', () => {
  it("a null 't_us'", () => {
    const t = makeData({ type: new Int64(), length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), data: BigInt64Array.of(0n, 10n) } as any);
    expectRejected(arrowBytes([F('t_us', new Int64(), true), PAGES_FIELD()], [t, listCol([[1], [2]])]), 'trace-rule', "batch 0: column 't_us' has nulls");
  });

  it("a null 'pages' list", () => {
    const type = listOf(new Uint32());
    const pages = makeData({ type, length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), valueOffsets: Int32Array.of(0, 1, 1), child: prim(new Uint32(), [1]) } as any);
    expectRejected(arrowBytes([T_FIELD(), F('pages', type, true)], [prim(new Int64(), [0, 10]), pages]), 'trace-rule', "batch 0: column 'pages' has nulls");
  });

  it("a null page number inside a 'pages' list", () => {
    const type = listOf(new Uint32(), true);
    const child = makeData({ type: new Uint32(), length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), data: Uint32Array.of(1, 2) } as any);
    const pages = makeData({ type, length: 2, nullCount: 0, valueOffsets: Int32Array.of(0, 1, 2), child } as any);
    expectRejected(arrowBytes([T_FIELD(), F('pages', type)], [prim(new Int64(), [0, 10]), pages]), 'trace-rule', "batch 0: column 'pages' has nulls");
  });

  it("a null 'comm_pages' list", () => {
    const type = listOf(new Uint32());
    const comm = makeData({ type, length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), valueOffsets: Int32Array.of(0, 0, 0), child: prim(new Uint32(), []) } as any);
    expectRejected(arrowBytes([T_FIELD(), PAGES_FIELD(), F('comm_pages', type, true)], [...goodColumns(), comm]), 'trace-rule', "batch 0: column 'comm_pages' has nulls");
  });

  it("a null 'immp_pages' list", () => {
    const type = listOf(new Uint32());
    const immp = makeData({ type, length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b10), valueOffsets: Int32Array.of(0, 1, 1), child: prim(new Uint32(), [1]) } as any);
    expectRejected(arrowBytes([T_FIELD(), PAGES_FIELD(), F('immp_pages', type, true)], [...goodColumns(), immp]), 'trace-rule', "batch 0: column 'immp_pages' has nulls");
  });
});

// ---------------------------------------------------------------------------------------
// Epoch rules (bad traces written with the non-validating TraceWriter)

describe('epoch rules', () => {
  const bad = (epochs: TestEpoch[], h: Partial<TraceHeader> = {}, options: TraceWriterOptions = {}) =>
    traceBytes(header({ intervalUs: 100, ...h }), epochs, options);

  for (const form of ['file', 'stream'] as const) {
    describe(`${form} form`, () => {
      it('pages not ascending', () => {
        expectRejected(bad([[0, [1, 2]], [10, [5, 3, 7]]], {}, { form }), 'trace-rule', 'batch 0, row 1: pages not ascending and distinct (page 3 after 5)');
      });

      it('a page twice in one epoch', () => {
        expectRejected(bad([[0, [1, 2, 2, 4]]], {}, { form }), 'trace-rule', 'batch 0, row 0: pages not ascending and distinct (page 2 after 2)');
      });

      it('page = mem_pages', () => {
        expectRejected(bad([[0, [1]], [10, [3, 64]]], {}, { form }), 'trace-rule', 'batch 0, row 1: page 64 ≥ mem_pages (64)');
      });

      it('page far beyond mem_pages', () => {
        expectRejected(bad([[0, [0xffffffff]]], {}, { form }), 'trace-rule', 'batch 0, row 0: page 4294967295 ≥ mem_pages (64)');
      });

      it('t_us decreasing', () => {
        expectRejected(bad([[0, [1]], [50, [2]], [40, [3]]], {}, { form }), 'trace-rule', 'batch 0, row 2: t_us = 40 does not increase (previous 50)');
      });

      it('t_us repeated', () => {
        expectRejected(bad([[0, [1]], [50, [2]], [50, [3]]], {}, { form }), 'trace-rule', 'batch 0, row 2: t_us = 50 does not increase (previous 50)');
      });

      it('t_us negative', () => {
        expectRejected(bad([[-5, [1]], [50, [2]]], {}, { form }), 'trace-rule', 'batch 0, row 0: t_us = -5 is negative or too large');
      });

      it('t_us beyond 2^53 (not exact as a double)', () => {
        const bytes = arrowBytes([T_FIELD(), PAGES_FIELD()], [prim(new Int64(), [0n, 2n ** 53n]), listCol([[1], [2]])], META, form);
        expectRejected(bytes, 'trace-rule', 'batch 0, row 1: t_us = 9007199254740992 is negative or too large');
      });

      it('comm_pages not a subset of pages', () => {
        expectRejected(bad([[0, [1, 2, 3], [2]], [10, [4, 6], [5]]], { hasComm: true }, { form }), 'trace-rule', 'batch 0, row 1: comm_pages page 5 is not in pages');
      });

      it('comm_pages beyond the last page', () => {
        expectRejected(bad([[0, [1, 2, 3], [2, 9]]], { hasComm: true }, { form }), 'trace-rule', 'batch 0, row 0: comm_pages page 9 is not in pages');
      });

      it('comm_pages not ascending', () => {
        expectRejected(bad([[0, [1, 2, 3], [3, 1]]], { hasComm: true }, { form }), 'trace-rule', 'batch 0, row 0: comm_pages not ascending and distinct (page 1 after 3)');
      });

      it('immp_pages not a subset of pages (in a trace that has both columns)', () => {
        expectRejected(bad([[0, [1, 2, 3], [1], [2]], [10, [4], [], [0]]], { hasComm: true, hasImmp: true }, { form }), 'trace-rule', 'batch 0, row 1: immp_pages page 0 is not in pages');
      });

      it('immp_pages with a page twice', () => {
        expectRejected(bad([[0, [1, 2, 3], undefined, [2, 2]]], { hasImmp: true }, { form }), 'trace-rule', 'batch 0, row 0: immp_pages not ascending and distinct (page 2 after 2)');
      });

      it('immp_pages not a subset while comm_pages is absent', () => {
        expectRejected(bad([[0, [1, 2], undefined, [1, 2, 3]]], { hasImmp: true }, { form }), 'trace-rule', 'batch 0, row 0: immp_pages page 3 is not in pages');
      });
    });
  }

  it('the message names the batch and the row (counted over the whole trace) in a later batch', () => {
    // 2 pages per epoch, 4 pages per batch: batch k holds rows 2k, 2k+1.
    const epochs: TestEpoch[] = Array.from({ length: 10 }, (_, i) => [i * 10, [i, i + 1]]);
    epochs[7] = [70, [9, 8]];
    expectRejected(bad(epochs, {}, { batchPages: 4 }), 'trace-rule', 'batch 3, row 7: pages not ascending and distinct (page 8 after 9)');
  });

  it('t_us must increase across a batch boundary too', () => {
    const epochs: TestEpoch[] = Array.from({ length: 6 }, (_, i) => [i * 10, [i, i + 1]]);
    epochs[4] = [30, [1, 2]]; // first row of batch 2, same t as the last row of batch 1
    expectRejected(bad(epochs, {}, { batchPages: 4, form: 'stream' }), 'trace-rule', 'batch 2, row 4: t_us = 30 does not increase (previous 30)');
  });

  it('the first broken rule is reported, not a later one', () => {
    expectRejected(bad([[0, [2, 1]], [0, [99]]]), 'trace-rule', 'batch 0, row 0: pages not ascending and distinct (page 1 after 2)');
  });
});

// ---------------------------------------------------------------------------------------
// The trace's length

describe("the trace's length", () => {
  for (const form of ['file', 'stream'] as const) {
    it(`zero epochs (a writer closed without any), ${form} form: rejected`, () => {
      expectRejected(traceBytes(header({ intervalUs: 100 }), [], { form }), 'trace-rule', 'the trace has no epochs');
    });
  }

  for (const form of ['file', 'stream'] as const) {
    it(`zero epochs in an apache-arrow table without record batches, ${form} form: rejected`, () => {
      const schema = new Schema([T_FIELD(), PAGES_FIELD()], new Map(Object.entries(META)));
      expectRejected(tableToIPC(new Table(schema), form), 'trace-rule', 'the trace has no epochs');
    });
  }

  it('zero epochs in a record batch of zero rows: rejected', () => {
    const schema = new Schema([T_FIELD(), PAGES_FIELD()], new Map(Object.entries(META)));
    const data = makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children: [prim(new Int64(), []), listCol([])] } as any);
    for (const form of ['file', 'stream'] as const) {
      expectRejected(tableToIPC(new Table(schema, [new RecordBatch(schema, data as any)]), form), 'trace-rule', 'the trace has no epochs');
    }
  });

  it('one epoch and neither interval_us nor duration_us: rejected', () => {
    for (const form of ['file', 'stream'] as const) {
      expectRejected(traceBytes(header(), [[250, [3]]], { form }), 'schema', "one epoch and neither duration_us nor interval_us: the trace's length is unknown");
    }
  });

  it('duration_us equal to the last t_us: rejected', () => {
    expectRejected(traceBytes(header({ durationUs: 100 }), [[0, [1]], [100, [2]]]), 'schema', 'duration_us = 100 does not lie after the last epoch (t_us = 100)');
  });

  it('duration_us before the last t_us: rejected (even with interval_us given)', () => {
    expectRejected(traceBytes(header({ durationUs: 50, intervalUs: 10 }), [[0, [1]], [100, [2]]]), 'schema', 'duration_us = 50 does not lie after the last epoch (t_us = 100)');
  });
});

describe('openTrace keepDecodedBytes', () => {
  const shipped = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../traces/${f}`, import.meta.url)));
  // Every column of every batch, as one byte string (deep equality of arrays is too slow here).
  const flat = (t: Trace): Buffer => {
    const parts: Buffer[] = [];
    for (const b of t.batches()) {
      for (const a of [b.tUs, b.offsets, b.pages, b.commOffsets, b.comm, b.immpOffsets, b.immp]) {
        parts.push(a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.from('-'));
      }
    }
    return Buffer.concat(parts);
  };

  it('keeps the epochs of the validating pass when they fit, and every later pass gives the same epochs', () => {
    for (const f of ['gzip9.arrow', 'xz6.arrow']) {
      const bytes = shipped(f);
      const plain = openTrace(bytesSource(f, bytes));
      const kept = openTrace(bytesSource(f, bytes), { keepDecodedBytes: 64 << 20 });
      expect(Array.isArray(kept.batches())).toBe(true); // held in memory
      expect(Array.isArray(plain.batches())).toBe(false); // decoded on each pass
      expect(kept.summary).toEqual(plain.summary);
      const once = flat(plain);
      expect(once.length).toBeGreaterThan(1000);
      expect(flat(kept).equals(once)).toBe(true);
      expect(flat(kept).equals(once)).toBe(true); // a second pass over what was kept
    }
  });

  it('reads the source again on every pass when the epochs take more than the limit', () => {
    const bytes = shipped('xz6.arrow');
    const plain = openTrace(bytesSource('xz6', bytes));
    const small = openTrace(bytesSource('xz6', bytes), { keepDecodedBytes: 1024 });
    expect(Array.isArray(small.batches())).toBe(false);
    expect(flat(small).equals(flat(plain))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// The structure of the IPC bytes (checked before anything is decoded): one schema, at the
// start; each metadata key once; every buffer inside its batch's body.

/** The IPC messages of bytes (stream form, or file form from byte 8). */
function messagesOf(bytes: Uint8Array): { metaStart: number; metaLength: number; type: MessageHeader; bodyLength: number }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { metaStart: number; metaLength: number; type: MessageHeader; bodyLength: number }[] = [];
  let pos = String.fromCharCode(...bytes.subarray(0, 6)) === 'ARROW1' ? 8 : 0;
  while (pos + 8 <= bytes.length && dv.getInt32(pos, true) === -1 && dv.getInt32(pos + 4, true) > 0) {
    const metaLength = dv.getInt32(pos + 4, true);
    const m = Message.decode(bytes.subarray(pos + 8, pos + 8 + metaLength));
    out.push({ metaStart: pos + 8, metaLength, type: m.headerType, bodyLength: Number(m.bodyLength) });
    pos += 8 + metaLength + Number(m.bodyLength);
  }
  return out;
}

/** A copy of the bytes with the offset or the length of buffer i of record batch k set to `value`. */
function patchBuffer(bytes: Uint8Array, k: number, i: number, what: 'offset' | 'length', value: number): Uint8Array {
  const m = messagesOf(bytes).filter((x) => x.type === MessageHeader.RecordBatch)[k]!;
  const rb = FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(m.metaStart, m.metaStart + m.metaLength))).header(new FbRecordBatch()) as FbRecordBatch;
  const at = m.metaStart + rb.buffers(i)!.bb_pos + (what === 'offset' ? 0 : 8);
  const out = bytes.slice();
  new DataView(out.buffer).setBigInt64(at, BigInt(value), true);
  return out;
}

/** A copy of the bytes with the one occurrence of `from` (a metadata key) replaced by `to`, of the same length. */
function renameKey(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const hay = Buffer.from(bytes);
  const at = hay.indexOf(from);
  expect(at).toBeGreaterThan(0);
  expect(hay.indexOf(from, at + 1)).toBe(-1);
  const out = bytes.slice();
  out.set(ascii(to), at);
  return out;
}

describe('the structure of the IPC bytes', () => {
  const h = header({ intervalUs: 100 });
  const epochs: TestEpoch[] = [[0, [1, 2]], [10, [3, 4]], [20, [5, 6]]];
  /** Three record batches (stream form) without their end-of-stream marker. */
  const head = (): Uint8Array => {
    const b = traceBytes(h, epochs, { form: 'stream', batchPages: 2 });
    return b.subarray(0, b.byteLength - 8);
  };
  const SECOND = 'a second schema message after 3 record batches (a trace has one schema, at its start)';

  it("a second schema message after the first batches ('pages' then Float64, Int64, List<Float64>, absent, or the same) is refused", () => {
    const t = () => prim(new Int64(), [30, 40]);
    const seconds: Uint8Array[] = [
      arrowBytes([T_FIELD(), F('pages', new Float64())], [t(), prim(new Float64(), [7, 8])]),
      arrowBytes([T_FIELD(), F('pages', new Int64())], [t(), prim(new Int64(), [7, 8])]),
      arrowBytes([T_FIELD(), F('pages', listOf(new Float64()))], [t(), listCol([[7], [8]], listOf(new Float64()))]),
      arrowBytes([T_FIELD()], [t()]),
      arrowBytes([T_FIELD(), PAGES_FIELD()], [t(), listCol([[7], [8]])], { ...META, mem_pages: '64' }),
    ];
    for (const second of seconds) expectRejected(concat(head(), second), 'schema', SECOND);
  });

  it('a second schema right after the first one (no batch between) is refused too', () => {
    const one = arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns());
    const schemaOnly = tableToIPC(new Table(new Schema([T_FIELD(), PAGES_FIELD()], new Map(Object.entries(META)))), 'stream');
    expectRejected(concat(schemaOnly.subarray(0, schemaOnly.byteLength - 8), one), 'schema', 'a second schema message after 0 record batches (a trace has one schema, at its start)');
  });

  for (const [key, other] of [['mem_pages', 'mem_pageX'], ['migreplay.schema', 'migreplay.schemX'], ['interval_us', 'interval_uX']] as const) {
    it(`schema metadata with '${key}' twice is refused (file and stream form)`, () => {
      for (const form of ['file', 'stream'] as const) {
        const bytes = arrowBytes([T_FIELD(), PAGES_FIELD()], goodColumns(), { ...META, interval_us: '10', [other]: key === 'migreplay.schema' ? '2' : '64' }, form);
        expectRejected(renameKey(bytes, other, key), 'schema', `schema metadata key '${key}' appears more than once (each key has one value)`);
      }
    });
  }

  it('two columns of the same name are refused', () => {
    expectRejected(arrowBytes([T_FIELD(), PAGES_FIELD(), PAGES_FIELD()], [...goodColumns(), listCol([[4], [5]])]), 'schema', "two columns named 'pages' (a column name is used once)");
  });

  for (const form of ['file', 'stream'] as const) {
    it(`a buffer offset or length outside its batch's body (negative, or past the end) is refused, ${form} form`, () => {
      const bytes = traceBytes(h, [[0, [1, 2]], [100_000, [3]], [200_000, [4, 5]]], { form });
      const body = messagesOf(bytes).find((m) => m.type === MessageHeader.RecordBatch)!.bodyLength;
      const shown = (i: number, column: string, offset: number, length: number) =>
        `batch 0: buffer ${i} (column '${column}') lies outside the message body (offset ${offset}, length ${length}; the body has ${body} bytes); the trace is truncated or corrupt`;
      expectRejected(patchBuffer(bytes, 0, 1, 'offset', -64), 'truncated', shown(1, 't_us', -64, 24));
      expectRejected(patchBuffer(bytes, 0, 1, 'offset', body - 8), 'truncated', shown(1, 't_us', body - 8, 24));
      expectRejected(patchBuffer(bytes, 0, 5, 'length', 1 << 20), 'truncated', new RegExp(`^batch 0: buffer 5 \\(column 'pages'\\) lies outside the message body \\(offset \\d+, length 1048576; the body has ${body} bytes\\)`));
      expectRejected(patchBuffer(bytes, 0, 3, 'length', -8), 'truncated', /^batch 0: buffer 3 \(column 'pages'\) lies outside the message body \(offset \d+, length -8;/);
      // and unpatched it reads: the trace lasts 0.2 s, not what a buffer read from the body's end would say
      expect(openTrace(bytesSource('ok.arrow', bytes)).summary.durationUs).toBe(200_100);
    });
  }

  it('a row count or field node length beyond 2^31 − 1 is refused (Arrow JS would recurse without end counting its nulls)', () => {
    const bytes = traceBytes(h, epochs, { form: 'stream' });
    const m = messagesOf(bytes).find((x) => x.type === MessageHeader.RecordBatch)!;
    const rb = FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(m.metaStart, m.metaStart + m.metaLength))).header(new FbRecordBatch()) as FbRecordBatch;
    const lengthAt = m.metaStart + rb.bb_pos + rb.bb!.__offset(rb.bb_pos, 4);
    const nodeAt = m.metaStart + rb.nodes(0)!.bb_pos;
    const rows = bytes.slice();
    new DataView(rows.buffer).setBigInt64(lengthAt, 2n ** 43n + 3n, true);
    new DataView(rows.buffer).setBigInt64(nodeAt, 2n ** 43n + 3n, true);
    expectRejected(rows, 'truncated', 'batch 0: cannot decode (a row count of 8796093022211); the trace is truncated or corrupt');
    const node = bytes.slice();
    new DataView(node.buffer).setBigInt64(nodeAt, 2n ** 40n, true);
    expectRejected(node, 'truncated', 'batch 0: cannot decode (field node 0 has length 1099511627776 and 0 nulls); the trace is truncated or corrupt');
    const nulls = bytes.slice();
    new DataView(nulls.buffer).setBigInt64(nodeAt + 8, 5n, true);
    expectRejected(nulls, 'truncated', 'batch 0: cannot decode (field node 0 has length 3 and 5 nulls); the trace is truncated or corrupt');
  });

  it('a stream cut inside the 8-byte prefix of a record batch is truncated, not the shorter trace', () => {
    const s = writeWithBoundaries(h, epochs, { form: 'stream', batchPages: 2 });
    for (const extra of [1, 4, 7]) {
      expectRejected(s.bytes.subarray(0, s.batchEnds[0]! + extra), 'truncated', "batch 1: cannot decode (the bytes end inside a message's length prefix); the trace is truncated or corrupt");
    }
    expectValid(s.bytes.subarray(0, s.batchEnds[0]!), epochs.slice(0, 1), h);
  });

  it('zero bytes (as /dev/zero gives) are not an Arrow trace', () => {
    expectRejected(new Uint8Array(4096), 'not-arrow', 'not an Arrow IPC file or stream (no schema message)');
  });
});

describe('the bad-trace corpus says everything in its own words', () => {
  const corpus = JSON.parse(readFileSync(new URL('./fixtures/bad/expected.json', import.meta.url), 'utf8')).fixtures as Record<string, { message?: string }>;
  // Text of JavaScript, V8 or apache-arrow exceptions: never part of a message for users.
  const JS_TEXT = [/Cannot read propert/i, /is not a function/, /undefined/, /\bof null\b/, /Invalid typed array/i, /out of range/i,
    /RangeError/, /TypeError/, /SyntaxError/, /Expected to read/, /is not iterable/, /Unrecognized/, /NaN/, /\[object /, /Maximum call stack/];

  it('has messages (precondition)', () => expect(Object.values(corpus).filter((c) => c.message).length).toBeGreaterThan(60));

  for (const [name, c] of Object.entries(corpus)) {
    if (!c.message) continue;
    it(`${name}: no exception text in '${c.message.slice(c.message.indexOf(': ') + 2, 80)}…'`, () => {
      const said = c.message!.slice(`test/fixtures/bad/${name}: `.length); // the file's own name may say anything
      expect(c.message!.startsWith(`test/fixtures/bad/${name}: `)).toBe(true);
      for (const re of JS_TEXT) expect(said, String(re)).not.toMatch(re);
    });
  }
});
