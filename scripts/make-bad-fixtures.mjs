#!/usr/bin/env node
// Rebuilds test/fixtures/bad/: a corpus of bad (and a few borderline valid) trace files,
// each with the exact message migreplay must give for it (expected.json, README.md).
//
//   npm run build && node scripts/make-bad-fixtures.mjs          # rewrite the corpus
//   node scripts/make-bad-fixtures.mjs --check                   # only compare, write nothing
//
// Every expectation below is written out by hand. After writing the files the script
// opens each one with the built reader (dist/) exactly as the CLI does, and exits 1 if any
// file does not give its expected message (or opens when it should not): regenerating
// the corpus is also a check of the reader. test/robustness.test.ts runs every file through
// `migreplay inspect` and `migreplay replay` and compares stderr with the same messages.
//
// The files are deterministic (no clock, a fixed pseudo-random generator), small (< 2 KiB
// each) and committed; rerun this script only when the format or a message changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Field, Float64, Int32, Int64, List, Message, MessageHeader, RecordBatch, Schema, Struct, Table, Uint32, Utf8,
  makeData, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { ByteBuffer } from 'flatbuffers';
import { MigreplayError } from '../dist/errors.js';
import { fileSource } from '../dist/io/files.js';
import { openTrace } from '../dist/trace/read.js';
import { TraceWriter } from '../dist/trace/write.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REL_DIR = 'test/fixtures/bad';
const DIR = path.join(ROOT, REL_DIR);
const CHECK_ONLY = process.argv.includes('--check');

// ---------------------------------------------------------------------------------------
// Building blocks

/** Bytes of a trace written with migreplay's TraceWriter (which does not validate), plus the end offset of the schema and of every record batch. */
function written(header, epochs, options = {}) {
  const chunks = [];
  let size = 0;
  const w = new TraceWriter((c) => { chunks.push(c.slice()); size += c.byteLength; }, { pageSize: 4096, ...header }, options);
  const schemaEnd = size;
  const batchEnds = [];
  const epochsAt = [];
  for (const [t, p, c, i] of epochs) {
    const before = size;
    w.epoch(t, p, c, i);
    if (size !== before) {
      batchEnds.push(size);
      epochsAt.push(w.epochs);
    }
  }
  w.close();
  const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  return { bytes, schemaEnd, batchEnds, epochsAt };
}
const trace = (header, epochs, options) => written(header, epochs, options).bytes;

const META = { 'migreplay.schema': '1', page_size: '4096', mem_pages: '10', interval_us: '10' };
const F = (name, type, nullable = false) => new Field(name, type, nullable);
const listOf = (item) => new List(new Field('item', item, false));
const BIG = (type) => type.ArrayType === BigInt64Array || type.ArrayType === BigUint64Array;
function prim(type, values) {
  const data = BIG(type) ? type.ArrayType.from(values.map((v) => BigInt(v))) : type.ArrayType.from(values);
  return makeData({ type, length: values.length, nullCount: 0, data });
}
function listCol(rows, type = listOf(new Uint32())) {
  const offsets = [0];
  for (const r of rows) offsets.push(offsets[offsets.length - 1] + r.length);
  return makeData({ type, length: rows.length, nullCount: 0, valueOffsets: Int32Array.from(offsets), child: prim(type.children[0].type, rows.flat()) });
}
/** An IPC stream of one record batch with these fields, columns and metadata, built with apache-arrow directly. */
function table(fields, columns, metadata = META) {
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const data = makeData({ type: new Struct(fields), length: columns[0].length, nullCount: 0, children: columns });
  return Buffer.from(tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), 'stream'));
}
const T = () => F('t_us', new Int64());
const PAGES = () => F('pages', listOf(new Uint32()));
const goodColumns = () => [prim(new Int64(), [0, 10]), listCol([[1, 2], [3]])];
const withMeta = (m) => table([T(), PAGES()], goodColumns(), m);
function without(key) {
  const m = { ...META };
  delete m[key];
  return m;
}

/** Deterministic pseudo-random bytes. */
function noise(n, seed = 12345) {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The corpus. `message` is everything after "migreplay: " on stderr, with {f} for the
// file as given on the command line (test/fixtures/bad/NAME).

const TRUNCATED_FILE = '{f}: Arrow IPC file is truncated (no footer); the capture or copy did not finish';
const cases = [];
const bad = (name, what, bytes, code, message) => cases.push({ name, what, bytes, code, message });
const ok = (name, what, bytes, epochs, extra = {}) => cases.push({ name, what, bytes, valid: { epochs, ...extra } });

// Not Arrow at all.
bad('empty.arrow', 'an empty file', Buffer.alloc(0), 'not-arrow', '{f}: empty file, not an Arrow IPC trace');
bad('random-4k.arrow', '4 KiB of random bytes', noise(4096), 'not-arrow',
  '{f}: not an Arrow IPC file or stream (no schema message at its start: a message of 232171475 metadata bytes, but only 4092 follow)');
bad('random-5b.arrow', '5 random bytes (shorter than a message prefix)', noise(5), 'not-arrow',
  '{f}: not an Arrow IPC file or stream (no schema message at its start: a message of 232171475 metadata bytes, but only 1 follow)');
bad('csv-text.arrow', 'a CSV file given where a trace is expected', Buffer.from('epoch,t_us,page\n0,0,1\n0,0,2\n1,100,3\n'), 'not-arrow',
  '{f}: not an Arrow IPC file or stream (no schema message at its start: a message of 1668247653 metadata bytes, but only 32 follow)');
bad('magic-noise.arrow', 'random bytes between the two ARROW1 magics (looks like a whole IPC file)', Buffer.concat([Buffer.from('ARROW1\0\0'), noise(500), Buffer.from('ARROW1')]), 'not-arrow',
  '{f}: not a readable Arrow IPC file (no schema message after its magic, and a footer length of 2060005566 bytes in a 514-byte file)');
bad('zeros.arrow', 'zero bytes (what /dev/zero gives)', Buffer.alloc(64), 'not-arrow', '{f}: not an Arrow IPC file or stream (no schema message)');

// Truncation. The base trace: 12 epochs of 3 pages, 9 pages per record batch → 4 batches.
const H = { memPages: 64, intervalUs: 100 };
const EPOCHS = Array.from({ length: 12 }, (_, i) => [i * 100, [i, i + 1, i + 2]]);
ok('base-file.arrow', 'the whole base trace (file form) the truncated ones are cut from', trace(H, EPOCHS, { batchPages: 9 }), 12);
ok('base-stream.arrow', 'the whole base trace (stream form)', trace(H, EPOCHS, { batchPages: 9, form: 'stream' }), 12);
{
  const f = written(H, EPOCHS, { batchPages: 9, form: 'file' });
  bad('file-cut-magic.arrow', 'IPC file cut inside its leading magic+padding (8 bytes)', f.bytes.subarray(0, 7), 'truncated', TRUNCATED_FILE);
  bad('file-cut-schema.arrow', 'IPC file cut right after its schema message', f.bytes.subarray(0, f.schemaEnd), 'truncated', TRUNCATED_FILE);
  f.batchEnds.forEach((end, k) => {
    const start = k === 0 ? f.schemaEnd : f.batchEnds[k - 1];
    bad(`file-cut-batch${k}-end.arrow`, `IPC file cut exactly after record batch ${k} (a batch boundary)`, f.bytes.subarray(0, end), 'truncated', TRUNCATED_FILE);
    bad(`file-cut-batch${k}-mid.arrow`, `IPC file cut in the middle of record batch ${k}`, f.bytes.subarray(0, (start + end) >> 1), 'truncated', TRUNCATED_FILE);
  });
  bad('file-cut-footer.arrow', 'IPC file cut inside its footer', f.bytes.subarray(0, f.bytes.length - 20), 'truncated', TRUNCATED_FILE);
  bad('file-cut-1byte.arrow', 'IPC file one byte short of its end', f.bytes.subarray(0, f.bytes.length - 1), 'truncated', TRUNCATED_FILE);
}
{
  const s = written(H, EPOCHS, { batchPages: 9, form: 'stream' });
  bad('stream-cut-prefix.arrow', 'IPC stream cut inside the first message prefix (6 bytes)', s.bytes.subarray(0, 6), 'not-arrow',
    "{f}: not an Arrow IPC file or stream (no schema message at its start: the bytes end inside a message's length prefix)");
  bad('stream-cut-schema.arrow', 'IPC stream cut in the middle of its schema message', s.bytes.subarray(0, s.schemaEnd >> 1), 'not-arrow',
    `{f}: not an Arrow IPC file or stream (no schema message at its start: a message of ${s.bytes.readInt32LE(4)} metadata bytes, but only ${(s.schemaEnd >> 1) - 8} follow)`);
  // Cut 4 bytes into the prefix of record batch 1: not a batch boundary, so not the shorter trace either.
  bad('stream-cut-batch1-prefix.arrow', 'IPC stream cut inside the 8-byte prefix of record batch 1', s.bytes.subarray(0, s.batchEnds[0] + 4), 'truncated',
    "{f}: batch 1: cannot decode (the bytes end inside a message's length prefix); the trace is truncated or corrupt");
  bad('stream-cut-after-schema.arrow', 'IPC stream cut right after its schema message (no record batch)', s.bytes.subarray(0, s.schemaEnd), 'trace-rule', '{f}: the trace has no epochs');
  s.batchEnds.forEach((end, k) => {
    const start = k === 0 ? s.schemaEnd : s.batchEnds[k - 1];
    // A stream has no footer: cut exactly between two messages it is the valid, shorter
    // trace of the whole batches before the cut (docs/trace-format.md).
    ok(`stream-cut-batch${k}-end.arrow`, `IPC stream cut exactly after record batch ${k}: valid, the first ${s.epochsAt[k]} epochs`, s.bytes.subarray(0, end), s.epochsAt[k]);
    bad(`stream-cut-batch${k}-meta.arrow`, `IPC stream cut inside the metadata of record batch ${k}`, s.bytes.subarray(0, start + 9), 'truncated',
      `{f}: batch ${k}: cannot decode (a message of ${s.bytes.readInt32LE(start + 4)} metadata bytes, but only 1 follow); the trace is truncated or corrupt`);
    bad(`stream-cut-batch${k}-mid.arrow`, `IPC stream cut in the middle of record batch ${k}`, s.bytes.subarray(0, (start + end) >> 1), 'truncated',
      `{f}: batch ${k}: cannot decode (${midBatchDetail(s.bytes, start, (start + end) >> 1)}); the trace is truncated or corrupt`);
  });
}

/** The reader's words for a record batch cut at `cut`: inside its metadata, or inside its body. */
function midBatchDetail(bytes, start, cut) {
  const metaLength = bytes.readInt32LE(start + 4);
  if (start + 8 + metaLength > cut) return `a message of ${metaLength} metadata bytes, but only ${cut - start - 8} follow`;
  return `a message body of ${bodyLengthOf(bytes, start)} bytes, but only ${cut - start - 8 - metaLength} follow`;
}
/** The bodyLength of the IPC message at `start` (the flatbuffer's Message.bodyLength, read through apache-arrow). */
function bodyLengthOf(bytes, start) {
  return Number(Message.decode(bytes.subarray(start + 8, start + 8 + bytes.readInt32LE(start + 4))).bodyLength);
}

/** The IPC messages of bytes (stream form, or file form from byte 8): where each starts, its metadata, its type and body. */
function messagesOf(bytes) {
  const out = [];
  let pos = bytes.subarray(0, 6).toString('latin1') === 'ARROW1' ? 8 : 0;
  while (pos + 8 <= bytes.length && bytes.readInt32LE(pos) === -1 && bytes.readInt32LE(pos + 4) > 0) {
    const metaLength = bytes.readInt32LE(pos + 4);
    const m = Message.decode(bytes.subarray(pos + 8, pos + 8 + metaLength));
    out.push({ pos, metaStart: pos + 8, metaLength, type: m.headerType, bodyLength: Number(m.bodyLength) });
    pos += 8 + metaLength + Number(m.bodyLength);
  }
  return out;
}
const batchMessage = (bytes, k) => messagesOf(bytes).filter((m) => m.type === MessageHeader.RecordBatch)[k];
const bodyOfBatch = (bytes, k) => batchMessage(bytes, k).bodyLength;
/** Buffer i of record batch k, as its flatbuffer struct (offset, length, and where it sits). */
function bufferOf(bytes, k, i) {
  const m = batchMessage(bytes, k);
  const rb = FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(m.metaStart, m.metaStart + m.metaLength))).header(new FbRecordBatch());
  const b = rb.buffers(i);
  return { at: m.metaStart + b.bb_pos, offset: Number(b.offset()), length: Number(b.length()) };
}
/** A copy of bytes with the offset or length of buffer i of record batch k overwritten. */
function patchBuffer(bytes, k, i, what, value) {
  const out = Buffer.from(bytes);
  out.writeBigInt64LE(BigInt(value), bufferOf(bytes, k, i).at + (what === 'offset' ? 0 : 8));
  return out;
}
/** A copy of bytes with the one occurrence of metadata key `from` renamed `to` (of the same length): keys apache-arrow's writer cannot repeat. */
function renameKey(bytes, from, to) {
  const at = bytes.indexOf(Buffer.from(from));
  if (at < 0 || bytes.indexOf(Buffer.from(from), at + 1) >= 0 || from.length !== to.length) throw new Error(`renameKey ${from}`);
  const out = Buffer.from(bytes);
  out.write(to, at, 'latin1');
  return out;
}
const R0 = { memPages: 64, intervalUs: 100 };

// Columns and their types.
bad('no-pages.arrow', "no 'pages' column", table([T()], [prim(new Int64(), [0, 10])]), 'schema', "{f}: no 'pages' column");
bad('no-t_us.arrow', "no 't_us' column", table([PAGES()], [listCol([[1], [2]])]), 'schema', "{f}: no 't_us' column");
bad('t_us-float64.arrow', "'t_us' of type Float64", table([F('t_us', new Float64()), PAGES()], [prim(new Float64(), [0, 10]), listCol([[1], [2]])]), 'schema',
  "{f}: column 't_us' is Float64, expected Int64 or Uint64");
bad('t_us-utf8.arrow', "'t_us' of type Utf8", table([F('t_us', new Utf8()), PAGES()], [vectorFromArray(['0', '10'], new Utf8()).data[0], listCol([[1], [2]])]), 'schema',
  "{f}: column 't_us' is Utf8, expected Int64 or Uint64");
bad('pages-list-int32.arrow', "'pages' of type List<Int32>", table([T(), F('pages', listOf(new Int32()))], [prim(new Int64(), [0, 10]), listCol([[1], [2]], listOf(new Int32()))]), 'schema',
  "{f}: column 'pages' is List<Int32>, expected List<Uint32>");
bad('pages-flat-uint32.arrow', "'pages' a flat Uint32 column, not a list", table([T(), F('pages', new Uint32())], [prim(new Int64(), [0, 10]), prim(new Uint32(), [1, 2])]), 'schema',
  "{f}: column 'pages' is Uint32, expected List<Uint32>");
bad('comm-list-int32.arrow', "'comm_pages' of type List<Int32>",
  table([T(), PAGES(), F('comm_pages', listOf(new Int32()))], [...goodColumns(), listCol([[1], []], listOf(new Int32()))]), 'schema',
  "{f}: column 'comm_pages' is List<Int32>, expected List<Uint32>");

// Schema metadata.
bad('no-mem_pages.arrow', "no 'mem_pages' metadata", withMeta(without('mem_pages')), 'schema', "{f}: schema metadata lacks 'mem_pages' (required)");
bad('mem_pages-text.arrow', "'mem_pages' = 'lots'", withMeta({ ...META, mem_pages: 'lots' }), 'schema', "{f}: schema metadata 'mem_pages' = 'lots' is not an integer ≥ 1");
bad('mem_pages-empty.arrow', "'mem_pages' = ''", withMeta({ ...META, mem_pages: '' }), 'schema', "{f}: schema metadata 'mem_pages' = '' is not an integer ≥ 1");
bad('mem_pages-zero.arrow', "'mem_pages' = '0'", withMeta({ ...META, mem_pages: '0' }), 'schema', "{f}: schema metadata 'mem_pages' = '0' is not an integer ≥ 1");
bad('mem_pages-fraction.arrow', "'mem_pages' = '1.5'", withMeta({ ...META, mem_pages: '1.5' }), 'schema', "{f}: schema metadata 'mem_pages' = '1.5' is not an integer ≥ 1");
bad('mem_pages-2e31.arrow', 'mem_pages = 2^31: beyond what a wasm32 replay can hold', trace({ memPages: 2 ** 31, intervalUs: 10 }, [[0, [1]], [10, [2 ** 31 - 1]]]), 'too-large',
  '{f}: mem_pages = 2147483648 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)');
bad('mem_pages-2e40.arrow', 'mem_pages = 2^40', withMeta({ ...META, mem_pages: String(2 ** 40) }), 'too-large',
  '{f}: mem_pages = 1099511627776 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)');
bad('mem_pages-1e300.arrow', "mem_pages = '1e300' (plain digits only)", withMeta({ ...META, mem_pages: '1e300' }), 'schema',
  "{f}: schema metadata 'mem_pages' = '1e300' is not an integer ≥ 1");
bad('schema-version-2.arrow', "'migreplay.schema' = '2'", withMeta({ ...META, 'migreplay.schema': '2' }), 'schema', "{f}: trace schema version '2' is not supported (this build reads 1)");
bad('page_size-zero.arrow', "'page_size' = '0'", withMeta({ ...META, page_size: '0' }), 'schema', "{f}: schema metadata 'page_size' = '0' is not an integer ≥ 1");
// The structure of the IPC bytes: one schema, at the start; each metadata key once; every
// buffer of a record batch inside its body.
{
  // Three record batches (stream form, 2 pages per batch) without the end-of-stream marker, then a second schema and a batch of it.
  const three = trace(R0, [[0, [1, 2]], [10, [3, 4]], [20, [5, 6]]], { batchPages: 2, form: 'stream' });
  const head = three.subarray(0, three.length - 8);
  const then = (fields, columns) => Buffer.concat([head, table(fields, columns)]);
  const SECOND = '{f}: a second schema message after 3 record batches (a trace has one schema, at its start)';
  bad('second-schema-float64.arrow', "a second schema message after 3 batches, 'pages' then a Float64 column", then([T(), F('pages', new Float64())], [prim(new Int64(), [30, 40]), prim(new Float64(), [7, 8])]), 'schema', SECOND);
  bad('second-schema-int64.arrow', "a second schema message after 3 batches, 'pages' then an Int64 column", then([T(), F('pages', new Int64())], [prim(new Int64(), [30, 40]), prim(new Int64(), [7, 8])]), 'schema', SECOND);
  bad('second-schema-no-pages.arrow', "a second schema message after 3 batches, without 'pages'", then([T()], [prim(new Int64(), [30, 40])]), 'schema', SECOND);
  bad('second-schema-same.arrow', 'a second schema message after 3 batches, the same schema again', Buffer.concat([head, three]), 'schema', SECOND);
}
bad('dup-mem_pages.arrow', "'mem_pages' twice in the schema metadata ('10' and '64')", renameKey(withMeta({ ...META, mem_pageX: '64' }), 'mem_pageX', 'mem_pages'), 'schema',
  "{f}: schema metadata key 'mem_pages' appears more than once (each key has one value)");
bad('dup-schema-version.arrow', "'migreplay.schema' twice in the schema metadata ('1' and '2')", renameKey(withMeta({ ...META, 'migreplay.schemX': '2' }), 'migreplay.schemX', 'migreplay.schema'), 'schema',
  "{f}: schema metadata key 'migreplay.schema' appears more than once (each key has one value)");
bad('dup-column-pages.arrow', "two columns named 'pages'", table([T(), PAGES(), PAGES()], [...goodColumns(), listCol([[4], [5]])]), 'schema',
  "{f}: two columns named 'pages' (a column name is used once)");
{
  const base = trace(R0, [[0, [1, 2]], [100, [3]], [200, [4, 5]]]);
  const body = bodyOfBatch(base, 0);
  bad('buffer-offset-negative.arrow', "record batch 0 places 't_us' at byte offset −64 of its body", patchBuffer(base, 0, 1, 'offset', -64), 'truncated',
    `{f}: batch 0: buffer 1 (column 't_us') lies outside the message body (offset -64, length 24; the body has ${body} bytes); the trace is truncated or corrupt`);
  bad('buffer-offset-past-body.arrow', "record batch 0 places 'pages' values past the end of its body", patchBuffer(base, 0, 5, 'offset', body), 'truncated',
    `{f}: batch 0: buffer 5 (column 'pages') lies outside the message body (offset ${body}, length 24; the body has ${body} bytes); the trace is truncated or corrupt`);
  bad('buffer-length-negative.arrow', "record batch 0 gives 'pages' offsets a length of −8", patchBuffer(base, 0, 3, 'length', -8), 'truncated',
    `{f}: batch 0: buffer 3 (column 'pages') lies outside the message body (offset ${bufferOf(base, 0, 3).offset}, length -8; the body has ${body} bytes); the trace is truncated or corrupt`);
}
bad('duration-before-end.arrow', 'duration_us before the last epoch', trace({ memPages: 64, durationUs: 50 }, [[0, [1]], [100, [2]]]), 'schema',
  '{f}: duration_us = 50 does not lie after the last epoch (t_us = 100)');

// Nulls.
{
  const t = makeData({ type: new Int64(), length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), data: BigInt64Array.of(0n, 10n) });
  bad('t_us-null.arrow', "a null 't_us'", table([F('t_us', new Int64(), true), PAGES()], [t, listCol([[1], [2]])]), 'trace-rule', "{f}: batch 0: column 't_us' has nulls");
  const type = listOf(new Uint32());
  const pages = makeData({ type, length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), valueOffsets: Int32Array.of(0, 1, 1), child: prim(new Uint32(), [1]) });
  bad('pages-null.arrow', "a null 'pages' list", table([T(), F('pages', type, true)], [prim(new Int64(), [0, 10]), pages]), 'trace-rule', "{f}: batch 0: column 'pages' has nulls");
}

// Epoch rules.
const R = { memPages: 64, intervalUs: 100 };
for (const form of ['file', 'stream']) {
  const o = { form };
  bad(`${form}-page-eq-mem_pages.arrow`, `page = mem_pages (${form} form)`, trace(R, [[0, [1]], [10, [3, 64]]], o), 'trace-rule', '{f}: batch 0, row 1: page 64 ≥ mem_pages (64)');
  bad(`${form}-page-2e32.arrow`, `page 2^32−1, far beyond mem_pages (${form} form)`, trace(R, [[0, [0xffffffff]]], o), 'trace-rule', '{f}: batch 0, row 0: page 4294967295 ≥ mem_pages (64)');
  bad(`${form}-pages-unsorted.arrow`, `pages not ascending in an epoch (${form} form)`, trace(R, [[0, [1, 2]], [10, [5, 3, 7]]], o), 'trace-rule',
    '{f}: batch 0, row 1: pages not ascending and distinct (page 3 after 5)');
  bad(`${form}-pages-duplicate.arrow`, `a page twice in one epoch (${form} form)`, trace(R, [[0, [1, 2, 2, 4]]], o), 'trace-rule',
    '{f}: batch 0, row 0: pages not ascending and distinct (page 2 after 2)');
  bad(`${form}-t_us-decreasing.arrow`, `t_us going back (${form} form)`, trace(R, [[0, [1]], [50, [2]], [40, [3]]], o), 'trace-rule',
    '{f}: batch 0, row 2: t_us = 40 does not increase (previous 50)');
  bad(`${form}-t_us-repeated.arrow`, `t_us repeated (${form} form)`, trace(R, [[0, [1]], [50, [2]], [50, [3]]], o), 'trace-rule',
    '{f}: batch 0, row 2: t_us = 50 does not increase (previous 50)');
  bad(`${form}-comm-not-subset.arrow`, `comm_pages not a subset of pages (${form} form)`, trace({ ...R, hasComm: true }, [[0, [1, 2, 3], [2]], [10, [4, 6], [5]]], o), 'trace-rule',
    '{f}: batch 0, row 1: comm_pages page 5 is not in pages');
}
bad('t_us-negative.arrow', 't_us negative', trace(R, [[-5, [1]], [50, [2]]]), 'trace-rule', '{f}: batch 0, row 0: t_us = -5 is negative or too large');
bad('t_us-repeated-across-batches.arrow', 't_us repeated across a record batch boundary (the rule holds over the whole trace)',
  trace(R, Array.from({ length: 6 }, (_, i) => [i === 4 ? 30 : i * 10, [i, i + 1]]), { batchPages: 4, form: 'stream' }), 'trace-rule',
  '{f}: batch 2, row 4: t_us = 30 does not increase (previous 30)');
bad('pages-unsorted-batch3.arrow', 'an unsorted epoch in a later batch: the message names batch and row',
  trace(R, Array.from({ length: 10 }, (_, i) => [i * 10, i === 7 ? [9, 8] : [i, i + 1]]), { batchPages: 4 }), 'trace-rule',
  '{f}: batch 3, row 7: pages not ascending and distinct (page 8 after 9)');
bad('comm-unsorted.arrow', 'comm_pages not ascending', trace({ ...R, hasComm: true }, [[0, [1, 2, 3], [3, 1]]]), 'trace-rule',
  '{f}: batch 0, row 0: comm_pages not ascending and distinct (page 1 after 3)');
bad('immp-not-subset.arrow', 'immp_pages not a subset of pages', trace({ ...R, hasImmp: true }, [[0, [1, 2], undefined, [1, 2, 3]]]), 'trace-rule',
  '{f}: batch 0, row 0: immp_pages page 3 is not in pages');

// The trace's length.
bad('zero-epochs.arrow', 'a trace with a schema and no epoch at all', trace(R, []), 'trace-rule', '{f}: the trace has no epochs');
bad('one-epoch-no-length.arrow', 'one epoch and neither interval_us nor duration_us', trace({ memPages: 64 }, [[250, [3]]]), 'schema',
  "{f}: one epoch and neither duration_us nor interval_us: the trace's length is unknown");

// Valid borderline traces: they must open, inspect and replay.
ok('valid-zero-pages.arrow', 'epochs that wrote nothing (0 page writes): valid', trace({ memPages: 64 }, [[0, []], [100, []], [200, []]]), 3, { events: 0 });
ok('valid-one-epoch.arrow', 'one epoch with interval_us: valid, lasts interval_us', trace({ memPages: 64, intervalUs: 40 }, [[250, [3]]]), 1, { durationS: 0.00029 });
ok('valid-mem_pages-1.arrow', 'one page of memory', trace({ memPages: 1, intervalUs: 1000 }, [[0, [0]], [1000, []], [2000, [0]]]), 3);
ok('valid-lz4.arrow', 'LZ4-compressed bodies', trace({ memPages: 1000, intervalUs: 1000 }, Array.from({ length: 20 }, (_, i) => [i * 1000, Array.from({ length: 50 }, (_, k) => (i * 7 + k * 3) % 1000).sort((a, b) => a - b).filter((x, j, a) => j === 0 || a[j - 1] !== x)]), { compression: 'lz4' }), 20);

// ---------------------------------------------------------------------------------------
// Write, then check every file against its expectation with the built reader.

function messageOf(name) {
  try {
    const t = openTrace(fileSource(`${REL_DIR}/${name}`));
    return { valid: true, trace: t };
  } catch (e) {
    if (e instanceof MigreplayError) return { valid: false, code: e.code, exit: e.exitCode, message: e.message };
    return { valid: false, internal: e };
  }
}

process.chdir(ROOT);
const names = new Set();
for (const c of cases) {
  if (names.has(c.name)) throw new Error(`fixture ${c.name} defined twice`);
  names.add(c.name);
  if (c.bytes.byteLength > 4096) throw new Error(`fixture ${c.name} is ${c.bytes.byteLength} bytes: keep the corpus small`);
}

if (!CHECK_ONLY) {
  fs.mkdirSync(DIR, { recursive: true });
  for (const f of fs.readdirSync(DIR)) if (f.endsWith('.arrow')) fs.unlinkSync(path.join(DIR, f));
  for (const c of cases) fs.writeFileSync(path.join(DIR, c.name), c.bytes);
}

const expected = {};
const problems = [];
for (const c of cases) {
  const file = `${REL_DIR}/${c.name}`;
  if (CHECK_ONLY && !Buffer.from(fs.readFileSync(file)).equals(Buffer.from(c.bytes))) problems.push(`${c.name}: the committed file differs from what this script builds`);
  const got = messageOf(c.name);
  if (c.valid) {
    expected[c.name] = { what: c.what, valid: true, ...c.valid };
    if (!got.valid) problems.push(`${c.name}: should open, got ${got.message ?? got.internal?.stack}`);
    else {
      if (got.trace.summary.epochs !== c.valid.epochs) problems.push(`${c.name}: ${got.trace.summary.epochs} epochs, expected ${c.valid.epochs}`);
      if (c.valid.events !== undefined && got.trace.summary.events !== c.valid.events) problems.push(`${c.name}: ${got.trace.summary.events} events, expected ${c.valid.events}`);
      if (c.valid.durationS !== undefined && got.trace.summary.durationUs / 1e6 !== c.valid.durationS) problems.push(`${c.name}: duration ${got.trace.summary.durationUs / 1e6} s, expected ${c.valid.durationS}`);
    }
  } else {
    const message = c.message.replaceAll('{f}', file);
    expected[c.name] = { what: c.what, code: c.code, exit: 2, message };
    if (got.valid) problems.push(`${c.name}: opened, expected '${message}'`);
    else if (got.internal) problems.push(`${c.name}: internal error ${got.internal.stack}`);
    else if (got.code !== c.code || got.message !== message || got.exit !== 2) problems.push(`${c.name}:\n  expected [${c.code}] ${message}\n  got      [${got.code}] ${got.message} (exit ${got.exit})`);
  }
}

if (!CHECK_ONLY) {
  fs.writeFileSync(path.join(DIR, 'expected.json'), JSON.stringify({
    about: 'Generated by scripts/make-bad-fixtures.mjs. For each file: what it is, and either the exact one-line message (stderr after "migreplay: ", the file given as test/fixtures/bad/NAME from the repository root), its error code (src/errors.ts, docs/errors.md) and exit status, or valid: true with what a reader must find.',
    fixtures: expected,
  }, null, 2) + '\n');
  const rows = cases.map((c) => {
    const e = expected[c.name];
    const says = e.valid ? `valid: ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}` : `\`${e.code}\`: ${e.message.slice(`${REL_DIR}/${c.name}: `.length).replaceAll('|', '\\|')}`;
    return `| \`${c.name}\` | ${c.what.replaceAll('|', '\\|')} | ${says} |`;
  });
  fs.writeFileSync(path.join(DIR, 'README.md'), [
    '# Bad traces',
    '',
    'Generated by [`scripts/make-bad-fixtures.mjs`](../../../scripts/make-bad-fixtures.mjs) (`npm run build && node scripts/make-bad-fixtures.mjs`;',
    '`--check` compares without writing). Each file must make `migreplay inspect FILE` and',
    '`migreplay replay FILE` print exactly one line, `migreplay: ` + the message in',
    '[`expected.json`](expected.json), and exit with status 2 — or, for the valid ones, succeed',
    '(test/robustness.test.ts). Messages start with the file as given; below it is left out.',
    'Codes and what to do about each: [docs/errors.md](../../../docs/errors.md).',
    '',
    'A stream (no footer) cut exactly between two record batches is the valid, shorter trace',
    'of the batches before the cut; a file (footer) cut anywhere is truncated.',
    '',
    '| file | what it is | expected |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n'));
}

if (problems.length) {
  process.stderr.write(`make-bad-fixtures: ${problems.length} file(s) do not give their expected message:\n${problems.join('\n')}\n`);
  process.exit(1);
}
process.stderr.write(`make-bad-fixtures: ${cases.length} files ${CHECK_ONLY ? 'checked' : `written to ${REL_DIR}`}, every message as expected\n`);
