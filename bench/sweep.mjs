// Sweep throughput: the same grids swept with 1 worker and with 2, in one run, through
// the library call behind `migreplay sweep` (runSweep: traces loaded once into shared
// memory, a piscina pool, results appended to an Arrow stream with an fsync per batch).
//
//   npm run build && node bench/sweep.mjs [--json] [--repeat N] [--jobs 1,2,4] [--share decoded,bytes]
//
// Grids:
//   shipped — every trace in traces/ (7) × all 12 algorithms × 10 bandwidths (100Mbit..
//           9.1Gbit+1Gbit): 840 runs of 1–100 ms, several seconds per sweep — a real sweep,
//           and the one the --jobs target of issue 7 is judged on;
//   short — traces/gzip9.arrow × all 12 algorithms × 50 bandwidths: 600 runs of a few ms
//           each, a fraction of a second in all: what the sweep machinery itself sustains,
//           dominated by fixed costs (pool start, each worker's warm-up);
//   long  — traces/xz6.arrow × precopy, xen, xen-v2, qemu × 6 bandwidths: 24 runs, as short.
// Both ways of sharing traces with the workers are measured (--share decoded: batches
// decoded once into shared memory; --share bytes: the file bytes, decoded on every pass).
// Each measurement is one whole sweep into a fresh file — pool and worker start-up, each
// worker opening the trace, the replays, the writes — timed from the call to its return,
// repeated (--repeat, default 2); the best repetition is reported, with all of them and
// the CPU time the process (main thread and workers) used. `startup` is the time of a
// sweep of a single short run: the fixed cost every sweep pays. On a busy machine the
// 2-job speedup says as much about the neighbours as about the sweep: the load average
// is recorded. Prints a table (or --json: one JSON document); writes
// bench/results/sweep-latest.json.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { algorithms, findAlgorithm } from '../dist/algorithms/index.js';
import { runSweep } from '../dist/sweep/run.js';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const repeat = Math.max(1, Number(opt('--repeat', '2')));
const jobsList = opt('--jobs', '1,2').split(',').map(Number);
const shares = opt('--share', 'decoded,bytes').split(',');

const trace = (name) => fileURLToPath(new URL(`../traces/${name}`, import.meta.url));
const shipped = readdirSync(fileURLToPath(new URL('../traces/', import.meta.url))).filter((f) => f.endsWith('.arrow')).sort().map(trace);
const GRIDS = [
  { name: 'shipped', what: `${shipped.length} shipped traces × 12 algorithms × 10 bandwidths (100Mbit..9.1Gbit+1Gbit)`, traces: shipped, algorithms: [...algorithms], sets: ['bandwidth=100Mbit..9.1Gbit+1Gbit'], shareOnly: 'decoded' },
  { name: 'short', what: 'gzip9 × 12 algorithms × 50 bandwidths (100Mbit..5Gbit+100Mbit)', traces: [trace('gzip9.arrow')], algorithms: [...algorithms], sets: ['bandwidth=100Mbit..5Gbit+100Mbit'] },
  { name: 'long', what: 'xz6 × precopy, xen, xen-v2, qemu × 6 bandwidths (1Gbit..32Gbit*2)', traces: [trace('xz6.arrow')], algorithms: ['precopy', 'xen', 'xen-v2', 'qemu'].map(findAlgorithm), sets: ['bandwidth=1Gbit..32Gbit*2'] },
];
const STARTUP = { traces: [trace('gzip9.arrow')], algorithms: [findAlgorithm('precopy')], sets: [] };

const dir = mkdtempSync(join(tmpdir(), 'migreplay-bench-sweep-'));
const started = performance.now();
const results = [];
let file = 0;

async function measure(grid, jobs, share) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stats = await runSweep({ traces: grid.traces, algorithms: grid.algorithms, sets: grid.sets, out: join(dir, `${file++}.arrow`), jobs, share, note: () => {} });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0); // every thread of the process: main and workers
  return { runs: stats.ran, seconds: +seconds.toFixed(3), runsPerSecond: +(stats.ran / seconds).toFixed(1), cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3) };
}

try {
  await measure(STARTUP, 1, 'decoded'); // warm the main thread (module loading, JIT)
  // Job counts alternate within each repetition, so a change in the neighbours' load
  // falls on both sides of a ratio.
  const startup = new Map();
  for (const share of shares) {
    for (let r = 0; r < repeat; r++) {
      for (const jobs of jobsList) {
        const k = `${share}/${jobs}`;
        startup.set(k, Math.min(startup.get(k) ?? Infinity, (await measure(STARTUP, jobs, share)).seconds));
      }
    }
    for (const grid of GRIDS) {
      if (grid.shareOnly && grid.shareOnly !== share) continue;
      const reps = new Map(jobsList.map((j) => [j, []]));
      for (let r = 0; r < repeat; r++) {
        for (const jobs of r % 2 ? [...jobsList].reverse() : jobsList) reps.get(jobs).push(await measure(grid, jobs, share));
      }
      for (const jobs of jobsList) {
        const rs = reps.get(jobs);
        const best = rs.reduce((a, b) => (b.runsPerSecond > a.runsPerSecond ? b : a));
        results.push({ grid: grid.name, share, jobs, ...best, startupSeconds: startup.get(`${share}/${jobs}`), repetitions: rs.map((x) => x.runsPerSecond) });
      }
      process.stderr.write(`sweep bench: ${grid.name} grid, share ${share} done\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Speedup against 1 job, same grid and sharing.
for (const r of results) {
  const base = results.find((x) => x.grid === r.grid && x.share === r.share && x.jobs === 1) ?? r;
  r.speedup = +(r.runsPerSecond / base.runsPerSecond).toFixed(2);
}

const doc = {
  benchmark: 'sweep',
  date: new Date().toISOString(),
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
  grids: Object.fromEntries(GRIDS.map((g) => [g.name, g.what])),
  measure: 'one whole sweep per repetition (pool start, trace opening, replays, Arrow writes with fsync); best of the repetitions; cpuSeconds: CPU time of the process (main thread and workers); startupSeconds: a sweep of one short run',
  results,
  totalSeconds: +((performance.now() - started) / 1000).toFixed(1),
};

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}sweep-latest.json`, JSON.stringify(doc, null, 2) + '\n');

if (asJson) {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
} else {
  console.log(`sweep throughput — node ${doc.node}, ${doc.platform}, ${doc.cpu}, ${doc.cores} cores, load average ${doc.loadAverage.join(' ')}`);
  for (const g of GRIDS) console.log(`  ${g.name}: ${g.what}`);
  const head = ['grid', 'share', 'jobs', 'runs', 'seconds', 'runs/s', 'speedup', 'CPU s', 'startup s', 'repetitions (runs/s)'];
  const rows = results.map((r) => [r.grid, r.share, String(r.jobs), String(r.runs), r.seconds.toFixed(2), r.runsPerSecond.toFixed(1), `${r.speedup.toFixed(2)}×`, r.cpuSeconds.toFixed(2), r.startupSeconds.toFixed(2), r.repetitions.map((x) => x.toFixed(1)).join(' ')]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((s, i) => (i === cells.length - 1 ? s : i < 2 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(`${doc.totalSeconds} s; written to bench/results/sweep-latest.json`);
}
