// The --within-epoch comparison of docs/model.md: replay pre-copy on a fine trace and on
// its down-sampling, and see which rule brings the coarse trace's result closest to the
// fine one's. Synthetic: 1 ms traces from `gen`, down-sampled ×50 (to 50 ms). Real: the
// shipped 50 ms captures, down-sampled ×4 (to 200 ms).
//
//   npm run build && node bench/within-epoch.mjs [--json] [--quick]
//
// Prints markdown tables on stdout (or one JSON document with --json) and writes
// bench/results/within-epoch-latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findAlgorithm } from '../dist/algorithms/index.js';
import { replay } from '../dist/run/replay.js';
import { fileSource } from '../dist/io/files.js';
import { createKernel } from '../dist/kernel/node.js';
import { downsampleEpochs } from '../dist/trace/downsample.js';
import { generateTrace } from '../dist/trace/generate.js';
import { bytesSource, openTrace } from '../dist/trace/read.js';
import { TraceWriter } from '../dist/trace/write.js';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const quick = args.includes('--quick');
const kernel = createKernel('wasm');
const precopy = findAlgorithm('precopy');
const progress = (msg) => process.stderr.isTTY && process.stderr.write(`${msg}\n`);

const collect = (write) => {
  const chunks = [];
  write((c) => chunks.push(c.slice()));
  return Buffer.concat(chunks);
};
const downsample = (trace, factor) =>
  openTrace(bytesSource(`${trace.name} ×${factor}`, collect((sink) => {
    const w = new TraceWriter(sink, { memPages: trace.meta.memPages, pageSize: trace.meta.pageSize, intervalUs: (trace.meta.intervalUs ?? 0) * factor || undefined, durationUs: trace.summary.durationUs });
    for (const e of downsampleEpochs(trace, factor)) w.epoch(e.tUs, e.pages);
    w.close();
  })));

function compare(name, fine, coarse, bandwidthBytesPerS) {
  const run = (t, withinEpoch) => replay(t, precopy, kernel, { bandwidthBytesPerS, withinEpoch });
  const truth = run(fine, 'start');
  const row = { trace: name, gbit: (bandwidthBytesPerS * 8) / 1e9, fine: { pagesSent: truth.pagesSent, totalTimeS: truth.totalTimeS } };
  for (const rule of ['start', 'spread', 'whole']) {
    const r = run(coarse, rule);
    row[rule] = { pagesSent: r.pagesSent, totalTimeS: r.totalTimeS, pagesErr: r.pagesSent / truth.pagesSent - 1, timeErr: r.totalTimeS / truth.totalTimeS - 1 };
  }
  row.closer = Math.abs(row.spread.pagesErr) < Math.abs(row.start.pagesErr) ? 'spread' : Math.abs(row.spread.pagesErr) > Math.abs(row.start.pagesErr) ? 'start' : 'tie';
  return row;
}

const synthetic = [];
const workloads = quick
  ? [['hotcold', { mem: '32MiB', duration: '2s', rate: 100000 }]]
  : [['hotcold', { mem: '32MiB', duration: '2s', rate: 100000 }], ['hotcold', { mem: '64MiB', duration: '4s', rate: 100000 }], ['zipf', { mem: '64MiB', duration: '4s', rate: 100000 }], ['uniform', { mem: '32MiB', duration: '2s', rate: 50000 }]];
for (const [id, opts] of workloads) {
  const label = `${id} ${opts.mem} ${opts.duration} ${opts.rate}/s`;
  progress(`synthetic ${label}`);
  const fine = openTrace(bytesSource(label, collect((sink) => generateTrace(id, { ...opts, interval: '1ms', seed: 7 }, sink))));
  const coarse = downsample(fine, 50);
  for (const bw of [1.25e8, 1.25e9, 1.25e10]) synthetic.push(compare(label, fine, coarse, bw));
}

const real = [];
for (const name of quick ? ['gzip9', 'xz6'] : ['gzip9', 'xz6', 'sort', 'py_dict_sort']) {
  progress(`real ${name}`);
  const fine = openTrace(fileSource(new URL(`../traces/${name}.arrow`, import.meta.url).pathname));
  const coarse = downsample(fine, 4);
  for (const bw of [1.25e8, 1.25e9]) real.push(compare(name, fine, coarse, bw));
}

const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
const table = (title, rows) => [
  `### ${title}`, '',
  '| trace | link Gbit/s | fine: pages, s | coarse start: pages (err), s (err) | coarse spread | coarse whole | closer |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.trace} | ${r.gbit} | ${r.fine.pagesSent}, ${r.fine.totalTimeS.toFixed(3)} | ` +
    ['start', 'spread', 'whole'].map((k) => `${r[k].pagesSent} (${pct(r[k].pagesErr)}), ${r[k].totalTimeS.toFixed(3)} (${pct(r[k].timeErr)})`).join(' | ') +
    ` | ${r.closer} |`),
  '',
].join('\n');

const doc = { synthetic, real };
mkdirSync(fileURLToPath(new URL('results/', import.meta.url)), { recursive: true });
writeFileSync(new URL('results/within-epoch-latest.json', import.meta.url), JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(asJson ? JSON.stringify(doc, null, 2) + '\n' : table('Synthetic: 1 ms trace vs its ×50 down-sampling (50 ms), pre-copy', synthetic) + '\n' + table('Real captures: 50 ms vs ×4 down-sampling (200 ms), pre-copy', real));
