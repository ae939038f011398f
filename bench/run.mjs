// The whole performance bench (`npm run bench`): every figure of issue 7 in one run.
//
//   npm run build && node bench/run.mjs [--quick] [--json] [--only kernels,engine,memory,sweep]
//                                        [--reps N] [--ops name,…] [--wasm FILE…]
//
// Sections (each a ratio measured within this run, on this machine):
//   kernels  every case of bench/kernel.mjs on the wasm kernel, the TypeScript reference
//            and the same kernels in C (bench/native/, cc -O3 -march=native, and the same
//            with -mno-avx512f, when a C compiler exists); measurements interleaved per
//            case (native, native without AVX-512, wasm, js in rotating order), repeated
//            --reps times, medians and paired-ratio medians.
//   engine   bench/engine.mjs: `replay --algo precopy` vs reading the trace and setting its
//            bits with the kernel, over a generated trace of ≥ 100 M page writes; Arrow
//            decoding throughput.
//   memory   bench/memory.mjs: peak RSS replaying 1 GiB and 4 GiB generated traces.
//   sweep    bench/sweep.mjs: runs/s of `--jobs 2` vs `--jobs 1`.
//   zstd     bench/zstd.mjs: ZSTD decoding (wasm libzstd, fzstd, native zstd) and a ZSTD
//            trace's `replay --algo precopy` CPU time ÷ the same trace plain.
//   wrapping bench/wrapping.mjs: a replay that wraps its trace ~13 times ÷ a numpy peer
//            (when python3 has numpy), its peak RSS kept and streamed, and the 40-cell QEMU
//            grid on xz6 ÷ one converging replay.
// Prints a table and writes bench/results/latest.json: every figure with its unit, the
// machine (CPU, cores, load, node, AssemblyScript, C compiler) and the target ratios.
// Generated traces are cached in $TMPDIR/migreplay-bench/ (several GB; never in the repo).
// Development: --wasm FILE adds another build of assembly/index.ts to the kernel section,
// --ops keeps only the named kernel cases.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { arch, availableParallelism, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createKernel } from '../dist/kernel/node.js';
import { createWasmKernel } from '../dist/kernel/wasm.js';
import { cases, SIZES } from './kernel.mjs';
import { buildNative, NO_AVX512_FLAGS, startNative } from './native/driver.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const optAll = (name) => args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]] : []));
const quick = flag('--quick');
const asJson = flag('--json');
const SECTIONS = ['kernels', 'engine', 'memory', 'sweep', 'zstd', 'wrapping'];
const only = opt('--only', SECTIONS.join(',')).split(',');
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (${SECTIONS.join(', ')})`);
const REPS = Number(opt('--reps', quick ? '3' : '9'));
const onlyOps = opt('--ops', undefined)?.split(',');
const SECONDS = quick ? 0.04 : 0.12;
const WARMUP = quick ? 0.01 : 0.03;
const root = fileURLToPath(new URL('../', import.meta.url));
const log = (s) => process.stderr.write(`${s}\n`);

/** Process CPU time, s: on a loaded machine, time spent descheduled counts for no one. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** timeIt() of bench/kernel.mjs on CPU time: runs fn until `seconds` of CPU have passed; returns [calls, cpu s, wall s]. */
function timeCpu(fn, seconds) {
  let calls = 0, batch = 1, elapsed = 0;
  const c0 = cpuSeconds(), w0 = performance.now();
  while (elapsed < seconds) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    elapsed = cpuSeconds() - c0;
    if (elapsed < seconds / 8) batch *= 2;
  }
  return [calls, elapsed, (performance.now() - w0) / 1000];
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => (x === null || x === undefined ? null : +x.toPrecision(3));

// ---------------------------------------------------------------------------
// Machine

function machine() {
  const pkg = (p) => JSON.parse(readFileSync(`${root}${p}`, 'utf8'));
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    assemblyscript: pkg('node_modules/assemblyscript/package.json').version,
    apacheArrow: pkg('node_modules/apache-arrow/package.json').version,
    loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)),
  };
}

// ---------------------------------------------------------------------------
// Kernels: native vs wasm vs TypeScript, interleaved

// The targets: [op, minimum wasm/native] and [op, minimum wasm/js]. Popcount is
// judged against native code without AVX-512 (wasm has 128-bit vectors and no vector
// popcount; with AVX-512 gcc counts 32 bytes per vpopcntq): its ratio to the AVX-512
// build is reported for information.
const NATIVE_TARGETS = {
  'setBits (scattered)': 0.85,
  countPages: 0.85,
  or: 0.5,
  andNot: 0.5,
  collect: 0.5,
  selectAtLeast: 0.5,
};
const NO_AVX512_TARGETS = { popcount: 0.5 };
const INFO_NATIVE = ['popcount'];
const JS_TARGETS = { 'setBits (scattered)': 2, popcount: 5 };
const NO512 = 'native-no-avx512';

async function kernelSection(out) {
  const built = buildNative();
  out.native = built.error ? { available: false, reason: built.error } : { available: true, compiler: built.compiler, flags: built.flags };
  if (built.error) log(`native kernels unavailable: ${built.error}`);
  const native = built.error ? undefined : startNative(built.binary);
  const builtNo512 = built.error ? built : buildNative(NO_AVX512_FLAGS);
  out.nativeNoAvx512 = builtNo512.error ? { available: false, reason: builtNo512.error } : { available: true, compiler: builtNo512.compiler, flags: builtNo512.flags };
  if (!built.error && builtNo512.error) log(`native kernels without AVX-512 unavailable: ${builtNo512.error}`);
  const nativeNo512 = builtNo512.error ? undefined : startNative(builtNo512.binary);
  const kernels = [createKernel('wasm'), createKernel('js')].map((k) => ({ name: k.name, k }));
  for (const file of optAll('--wasm')) kernels.push({ name: `wasm:${file}`, k: createWasmKernel(new WebAssembly.Module(readFileSync(file))) });
  const rows = [];
  const t0 = performance.now();
  try {
    for (const n of SIZES) {
      const { setup, ops } = cases(n);
      const ctx = new Map();
      for (const { name, k } of kernels) ctx.set(name, { half: Math.max(1, Math.floor(setup(k) / 2)) });
      for (const c of ops) {
        if (onlyOps && !onlyOps.includes(c.op)) continue;
        log(`kernels: ${c.op} at ${n} pages`);
        const runs = { native: [], [NO512]: [], ...Object.fromEntries(kernels.map((x) => [x.name, []])) };
        const names = [...(native ? ['native'] : []), ...(nativeNo512 ? [NO512] : []), ...kernels.map((x) => x.name)];
        for (let r = 0; r < REPS; r++) {
          // Rotate the order so that no kernel always runs first (or right after another).
          for (let j = 0; j < names.length; j++) {
            const name = names[(j + r) % names.length];
            if (name === 'native' || name === NO512) {
              const m = await (name === 'native' ? native : nativeNo512).measure(c.op, n, SECONDS);
              runs[name].push(m.perSecond);
            } else {
              const { k } = kernels.find((x) => x.name === name);
              const fn = () => c.run(k, ctx.get(name));
              timeCpu(fn, WARMUP);
              const [calls, seconds] = timeCpu(fn, SECONDS);
              runs[name].push((c.work * calls) / seconds);
            }
          }
        }
        const row = { op: c.op, pages: n, unit: `${c.unit}/s`, work: c.work, reps: REPS, perSecond: {}, runs: {} };
        for (const name of names) {
          row.perSecond[name] = Math.round(median(runs[name]));
          row.runs[name] = runs[name].map(Math.round);
        }
        // Paired ratios: each repetition's wasm over the neighbouring measurement of the other.
        const paired = (a, b) => median(runs[a].map((x, i) => x / runs[b][i]));
        row.wasmOverJs = r3(paired('wasm', 'js'));
        if (native) row.wasmOverNative = r3(paired('wasm', 'native'));
        if (nativeNo512) row.wasmOverNativeNoAvx512 = r3(paired('wasm', NO512));
        for (const { name } of kernels.slice(2)) row[`${name}OverNative`] = native ? r3(paired(name, 'native')) : null;
        rows.push(row);
      }
    }
  } finally {
    native?.close();
    nativeNo512?.close();
  }
  out.kernelSeconds = +((performance.now() - t0) / 1000).toFixed(1);
  out.kernels = rows;
  out.kernelMethod =
    `each case of bench/kernel.mjs, ${REPS} repetitions of ${SECONDS} s of process CPU time per kernel after ${WARMUP} s warm-up, ` +
    'kernels in rotating order within each repetition; perSecond = work per CPU second, median; ratios = median of per-repetition ratios; ' +
    `native = cc ${out.native.flags ?? '-'}, ${NO512} = cc ${out.nativeNoAvx512?.flags ?? '-'}`;
  return rows;
}

function kernelTargets(rows) {
  const targets = [];
  for (const [op, min] of Object.entries(NATIVE_TARGETS)) {
    for (const n of SIZES) {
      const row = rows.find((r) => r.op === op && r.pages === n);
      targets.push({ target: `wasm ÷ native, ${op}, ${n >>> 20}M pages`, value: row?.wasmOverNative ?? null, min, met: row?.wasmOverNative != null ? row.wasmOverNative >= min : null });
    }
  }
  for (const [op, min] of Object.entries(NO_AVX512_TARGETS)) {
    for (const n of SIZES) {
      const row = rows.find((r) => r.op === op && r.pages === n);
      const v = row?.wasmOverNativeNoAvx512;
      targets.push({ target: `wasm ÷ native without AVX-512, ${op}, ${n >>> 20}M pages`, value: v ?? null, min, met: v != null ? v >= min : null });
    }
  }
  for (const op of INFO_NATIVE) {
    for (const n of SIZES) {
      const row = rows.find((r) => r.op === op && r.pages === n);
      targets.push({ target: `wasm ÷ native with AVX-512 (information: no target), ${op}, ${n >>> 20}M pages`, value: row?.wasmOverNative ?? null, met: null });
    }
  }
  for (const [op, min] of Object.entries(JS_TARGETS)) {
    for (const n of SIZES) {
      const row = rows.find((r) => r.op === op && r.pages === n);
      targets.push({ target: `wasm ÷ TypeScript, ${op}, ${n >>> 20}M pages`, value: row?.wasmOverJs ?? null, min, met: row ? row.wasmOverJs >= min : null });
    }
  }
  return targets;
}

// ---------------------------------------------------------------------------
// Child benches (engine, memory, sweep): each prints one JSON document with --json

function runJson(script, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), '--json', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new Error(`${script}: output is not JSON (${e.message})`));
      }
    });
  });
}

// ---------------------------------------------------------------------------
// Table

const fmtRate = (r) => (r == null ? '-' : r >= 1e9 ? `${(r / 1e9).toFixed(2)} G` : `${(r / 1e6).toFixed(1)} M`);
const fmtPages = (n) => `${n >>> 20}M`;

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((s, i) => (i < 3 ? String(s).padEnd(widths[i]) : String(s).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function printReport(doc) {
  const m = doc.machine;
  console.log(`migreplay bench — ${m.cpu}, ${m.cores} cores, node ${m.node}, AssemblyScript ${m.assemblyscript}` + (doc.native?.available ? `, ${doc.native.compiler}` : ', no C compiler'));
  console.log(`load average ${m.loadAverageAtStart.join(' ')} at start, ${doc.loadAverageAtEnd.join(' ')} at end\n`);
  if (doc.kernels) {
    const extra = Object.keys(doc.kernels[0]?.perSecond ?? {}).filter((k) => k.startsWith('wasm:'));
    const head = ['kernel', 'pages', 'unit', 'native', 'no-avx512', 'wasm', 'js', 'wasm/native', 'wasm/no-avx512', 'wasm/js', ...extra.map((e) => `${e}/native`)];
    const rows = doc.kernels.map((r) => [
      r.op, fmtPages(r.pages), r.unit, fmtRate(r.perSecond.native), fmtRate(r.perSecond[NO512]), fmtRate(r.perSecond.wasm), fmtRate(r.perSecond.js),
      r.wasmOverNative == null ? '-' : r.wasmOverNative.toFixed(2), r.wasmOverNativeNoAvx512 == null ? '-' : r.wasmOverNativeNoAvx512.toFixed(2),
      r.wasmOverJs.toFixed(1), ...extra.map((e) => r[`${e}OverNative`]?.toFixed(2) ?? '-'),
    ]);
    console.log(table(head, rows) + '\n');
  }
  if (doc.engine) {
    console.log(doc.engine.summary.join('\n') + '\n');
  }
  if (doc.memory) console.log(doc.memory.summary.join('\n') + '\n');
  if (doc.zstd) console.log(doc.zstd.summary.join('\n') + '\n');
  if (doc.wrapping) console.log(doc.wrapping.summary.join('\n') + '\n');
  if (doc.notes.length) console.log(doc.notes.map((n) => `note: ${n}`).join('\n') + '\n');
  if (doc.sweep?.results) {
    console.log('sweep (bench/sweep.mjs):');
    console.log(doc.sweep.results.map((r) => `  ${r.grid ?? ''} grid, share ${r.share ?? '-'}, --jobs ${r.jobs}: ${r.runsPerSecond} runs/s (×${r.speedup})`).join('\n') + '\n');
  } else if (doc.sweep) {
    console.log(`sweep: not measured (${doc.sweep.reason})\n`);
  }
  const head = ['target', 'value', 'needed', 'met'];
  const needed = (t) => (t.max !== undefined ? `≤ ${t.max}` : t.min !== undefined ? `≥ ${t.min}` : '(info)');
  const rows = doc.targets.map((t) => [t.target, t.value == null ? '-' : String(t.value), needed(t), t.met == null ? '-' : t.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c) => c.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
  console.log([line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
  console.log(`\n${doc.totalSeconds} s; written to bench/results/latest.json`);
}

// ---------------------------------------------------------------------------

const started = performance.now();
const doc = { benchmark: 'migreplay', date: new Date().toISOString(), command: `node bench/run.mjs ${args.join(' ')}`.trim(), quick, machine: machine() };
const targets = [];
doc.notes = [];
if (only.includes('kernels')) targets.push(...kernelTargets(await kernelSection(doc)));
if (only.includes('engine')) {
  log('engine: bench/engine.mjs');
  doc.engine = await runJson('./engine.mjs', quick ? ['--quick'] : []);
  targets.push(...doc.engine.targets);
}
if (only.includes('memory')) {
  log('memory: bench/memory.mjs');
  doc.memory = await runJson('./memory.mjs', quick ? ['--quick'] : []);
  targets.push(...doc.memory.targets);
}
if (only.includes('zstd')) {
  log('zstd: bench/zstd.mjs');
  doc.zstd = await runJson('./zstd.mjs', quick ? ['--quick'] : []);
  targets.push(...doc.zstd.targets);
}
if (only.includes('wrapping')) {
  log('wrapping: bench/wrapping.mjs');
  doc.wrapping = await runJson('./wrapping.mjs', quick ? ['--quick'] : []);
  targets.push(...doc.wrapping.targets);
}
if (only.includes('sweep')) {
  if (existsSync(fileURLToPath(new URL('../dist/sweep/run.js', import.meta.url)))) {
    log('sweep: bench/sweep.mjs');
    doc.sweep = await runJson('./sweep.mjs', quick ? ['--repeat', '1'] : []);
    // The target is judged on the grid of real size; the tiny grids show fixed costs.
    for (const r of doc.sweep.results.filter((x) => x.jobs === 2 && x.grid === 'shipped')) {
      targets.push({ target: `sweep runs/s, --jobs 2 ÷ --jobs 1 (${r.grid} grid: ${r.runs} runs, share ${r.share})`, value: r.speedup, min: 1.7, met: r.speedup >= 1.7 });
    }
  } else {
    doc.sweep = { available: false, reason: 'dist/sweep/run.js not built (the sweep command is not there yet)' };
  }
}
if (doc.machine.loadAverageAtStart[0] > doc.machine.cores) {
  doc.notes.push(`the load average (${doc.machine.loadAverageAtStart[0]}) exceeds the ${doc.machine.cores} cores: other processes share them; ratios within this run stay meaningful, absolute rates less so, and a --jobs 2 speedup needs a free core`);
}
doc.targets = targets;
doc.loadAverageAtEnd = loadavg().map((x) => +x.toFixed(2));
doc.totalSeconds = +((performance.now() - started) / 1000).toFixed(1);
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}latest.json`, JSON.stringify(doc, null, 2) + '\n');
if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
else printReport(doc);
