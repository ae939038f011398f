// Engine overhead and trace reading throughput, over a generated trace of ≥ 100 M page
// writes (issue 7).
//
//   npm run build && node bench/engine.mjs [--json] [--quick] [--reps N]
//
// The trace: `gen uniform --mem 4GiB --duration 100s --rate 1.1M` (107 M page writes,
// 430 MB; generated once into $TMPDIR/migreplay-bench/ and reused), and a ZSTD copy of
// its first 20 s for compressed reading. The link: 10 Gbit/s, under which pre-copy runs
// its 29 rounds over ~97 s of the trace: about one pass.
//
// 1. Engine, in one process: replay(trace, precopy) from the library vs "merely reading
//    the trace and setting its bits with the kernel" over exactly the epochs the replay
//    went through (the same trace time, wraps included): each batch's page list staged
//    into the kernel's list area (as the engine's cursor does) and one setBits per epoch.
//    Interleaved, repeated; the ratio is the median of the per-repetition ratios.
// 2. Command line: `migreplay replay T --algo precopy --bandwidth 10Gbit --json` vs a
//    process that opens the trace the same way (openTrace: schema and a validating pass)
//    and reads and sets the bits of the same epochs (`node bench/engine.mjs --baseline`).
//    Whole processes, start-up included; the command also computes the oracle distance.
// 3. Reading: passes over trace.batches() (open excluded), from the file (fileSource, as
//    the CLI reads) and from memory (bytesSource), plain and ZSTD; GB of file per second.
//
// Times are process CPU time (user + system) unless named wall: on a loaded machine the
// time a process spends descheduled belongs to no one. Wall-clock figures are reported
// too. Prints a table (or --json) and writes bench/results/engine-latest.json.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './process.mjs';
import { findAlgorithm } from '../dist/algorithms/index.js';
import { replay } from '../dist/run/replay.js';
import { fileSource } from '../dist/io/files.js';
import { createKernel } from '../dist/kernel/node.js';
import { bytesSource, openTrace } from '../dist/trace/read.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'bin/migreplay.js');
const log = (s) => process.stderr.write(`${s}\n`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

/** Run fn; returns [result, cpu ms, wall ms]. */
function measure(fn) {
  const c = cpuMs();
  const w = performance.now();
  const r = fn();
  return [r, cpuMs() - c, performance.now() - w];
}

/** Read and set the bits of every epoch that starts before spanUs of trace time (wrapping), as the engine stages them. */
function readAndSetBits(trace, kernel, spanUs) {
  kernel.init(trace.meta.memPages, 4);
  let epochs = 0;
  for (let pass = 0; ; pass++) {
    const offset = pass * trace.summary.durationUs;
    for (const b of trace.batches()) {
      kernel.lists(b.pages.length).set(b.pages, 0);
      for (let i = 0; i < b.length; i++) {
        if (b.tUs[i] + offset >= spanUs) return epochs;
        kernel.setBits(1, b.offsets[i], b.offsets[i + 1] - b.offsets[i]);
        epochs++;
      }
    }
  }
}

// `node bench/engine.mjs --baseline TRACE SPAN_US`: the command-line baseline process.
if (args[0] === '--baseline') {
  const trace = openTrace(fileSource(args[1]));
  const kernel = createKernel('wasm');
  const epochs = readAndSetBits(trace, kernel, Number(args[2]));
  process.stdout.write(JSON.stringify({ epochs, dirty: kernel.popcount(1) }) + '\n');
  process.exit(0);
}

const asJson = args.includes('--json');
const quick = args.includes('--quick');
const REPS = Number(opt('--reps', quick ? '3' : '5'));
const BANDWIDTH = '10Gbit';
const BANDWIDTH_BYTES = 1.25e9;

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => (x == null ? null : +x.toPrecision(3));

// ---------------------------------------------------------------------------
// Traces

const traceDir = join(tmpdir(), 'migreplay-bench');
mkdirSync(traceDir, { recursive: true });

/** A generated trace, made once and kept in the temporary folder. */
function generated(name, genArgs) {
  const file = join(traceDir, name);
  if (!existsSync(file)) {
    log(`engine: generating ${file} (once; kept for later runs)`);
    const tmp = `${file}.tmp-${process.pid}.arrow`;
    const r = spawnSync(process.execPath, [cli, 'gen', ...genArgs, '--out', tmp, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`gen ${genArgs.join(' ')} failed`);
    renameSync(tmp, file);
  }
  return file;
}

const MAIN_GEN = ['uniform', '--mem', '4GiB', '--duration', '100s', '--rate', '1.1M'];
const ZSTD_GEN = ['uniform', '--mem', '4GiB', '--duration', '20s', '--rate', '1.1M', '--compression', 'zstd'];
const mainFile = generated('uniform-4GiB-100s-1.1M.arrow', MAIN_GEN);
const zstdFile = generated('uniform-4GiB-20s-1.1M-zstd.arrow', ZSTD_GEN);

// ---------------------------------------------------------------------------
// 1. Engine overhead, in process

const kernel = createKernel('wasm');
log('engine: opening the trace');
const [trace, openCpu, openWall] = measure(() => openTrace(fileSource(mainFile)));
const fileBytes = statSync(mainFile).size;
const precopy = findAlgorithm('precopy');

function engineSection(withinEpoch) {
  const reps = [];
  for (let r = 0; r < REPS; r++) {
    log(`engine: replay vs read+setBits (${withinEpoch}), repetition ${r + 1}/${REPS}`);
    const [result, rc, rw] = measure(() => replay(trace, precopy, kernel, { bandwidthBytesPerS: BANDWIDTH_BYTES, withinEpoch }));
    // Trace time the replay went through: every live round (the guest is paused for the last one).
    const spanUs = (result.totalTimeS - result.rounds.at(-1).durationS - result.params.resumeMs / 1e3) * 1e6;
    const [epochs, bc, bw] = measure(() => readAndSetBits(trace, kernel, spanUs));
    reps.push({ replayCpuMs: +rc.toFixed(1), replayWallMs: +rw.toFixed(1), baselineCpuMs: +bc.toFixed(1), baselineWallMs: +bw.toFixed(1), epochs, spanS: +(spanUs / 1e6).toFixed(3), rounds: result.rounds.length, pagesSent: result.pagesSent });
  }
  return {
    withinEpoch,
    replayCpuMs: r3(median(reps.map((x) => x.replayCpuMs))),
    baselineCpuMs: r3(median(reps.map((x) => x.baselineCpuMs))),
    ratio: r3(median(reps.map((x) => x.replayCpuMs / x.baselineCpuMs))),
    wallRatio: r3(median(reps.map((x) => x.replayWallMs / x.baselineWallMs))),
    repetitions: reps,
  };
}

const engine = [engineSection('spread'), engineSection('start')];

// ---------------------------------------------------------------------------
// 2. Command line, whole processes


/** Run a node process; returns { wallMs, cpuMs (if /usr/bin/time exists), maxRssKiB, stdout }. */
/** A node process, timed (bench/process.mjs). */
const runNode = (nodeArgs) => runProcess(process.execPath, nodeArgs);

async function cliSection() {
  const spanUs = engine[0].repetitions[0].spanS * 1e6;
  const reps = [];
  for (let r = 0; r < REPS; r++) {
    log(`engine: command line, repetition ${r + 1}/${REPS}`);
    const order = r % 2 ? ['baseline', 'replay'] : ['replay', 'baseline'];
    const got = {};
    for (const which of order) {
      got[which] = which === 'replay'
        ? await runNode([cli, 'replay', mainFile, '--algo', 'precopy', '--bandwidth', BANDWIDTH, '--json'])
        : await runNode([fileURLToPath(import.meta.url), '--baseline', mainFile, String(spanUs)]);
    }
    reps.push({
      replayCpuMs: got.replay.cpuMs, replayWallMs: +got.replay.wallMs.toFixed(1),
      baselineCpuMs: got.baseline.cpuMs, baselineWallMs: +got.baseline.wallMs.toFixed(1),
    });
  }
  const haveCpu = reps.every((x) => x.replayCpuMs != null);
  return {
    command: `migreplay replay ${mainFile} --algo precopy --bandwidth ${BANDWIDTH} --json`,
    baseline: `node bench/engine.mjs --baseline ${mainFile} ${spanUs}`,
    replayCpuMs: haveCpu ? r3(median(reps.map((x) => x.replayCpuMs))) : null,
    baselineCpuMs: haveCpu ? r3(median(reps.map((x) => x.baselineCpuMs))) : null,
    ratio: haveCpu ? r3(median(reps.map((x) => x.replayCpuMs / x.baselineCpuMs))) : null,
    wallRatio: r3(median(reps.map((x) => x.replayWallMs / x.baselineWallMs))),
    repetitions: reps,
  };
}

const commandLine = await cliSection();

// ---------------------------------------------------------------------------
// 3. Reading throughput

function readingSection() {
  const rows = [];
  const kinds = [
    { name: 'plain, from the file', file: mainFile, memory: false },
    { name: 'plain, from memory', file: mainFile, memory: true },
    { name: 'zstd, from the file', file: zstdFile, memory: false },
    { name: 'zstd, from memory', file: zstdFile, memory: true },
  ];
  for (const k of kinds) {
    const bytes = statSync(k.file).size;
    const src = k.memory ? bytesSource(k.file, new Uint8Array(readFileSync(k.file))) : fileSource(k.file);
    const t = openTrace(src);
    const reps = [];
    let decoded = 0;
    for (let r = 0; r < REPS; r++) {
      log(`engine: reading ${k.name}, repetition ${r + 1}/${REPS}`);
      const [payload, c, w] = measure(() => {
        let sum = 0;
        for (const b of t.batches()) sum += b.tUs.byteLength + b.offsets.byteLength + b.pages.byteLength;
        return sum;
      });
      decoded = payload;
      reps.push({ cpuMs: +c.toFixed(1), wallMs: +w.toFixed(1) });
    }
    const cpu = median(reps.map((x) => x.cpuMs));
    const wall = median(reps.map((x) => x.wallMs));
    rows.push({
      source: k.name, fileBytes: bytes, decodedBytes: decoded,
      gbPerS: r3(bytes / cpu / 1e6), gbPerWallS: r3(bytes / wall / 1e6), decodedGbPerS: r3(decoded / cpu / 1e6),
      cpuMs: r3(cpu), wallMs: r3(wall), repetitions: reps,
    });
  }
  return rows;
}

const reading = readingSection();

// ---------------------------------------------------------------------------

const doc = {
  benchmark: 'engine',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
  trace: {
    file: mainFile, generate: `migreplay gen ${MAIN_GEN.join(' ')}`, bytes: fileBytes,
    pageWrites: trace.summary.events, epochs: trace.summary.epochs, memPages: trace.meta.memPages,
    openCpuMs: +openCpu.toFixed(1), openWallMs: +openWall.toFixed(1), openGbPerS: r3(fileBytes / openCpu / 1e6),
  },
  zstdTrace: { file: zstdFile, generate: `migreplay gen ${ZSTD_GEN.join(' ')}`, bytes: statSync(zstdFile).size },
  link: BANDWIDTH,
  reps: REPS,
  units: 'ms of process CPU time (user + system) unless named wall; GB = 1e9 bytes of trace file',
  engine,
  commandLine,
  reading,
  targets: [
    { target: 'engine: replay precopy ÷ read + setBits (library, CPU time)', value: engine[0].ratio, max: 1.5, met: engine[0].ratio != null ? engine[0].ratio <= 1.5 : null },
    { target: 'engine: `replay --algo precopy` ÷ open + read + setBits (processes, CPU time)', value: commandLine.ratio ?? commandLine.wallRatio, max: 1.5, met: (commandLine.ratio ?? commandLine.wallRatio) <= 1.5 },
    { target: 'reading: plain Arrow IPC from the file, GB/s', value: reading[0].gbPerS, min: 1, met: reading[0].gbPerS >= 1 },
    { target: 'reading: zstd Arrow IPC from the file, GB/s of decoded data', value: reading[2].decodedGbPerS, met: null },
  ],
};
doc.summary = [
  `engine (${(trace.summary.events / 1e6).toFixed(0)} M page writes, precopy at ${BANDWIDTH}, ${engine[0].repetitions[0].rounds} rounds over ${engine[0].repetitions[0].spanS} s):`,
  ...engine.map((e) => `  --within-epoch ${e.withinEpoch}: replay ${e.replayCpuMs} ms, read+setBits ${e.baselineCpuMs} ms CPU: ×${e.ratio} (wall ×${e.wallRatio})`),
  `  command line: replay ${commandLine.replayCpuMs} ms, open+read+setBits ${commandLine.baselineCpuMs} ms CPU: ×${commandLine.ratio} (wall ×${commandLine.wallRatio})`,
  `  open (schema + validating pass): ${doc.trace.openCpuMs} ms CPU, ${doc.trace.openGbPerS} GB/s`,
  'reading (passes over trace.batches()):',
  ...reading.map((r) => `  ${r.source}: ${r.gbPerS} GB/s of file (${r.decodedGbPerS} GB/s decoded; wall ${r.gbPerWallS} GB/s)`),
];

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}engine-latest.json`, JSON.stringify(doc, null, 2) + '\n');
if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
else console.log(doc.summary.join('\n'));
