// Arrow IPC framing: migreplay's own (src/io/ipc.ts, the trace reader's direct path) against
// apache-arrow's own readers, on a full pass over every shipped trace from memory.
//
//   npm run build && node bench/ipc-readers.mjs [--reps N]
//
// Twice: the shipped traces as they are (ZSTD bodies: decompression takes most of a pass),
// and the same traces rewritten with plain bodies (TraceWriter, no compression), where the
// framing and the building of columns are the work.
//
// The last case hands apache-arrow the bytes in 4 MiB chunks, as the trace reader would
// for a file read in bounded memory.
//
// "migreplay": trace.batches() of an opened trace (messages framed by readFrame, columns as
// typed-array views into each body). "apache-arrow": RecordBatchReader over the same bytes,
// every batch's t_us and pages columns reached (the same work a pass needs). Median ms per
// pass over all traces, and the ratio.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordBatchReader } from 'apache-arrow';
import { bytesSource, openTrace } from '../dist/trace/read.js';
import { registerCodecs } from '../dist/trace/codecs.js';
import { TraceWriter } from '../dist/trace/write.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 15;
const files = readdirSync(join(root, 'traces')).filter((f) => f.endsWith('.arrow')).map((f) => join(root, 'traces', f));
registerCodecs();
const shipped = files.map((f) => ({ name: f, bytes: readFileSync(f) }));

/** The same epochs and metadata with plain bodies. */
function plain({ name, bytes }) {
  const trace = openTrace(bytesSource(name, bytes));
  const chunks = [];
  const m = trace.meta;
  const w = new TraceWriter((c) => chunks.push(c.slice()), {
    memPages: m.memPages, pageSize: m.pageSize, metadata: new Map(Object.entries(m.raw)), hasComm: trace.summary.hasComm, hasImmp: trace.summary.hasImmp,
  }, {});
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      const sub = (off, vals) => (off && vals ? vals.subarray(off[i], off[i + 1]) : undefined);
      w.epoch(b.tUs[i], b.pages.subarray(b.offsets[i], b.offsets[i + 1]), sub(b.commOffsets, b.comm), sub(b.immpOffsets, b.immp));
    }
  }
  w.close();
  return { name, bytes: Buffer.concat(chunks) };
}

let sink = 0;
function timed(f) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0] };
}

function measure(label, inputs, chunked = false) {
  const traces = inputs.map(({ name, bytes }) => openTrace(bytesSource(name, bytes)));
  const ours = () => {
    for (const t of traces) for (const b of t.batches()) sink += b.pages.length + b.tUs.length;
  };
  const arrows = () => {
    for (const { name, bytes } of inputs) {
      // chunked: as the trace reader hands apache-arrow a source, 4 MiB chunks of the stream part.
      const from = chunked ? bytesSource(name, bytes).chunks(bytes[0] === 0x41 ? 8 : 0) : bytes;
      for (const batch of RecordBatchReader.from(from)) {
        const pages = batch.getChild('pages').data[0];
        sink += pages.children[0].values.length + batch.getChild('t_us').data[0].values.length;
      }
    }
  };
  ours(); arrows(); // warm up
  const a = timed(ours);
  const b = timed(arrows);
  const mb = inputs.reduce((n, i) => n + i.bytes.byteLength, 0) / 1e6;
  console.log(`${label}: ${files.length} traces, ${mb.toFixed(1)} MB, ${reps} passes each`);
  console.log(`migreplay framing (direct reader): median ${a.median.toFixed(1)} ms, fastest ${a.min.toFixed(1)} ms per pass`);
  console.log(`apache-arrow RecordBatchReader:    median ${b.median.toFixed(1)} ms, fastest ${b.min.toFixed(1)} ms per pass`);
  console.log(`apache-arrow ÷ migreplay: ${(b.median / a.median).toFixed(1)}× (median), ${(b.min / a.min).toFixed(1)}× (fastest)${sink > 0 ? '' : ' (no data?)'}`);
}

const plainBodies = shipped.map(plain);
measure('shipped (ZSTD), whole bytes', shipped);
measure('plain bodies, whole bytes', plainBodies);
measure('plain bodies, 4 MiB chunks (how a trace is read from a file)', plainBodies, true);
