// Arrow IPC framing: migreplay's own (src/io/ipc.ts, the trace reader's direct path) against
// apache-arrow's own readers, on a full pass over every shipped trace from memory.
//
//   npm run build && node bench/ipc-readers.mjs [--reps N]
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

const root = fileURLToPath(new URL('..', import.meta.url));
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 15;
const files = readdirSync(join(root, 'traces')).filter((f) => f.endsWith('.arrow')).map((f) => join(root, 'traces', f));
const inputs = files.map((f) => ({ name: f, bytes: readFileSync(f) }));
registerCodecs();
const traces = inputs.map(({ name, bytes }) => openTrace(bytesSource(name, bytes)));
let sink = 0;

function ours() {
  for (const t of traces) for (const b of t.batches()) sink += b.pages.length + b.tUs.length;
}
function arrows() {
  for (const { bytes } of inputs) {
    for (const batch of RecordBatchReader.from(bytes)) {
      const pages = batch.getChild('pages').data[0];
      sink += pages.children[0].values.length + batch.getChild('t_us').data[0].values.length;
    }
  }
}
function median(f) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
ours(); arrows(); // warm up
const a = median(ours);
const b = median(arrows);
const mb = inputs.reduce((n, i) => n + i.bytes.byteLength, 0) / 1e6;
console.log(`${files.length} traces, ${mb.toFixed(1)} MB, ${reps} passes each`);
console.log(`migreplay framing (direct reader): ${a.toFixed(1)} ms per pass`);
console.log(`apache-arrow RecordBatchReader:    ${b.toFixed(1)} ms per pass`);
console.log(`apache-arrow ÷ migreplay: ${(b / a).toFixed(1)}× ${sink > 0 ? '' : '(no data?)'}`);
