// Kernel microbenchmark: every kernel operation on the wasm kernel and on the
// TypeScript reference, same data, same run, at 1 M and 16 M pages.
//
//   npm run build && node bench/kernel.mjs [--json] [--quick]
//
// bench/run.mjs imports the cases and the timing loop from here (the same data runs
// on the native C kernels of bench/native/); the table runs only when this file is
// the program.
// Prints a table (or, with --json, one JSON document) on stdout and always writes
// bench/results/kernel-latest.json. Each measurement warms up, then repeats the
// operation until at least 0.3 s have passed (--quick: 0.05 s). Rates count
// list entries for list-driven operations and bitmap pages otherwise. Every result
// feeds a checksum that is printed, so no work can be optimized away.

import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createKernel } from '../dist/kernel/node.js';

export const SIZES = [1 << 20, 1 << 24];

// Bitmaps: A and B random (density 1/8), D the destination, S scratch.
const A = 0, B = 1, D = 2, S = 3;

/** mulberry32: deterministic data, identical for both kernels. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` uniformly random pages < n, in random order (duplicates possible). */
export function scattered(n, count, seed) {
  const r = rng(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(r() * n);
  return out;
}

/** The ascending pages < n kept with probability p. */
export function ascending(n, p, seed) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) if (r() < p) out.push(i);
  return Uint32Array.from(out);
}

/** Runs `fn` (returning a number) until `seconds` have passed; returns [calls, seconds, checksum]. */
export function timeIt(fn, seconds) {
  let calls = 0, sum = 0, batch = 1;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < batch; i++) sum += fn();
    calls += batch;
    elapsed = (performance.now() - t0) / 1000;
    if (elapsed < seconds / 8) batch *= 2; // fewer clock reads for fast operations
  }
  return [calls, elapsed, sum];
}

/** The benchmark cases for a guest of n pages: per call, `work` units of `unit`. */
export function cases(n) {
  const scatter = scattered(n, n >>> 3, 1);
  const list = ascending(n, 1 / 8, 2);
  const except = ascending(n, 1 / 16, 3);
  const [pScatter, pList, pExcept, pOut] = [0, scatter.length, scatter.length + list.length, scatter.length + list.length + except.length];
  const listCapacity = pOut + n;

  // Lay out identical state on a kernel; returns the number of set bits in A & ~B.
  const setup = (k) => {
    k.init(n, 4);
    const lists = k.lists(listCapacity);
    lists.set(scatter, pScatter);
    lists.set(list, pList);
    lists.set(except, pExcept);
    k.setBits(A, pScatter, scatter.length);
    const bList = scattered(n, n >>> 3, 4);
    k.lists(listCapacity).set(bList, pOut);
    k.setBits(B, pOut, bList.length);
    // Counters 0…3, so that selectAtLeast has something to select.
    k.countBitmap(A);
    k.countBitmap(A);
    k.countBitmap(B);
    k.andNot(S, A, B);
    return k.popcount(S);
  };

  return {
    setup,
    ops: [
      { op: 'setBits (scattered)', unit: 'entries', work: scatter.length, run: (k) => (k.setBits(D, pScatter, scatter.length), 0) },
      { op: 'setBits (ascending)', unit: 'entries', work: list.length, run: (k) => (k.setBits(D, pList, list.length), 0) },
      {
        op: 'setBitsExcept',
        unit: 'entries',
        work: list.length,
        run: (k) => (k.setBitsExcept(D, pList, list.length, pExcept, except.length), 0),
      },
      { op: 'or', unit: 'pages', work: n, run: (k) => (k.or(D, A, B), 0) },
      { op: 'and', unit: 'pages', work: n, run: (k) => (k.and(D, A, B), 0) },
      { op: 'andNot', unit: 'pages', work: n, run: (k) => (k.andNot(D, A, B), 0) },
      { op: 'popcount', unit: 'pages', work: n, run: (k) => k.popcount(A) },
      { op: 'popcountAndRange', unit: 'pages', work: n - 8, run: (k) => k.popcountAndRange(A, B, 3, n - 5) },
      {
        // Scan half of A & ~B: about n/2 pages.
        op: 'advanceAndNot',
        unit: 'pages',
        work: n / 2,
        run: (k, c) => k.advanceAndNot(A, B, 0, c.half),
      },
      { op: 'collect', unit: 'pages', work: n, run: (k) => k.collect(A, 0, n, pOut) },
      // Range writes cover all but a few pages at each end, so word edges count.
      { op: 'setRange', unit: 'pages', work: n - 8, run: (k) => (k.setRange(D, 3, n - 5), 0) },
      { op: 'clearRange', unit: 'pages', work: n - 8, run: (k) => (k.clearRange(D, 3, n - 5), 0) },
      { op: 'countMissing', unit: 'entries', work: scatter.length, run: (k) => k.countMissing(A, pScatter, scatter.length) },
      {
        // Keep the pages of the ascending list whose spread hash falls in the first 30 %.
        op: 'filterSpread',
        unit: 'entries',
        work: list.length,
        run: (k) => k.filterSpread(pList, list.length, 0x9e3779b9, 0, Math.floor(0.3 * 2 ** 31), pOut),
      },
      { op: 'countPages', unit: 'entries', work: scatter.length, run: (k) => (k.countPages(pScatter, scatter.length), 0) },
      { op: 'countBitmap', unit: 'pages', work: n, run: (k) => (k.countBitmap(A), 0) },
      { op: 'selectAtLeast', unit: 'pages', work: n, run: (k) => (k.selectAtLeast(2, D), 0) },
    ],
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) main();

function main() {
  const args = process.argv.slice(2);
  const asJson = args.includes('--json');
  const quick = args.includes('--quick');
  const MIN_SECONDS = quick ? 0.05 : 0.3;
  const WARMUP_SECONDS = quick ? 0.02 : 0.05;
  const fmtPages = (n) => (n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n}`);
  const fmtRate = (r) => (r >= 1e9 ? `${(r / 1e9).toFixed(2)} G/s` : `${(r / 1e6).toFixed(1)} M/s`);

  const results = [];
  let checksum = 0;
  const started = performance.now();
  const kernels = [createKernel('wasm'), createKernel('js')];

  for (const n of SIZES) {
    const { setup, ops } = cases(n);
    for (const c of ops) {
      const row = { op: c.op, pages: n, unit: c.unit, work: c.work };
      for (const k of kernels) {
        const half = Math.max(1, Math.floor(setup(k) / 2));
        const ctx = { half };
        const fn = () => c.run(k, ctx);
        timeIt(fn, WARMUP_SECONDS);
        const [calls, seconds, sum] = timeIt(fn, MIN_SECONDS);
        // Fold in results and resulting state (void operations leave it in D or the counters).
        checksum = (checksum + sum + k.popcount(D) + k.counter(n >>> 1) + calls) % 2 ** 32;
        row[k.name] = { perSecond: Math.round((c.work * calls) / seconds), calls, seconds: +seconds.toFixed(3) };
      }
      row.ratio = +(row.wasm.perSecond / row.js.perSecond).toFixed(2);
      results.push(row);
    }
  }

  const doc = {
    benchmark: 'kernel',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    minSeconds: MIN_SECONDS,
    units: 'perSecond counts `unit`s: list entries (entries) or bitmap pages (pages); `work` units per call',
    results,
    checksum,
    totalSeconds: +((performance.now() - started) / 1000).toFixed(1),
  };

  const outDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}kernel-latest.json`, JSON.stringify(doc, null, 2) + '\n');

  if (asJson) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    const head = ['operation', 'pages', 'unit', 'wasm', 'js', 'wasm/js'];
    const rows = results.map((r) => [r.op, fmtPages(r.pages), r.unit, fmtRate(r.wasm.perSecond), fmtRate(r.js.perSecond), `${r.ratio.toFixed(1)}×`]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => cells.map((s, i) => (i < 3 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
    console.log(`kernel microbenchmark — node ${doc.node}, ${doc.platform}, ${doc.cpu}`);
    console.log(line(head));
    console.log(widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    console.log(`checksum ${checksum}, ${doc.totalSeconds} s; written to bench/results/kernel-latest.json`);
  }
}
