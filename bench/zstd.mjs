// ZSTD bodies: how fast they decode, and what they cost a replay (the zstd section of
// `npm run bench`).
//
//   npm run build && node bench/zstd.mjs [--json] [--quick] [--reps N]
//
// 1. Decoding. The ZSTD buffers of (a) every shipped trace (traces/*.arrow, all ZSTD) and
//    (b) a generated trace of random page lists, which compress badly (1.6:1: most bytes go
//    through the entropy decoder) — `gen uniform --mem 4GiB --duration 20s --rate 1.1M
//    --compression zstd`, the engine bench's ZSTD trace — decoded by the reader's decoder
//    (libzstd 1.5.7 in wasm, src/trace/codecs/zstd.ts, frame walk and copies included), by
//    fzstd 0.1.1 (the pure-JS decoder it replaced) and by native libzstd (the `zstd` command,
//    `zstd -t` over a file of the same frames, when installed). GB of decoded data per CPU
//    second, the decoders interleaved, median over repetitions. The outputs of wasm and fzstd
//    are compared byte for byte. Also the decoder's start-up on first use (base64 → compile →
//    instantiate) in fresh processes.
// 2. Replay. traces/xz6.arrow (the shipped trace with the most page writes) and the generated
//    trace, each written plain and ZSTD-compressed with the same epochs and metadata
//    (TraceWriter), then `migreplay replay T --algo precopy --json` on both as whole
//    processes, alternating which goes first; CPU time (user + sys, /usr/bin/time), median
//    of the per-pair ratios ZSTD ÷ plain. The two outputs must be identical. Target ≤ 1.5.
//
// Prints a summary (or --json) and writes bench/results/zstd-latest.json.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './process.mjs';
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as fzstd } from 'fzstd';
import { enableZstdEncoder, registerCodecs } from '../dist/trace/codecs.js';
import { zstdDecode } from '../dist/trace/codecs/zstd.js';
import { fileSource } from '../dist/io/files.js';
import { openTrace } from '../dist/trace/read.js';
import { TraceWriter } from '../dist/trace/write.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const asJson = args.includes('--json');
const quick = args.includes('--quick');
const REPS = Number(opt('--reps', quick ? '3' : '7'));
const SECONDS = quick ? 0.1 : 0.25;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'bin/migreplay.js');
const log = (s) => process.stderr.write(`${s}\n`);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
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

/** A generated trace, made once and kept (the same file as bench/engine.mjs's). */
function generated(name, genArgs) {
  const file = join(traceDir, name);
  if (!existsSync(file)) {
    log(`zstd: generating ${file} (once; kept for later runs)`);
    const tmp = `${file}.tmp-${process.pid}.arrow`;
    const r = spawnSync(process.execPath, [cli, 'gen', ...genArgs, '--out', tmp, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`gen ${genArgs.join(' ')} failed`);
    renameSync(tmp, file);
  }
  return file;
}

/** `from`'s epochs and metadata written again with `compression`, once, into the bench folder. */
function rewritten(from, name, compression) {
  const file = join(traceDir, name);
  if (existsSync(file) && statSync(file).mtimeMs >= statSync(from).mtimeMs) return file;
  log(`zstd: writing ${file} (${compression})`);
  const trace = openTrace(fileSource(from));
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const m = trace.meta;
    const first = trace.batches()[Symbol.iterator]().next().value;
    const header = {
      memPages: m.memPages, pageSize: m.pageSize, intervalUs: m.intervalUs, durationUs: m.durationUs,
      source: m.source, workload: m.workload, description: m.description, metadata: new Map(Object.entries(m.raw)),
      hasComm: first?.comm !== undefined, hasImmp: first?.immp !== undefined,
    };
    const w = new TraceWriter((chunk) => writeSync(fd, chunk), header, { compression });
    for (const b of trace.batches()) {
      for (let i = 0; i < b.length; i++) {
        const sub = (off, vals) => (off && vals ? vals.subarray(off[i], off[i + 1]) : undefined);
        w.epoch(b.tUs[i], b.pages.subarray(b.offsets[i], b.offsets[i + 1]), sub(b.commOffsets, b.comm), sub(b.immpOffsets, b.immp));
      }
    }
    w.close();
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

await enableZstdEncoder();
const SHIPPED = readdirSync(join(root, 'traces')).filter((f) => f.endsWith('.arrow')).sort().map((f) => join(root, 'traces', f));
const RANDOM_GEN = ['uniform', '--mem', '4GiB', '--duration', '20s', '--rate', '1.1M', '--compression', 'zstd'];
const randomZstd = generated('uniform-4GiB-20s-1.1M-zstd.arrow', RANDOM_GEN);

// ---------------------------------------------------------------------------
// 1. Decoding

/** The ZSTD buffers one pass over a trace hands the codec (copies, without their prefix). */
function zstdBuffers(file) {
  registerCodecs();
  const trace = openTrace(fileSource(file));
  const codec = compressionRegistry.get(CompressionType.ZSTD);
  const seen = [];
  compressionRegistry.set(CompressionType.ZSTD, { ...codec, decode: (d) => (seen.push(d.slice()), codec.decode(d)) });
  try {
    for (const _ of trace.batches());
  } finally {
    compressionRegistry.set(CompressionType.ZSTD, codec);
  }
  return seen;
}

const ZSTD_CLI = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
const zstdCli = ZSTD_CLI.status === 0 ? ZSTD_CLI.stdout.trim() : null;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Native libzstd: `zstd -t` (decode and check, no output) over `copies` copies of the frames file; GB decoded per CPU second. */
function nativeRate(framesFile, decodedBytes, copies) {
  if (!zstdCli || !TIME) return null;
  const r = spawnSync(TIME, ['-f', '@@time %U %S', 'zstd', '-t', '-q', ...new Array(copies).fill(framesFile)], { encoding: 'utf8' });
  const m = /@@time (\S+) (\S+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`zstd -t failed: ${r.stderr.trim()}`);
  const cpu = Number(m[1]) + Number(m[2]);
  return { gbPerS: (copies * decodedBytes) / cpu / 1e9, cpuS: cpu };
}

/** Decode every buffer with fn until `seconds` of CPU have passed; GB decoded per CPU second. */
function jsRate(buffers, decodedBytes, fn, seconds) {
  let passes = 0;
  const c0 = cpuSeconds();
  do {
    for (const b of buffers) fn(b);
    passes++;
  } while (cpuSeconds() - c0 < seconds);
  return (passes * decodedBytes) / (cpuSeconds() - c0) / 1e9;
}

function decodingSection() {
  const sets = [
    { name: 'shipped traces', files: SHIPPED },
    { name: 'random page lists (generated)', files: [randomZstd] },
  ];
  const out = [];
  for (const set of sets) {
    log(`zstd: collecting the ZSTD buffers of the ${set.name}`);
    const buffers = set.files.flatMap(zstdBuffers);
    const compressedBytes = buffers.reduce((a, b) => a + b.byteLength, 0);
    let decodedBytes = 0;
    for (const b of buffers) {
      const a = zstdDecode(b);
      const f = fzstd(b);
      if (a.byteLength !== f.byteLength || !Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(f.buffer, f.byteOffset, f.byteLength))) {
        throw new Error(`${set.name}: the wasm decoder and fzstd disagree on a buffer of ${b.byteLength} bytes`);
      }
      decodedBytes += a.byteLength;
    }
    const framesFile = join(traceDir, `frames-${set.name.split(' ')[0]}.zst`);
    writeFileSync(framesFile, Buffer.concat(buffers));
    // Enough copies for ~0.3 s of native CPU (native decodes these at 0.5–3 GB/s).
    const copies = Math.max(1, Math.ceil((quick ? 0.15e9 : 0.6e9) / decodedBytes));
    const runs = { wasm: [], fzstd: [], native: [] };
    const order = ['wasm', 'fzstd', 'native'];
    for (let r = 0; r < REPS; r++) {
      log(`zstd: decoding the ${set.name}, repetition ${r + 1}/${REPS}`);
      for (let j = 0; j < order.length; j++) {
        const which = order[(j + r) % order.length];
        if (which === 'wasm') runs.wasm.push(jsRate(buffers, decodedBytes, (b) => zstdDecode(b), SECONDS));
        else if (which === 'fzstd') runs.fzstd.push(jsRate(buffers, decodedBytes, (b) => fzstd(b), SECONDS));
        else {
          const n = nativeRate(framesFile, decodedBytes, copies);
          if (n) runs.native.push(n.gbPerS);
        }
      }
    }
    const paired = (a, b) => median(runs[a].map((x, i) => x / runs[b][i]));
    out.push({
      set: set.name, files: set.files.map((f) => f.replace(root, '')), buffers: buffers.length, compressedBytes, decodedBytes,
      gbPerS: { wasm: r3(median(runs.wasm)), fzstd: r3(median(runs.fzstd)), native: runs.native.length ? r3(median(runs.native)) : null },
      wasmOverFzstd: r3(paired('wasm', 'fzstd')),
      wasmOverNative: runs.native.length ? r3(paired('wasm', 'native')) : null,
      identicalToFzstd: true,
      runs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map(r3)])),
    });
  }
  return out;
}

/** The decoder's first use in a fresh process: base64 → WebAssembly.Module → Instance, ms. */
function startupMs() {
  const code = `import('${new URL('../dist/trace/codecs/zstd.js', import.meta.url).href}').then((m) => { const t = performance.now(); m.zstdDecoder(); console.log(performance.now() - t); })`;
  const ms = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`decoder start-up: ${r.stderr}`);
    ms.push(Number(r.stdout));
  }
  return { medianMs: r3(median(ms)), runs: ms.map(r3) };
}

// ---------------------------------------------------------------------------
// 2. Replay: ZSTD ÷ plain

/** A node process, timed (bench/process.mjs). */
const runNode = (nodeArgs) => runProcess(process.execPath, nodeArgs);

async function replayPair(name, plain, zstd, extra) {
  const reps = [];
  const argv = (file) => [cli, 'replay', file, '--algo', 'precopy', ...extra, '--json'];
  for (let r = 0; r < REPS; r++) {
    log(`zstd: replay ${name}, plain vs ZSTD, repetition ${r + 1}/${REPS}`);
    const got = {};
    for (const which of r % 2 ? ['zstd', 'plain'] : ['plain', 'zstd']) got[which] = await runNode(argv(which === 'zstd' ? zstd : plain));
    const results = (s) => JSON.stringify(JSON.parse(s).results);
    if (results(got.plain.stdout) !== results(got.zstd.stdout)) throw new Error(`${name}: the plain and ZSTD traces replay differently`);
    reps.push({
      plainCpuMs: got.plain.cpuMs, zstdCpuMs: got.zstd.cpuMs,
      plainWallMs: +got.plain.wallMs.toFixed(1), zstdWallMs: +got.zstd.wallMs.toFixed(1),
      plainMaxRssKiB: got.plain.maxRssKiB, zstdMaxRssKiB: got.zstd.maxRssKiB,
    });
  }
  const haveCpu = reps.every((x) => x.plainCpuMs != null);
  return {
    trace: name, plain: plain.replace(root, ''), zstd: zstd.replace(root, ''),
    plainBytes: statSync(plain).size, zstdBytes: statSync(zstd).size,
    command: `migreplay replay T --algo precopy ${extra.join(' ')} --json`.replace(/ +/g, ' '),
    plainCpuMs: haveCpu ? r3(median(reps.map((x) => x.plainCpuMs))) : null,
    zstdCpuMs: haveCpu ? r3(median(reps.map((x) => x.zstdCpuMs))) : null,
    ratio: haveCpu ? r3(median(reps.map((x) => x.zstdCpuMs / x.plainCpuMs))) : null,
    wallRatio: r3(median(reps.map((x) => x.zstdWallMs / x.plainWallMs))),
    repetitions: reps,
  };
}

// ---------------------------------------------------------------------------

const decoding = decodingSection();
log('zstd: decoder start-up');
const startup = startupMs();
const xz6 = join(root, 'traces/xz6.arrow');
const replays = [
  await replayPair('traces/xz6.arrow', rewritten(xz6, 'xz6-plain.arrow', 'none'), rewritten(xz6, 'xz6-zstd.arrow', 'zstd'), []),
  await replayPair('generated random page lists (20 s, 22 M writes)', rewritten(randomZstd, 'uniform-4GiB-20s-1.1M-plain.arrow', 'none'), randomZstd, ['--bandwidth', '10Gbit']),
];

const pkgVersion = (p) => JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
const doc = {
  benchmark: 'zstd',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
  decoders: { wasm: `libzstd 1.5.7 in wasm (zstddec ${pkgVersion('zstddec')}'s build, src/trace/codecs/zstd-wasm.ts)`, fzstd: `fzstd ${pkgVersion('fzstd')}`, native: zstdCli },
  reps: REPS,
  units: 'GB = 1e9 bytes of decoded data per second of process CPU time; replay times in ms of process CPU time (user + sys)',
  decoding,
  startup,
  replays,
  targets: [
    ...replays.map((r) => ({ target: `replay --algo precopy, ZSTD ÷ plain, CPU time: ${r.trace}`, value: r.ratio ?? r.wallRatio, max: 1.5, met: (r.ratio ?? r.wallRatio) <= 1.5 })),
    ...decoding.map((d) => ({ target: `ZSTD decoding, GB/s decoded (information): ${d.set}`, value: d.gbPerS.wasm, met: null })),
    ...decoding.map((d) => ({ target: `ZSTD decoding, wasm ÷ native libzstd (information): ${d.set}`, value: d.wasmOverNative, met: null })),
  ],
};
doc.summary = [
  'zstd (bench/zstd.mjs):',
  ...decoding.map((d) => `  decoding ${d.set} (${d.buffers} buffers, ${(d.decodedBytes / 1e6).toFixed(1)} MB decoded): wasm ${d.gbPerS.wasm}, fzstd ${d.gbPerS.fzstd}, native ${d.gbPerS.native ?? '-'} GB/s: wasm ×${d.wasmOverFzstd} fzstd, ${d.wasmOverNative ?? '-'} of native`),
  `  decoder start-up (first use, fresh process): ${startup.medianMs} ms`,
  ...replays.map((r) => `  replay ${r.trace}: plain ${r.plainCpuMs} ms, ZSTD ${r.zstdCpuMs} ms CPU: ×${r.ratio} (wall ×${r.wallRatio})`),
];

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}zstd-latest.json`, JSON.stringify(doc, null, 2) + '\n');
if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
else console.log(doc.summary.join('\n'));
