// Wrapping replays and grids (issue 17), as whole processes, in one run:
//   peer    `migreplay replay T --algo precopy --bandwidth 2.5Gbit --within-epoch start --json`
//           on a trace the migration wraps ~13 times (the issue's: gen uniform, 4 GiB guest,
//           52 M page writes in 3000 epochs of 10 ms, 206 MB) against bench/peer/numpy_precopy.py,
//           the same model in numpy over the same arrays (exported once to raw files), when
//           python3 has numpy; the results are compared. Peak RSS of the replay with the
//           default memory budget and with --memory 64MiB (streaming).
//   long rounds  the same trace at 100 Mbit/s, where every round outlasts the trace ~11
//           times: the replay with and without the oracle distance (--json, --format qmp).
//   grid    the 40-cell QEMU grid on traces/xz6.arrow (8 bandwidths × 5 downtime limits,
//           --set max-time=3600s: 24 cells never converge), `sweep --jobs 2`, wall time ÷
//           the wall time of one converging replay (`replay traces/xz6.arrow --algo qemu --json`).
//
//   npm run build && node bench/wrapping.mjs [--json] [--quick] [--reps N]
//
// --quick: a 1 GiB guest with a quarter of the writes (13 M, 52 MB; same epochs and
// wrapping), one repetition, and the grid on 2 bandwidths × 5 limits. Generated files go
// to $TMPDIR/migreplay-bench/ and are reused. Writes bench/results/wrapping-latest.json.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './process.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const asJson = args.includes('--json');
const quick = args.includes('--quick');
const REPS = Number(opt('--reps', quick ? '1' : '3'));
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'bin/migreplay.js');
const log = (s) => process.stderr.write(`${s}\n`);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => (x == null ? null : +x.toPrecision(3));
const dir = join(tmpdir(), 'migreplay-bench');
mkdirSync(dir, { recursive: true });

/** A process run from the repository, timed (bench/process.mjs); wall ms to 0.1, CPU ms whole, as this bench prints them. */
async function timed(command, argv) {
  const r = await runProcess(command, argv, { cwd: root });
  return { ...r, wallMs: +r.wallMs.toFixed(1), cpuMs: r.cpuMs === null ? null : Math.round(r.cpuMs) };
}

// ---------------------------------------------------------------------------
// The wrapping trace and its arrays for the peer

const GEN = quick
  ? ['--mem', '1GiB', '--duration', '30s', '--interval', '10ms', '--rate', '433.33k']
  : ['--mem', '4GiB', '--duration', '30s', '--interval', '10ms', '--rate', '1.7333M'];
const traceFile = join(dir, quick ? 'wrap-1GiB-13M.arrow' : 'wrap-4GiB-52M.arrow');
if (!existsSync(traceFile)) {
  log(`wrapping: generating ${traceFile}`);
  const tmp = `${traceFile}.tmp`;
  const r = spawnSync(process.execPath, [cli, 'gen', 'uniform', ...GEN, '--out', tmp, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`gen exited with ${r.status}`);
  renameSync(tmp, traceFile);
}

const { openTrace } = await import('../dist/trace/read.js');
const { fileSource } = await import('../dist/io/files.js');

/** The trace's arrays as raw little-endian files (t_us int64, global offsets int64, pages uint32) and meta.json. */
function exportArrays(file, out) {
  if (existsSync(join(out, 'meta.json'))) return;
  log(`wrapping: exporting the arrays of ${file} for the numpy peer`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const trace = openTrace(fileSource(file));
  const fd = { t: openSync(join(out, 't_us.bin'), 'w'), off: openSync(join(out, 'offsets.bin'), 'w'), pages: openSync(join(out, 'pages.bin'), 'w') };
  let base = 0;
  writeSync(fd.off, new BigInt64Array([0n]));
  for (const b of trace.batches()) {
    writeSync(fd.t, new BigInt64Array(Array.from(b.tUs.subarray(0, b.length), (x) => BigInt(x))));
    const offs = new BigInt64Array(b.length);
    for (let i = 0; i < b.length; i++) offs[i] = BigInt(base + b.offsets[i + 1] - b.offsets[0]);
    writeSync(fd.off, offs);
    const pages = b.pages.subarray(b.offsets[0], b.offsets[b.length]);
    writeSync(fd.pages, new Uint8Array(pages.buffer, pages.byteOffset, pages.byteLength));
    base += pages.length;
  }
  for (const f of Object.values(fd)) closeSync(f);
  writeFileSync(join(out, 'meta.json'), JSON.stringify({ memPages: trace.meta.memPages, pageSize: trace.meta.pageSize, durationUs: trace.summary.durationUs }));
}

const python = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
const numpyVersion = python.status === 0 ? python.stdout.trim() : null;

const BANDWIDTH = '2.5Gbit';
const BANDWIDTH_BYTES = 2.5e9 / 8;
const replayArgs = [cli, 'replay', traceFile, '--algo', 'precopy', '--bandwidth', BANDWIDTH, '--within-epoch', 'start', '--json'];
const peerArgs = [join(root, 'bench/peer/numpy_precopy.py'), join(dir, `${traceFile.split('/').pop()}.arrays`), String(BANDWIDTH_BYTES)];

async function peerSection() {
  const trace = openTrace(fileSource(traceFile));
  const out = {
    trace: { file: traceFile.replace(dir, '$TMPDIR/migreplay-bench'), gen: `gen uniform ${GEN.join(' ')}`, bytes: statSync(traceFile).size, pageWrites: trace.summary.events, epochs: trace.summary.epochs, memPages: trace.meta.memPages },
    command: `migreplay replay T --algo precopy --bandwidth ${BANDWIDTH} --within-epoch start --json`,
    peer: numpyVersion ? `python3 bench/peer/numpy_precopy.py (numpy ${numpyVersion})` : null,
  };
  if (!numpyVersion) log('wrapping: python3 with numpy not found: the numpy peer is skipped');
  else exportArrays(traceFile, peerArgs[1]);
  const reps = [];
  for (let r = 0; r < REPS; r++) {
    const got = {};
    for (const which of r % 2 ? ['peer', 'noOracle', 'replay'] : ['replay', 'noOracle', 'peer']) {
      if (which === 'peer' && !numpyVersion) continue;
      log(`wrapping: ${which}, repetition ${r + 1}/${REPS}`);
      // --format qmp: the same replay without the oracle distance (QEMU's shape has no room for it).
      got[which] = which === 'replay' ? await timed(process.execPath, replayArgs)
        : which === 'noOracle' ? await timed(process.execPath, [...replayArgs.slice(0, -1), '--format', 'qmp'])
        : await timed('python3', peerArgs);
    }
    reps.push(got);
  }
  const results = JSON.parse(reps[0].replay.stdout).results[0];
  out.oracleShareCpu = r3(median(reps.map((x) => (x.replay.cpuMs - x.noOracle.cpuMs) / x.noOracle.cpuMs)));
  out.noOracle = { wallMs: median(reps.map((x) => x.noOracle.wallMs)), cpuMs: median(reps.map((x) => x.noOracle.cpuMs)) };
  out.replay = { wallMs: median(reps.map((x) => x.replay.wallMs)), cpuMs: median(reps.map((x) => x.replay.cpuMs)), maxRssMB: r3(median(reps.map((x) => x.replay.maxRssKiB)) / 1024), totalTimeS: results.totalTimeS, iterations: results.iterations, wrapped: results.wrapped };
  if (numpyVersion) {
    const p = JSON.parse(reps[0].peer.stdout);
    out.numpy = { wallMs: median(reps.map((x) => x.peer.wallMs)), cpuMs: median(reps.map((x) => x.peer.cpuMs)), maxRssMB: r3(median(reps.map((x) => x.peer.maxRssKiB)) / 1024), ...p };
    out.sameResult = p.pagesSent === results.pagesSent && p.iterations === results.iterations && p.stopReason === results.stopReason && Math.abs(p.totalTimeS - results.totalTimeS) <= 1e-9 * results.totalTimeS;
    out.numpyOverReplayWall = r3(median(reps.map((x) => x.peer.wallMs / x.replay.wallMs)));
    out.numpyOverReplayCpu = r3(median(reps.map((x) => x.peer.cpuMs / x.replay.cpuMs)));
  }
  log('wrapping: replay with --memory 64MiB (streaming)');
  const streamed = await timed(process.execPath, [...replayArgs.slice(0, -1), '--memory', '64MiB', '--json']);
  if (JSON.stringify(JSON.parse(streamed.stdout).results) !== JSON.stringify(JSON.parse(reps[0].replay.stdout).results)) throw new Error('the streamed replay differs from the kept one');
  out.streamed = { wallMs: streamed.wallMs, cpuMs: streamed.cpuMs, maxRssMB: r3(streamed.maxRssKiB / 1024) };
  out.repetitions = reps.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, { wallMs: v.wallMs, cpuMs: v.cpuMs, maxRssKiB: v.maxRssKiB }])));
  return out;
}

// ---------------------------------------------------------------------------
// Rounds longer than the trace: the same trace at 100 Mbit/s, where every round (the
// full copy included) outlasts the trace about eleven times over. The engine skips the
// whole passes a round only counts; the oracle distance scans every write of every pass
// up to its own answer, so its share is judged here too.

const SLOW_BANDWIDTH = '100Mbit';

async function longRoundsSection() {
  const args = [cli, 'replay', traceFile, '--algo', 'precopy', '--bandwidth', SLOW_BANDWIDTH, '--within-epoch', 'start'];
  const reps = [];
  for (let r = 0; r < REPS; r++) {
    const got = {};
    for (const which of r % 2 ? ['noOracle', 'replay'] : ['replay', 'noOracle']) {
      log(`wrapping: rounds longer than the trace, ${which}, repetition ${r + 1}/${REPS}`);
      got[which] = await timed(process.execPath, [...args, ...(which === 'replay' ? ['--json'] : ['--format', 'qmp'])]);
    }
    reps.push(got);
  }
  const results = JSON.parse(reps[0].replay.stdout).results[0];
  return {
    command: `migreplay replay T --algo precopy --bandwidth ${SLOW_BANDWIDTH} --within-epoch start --json (and --format qmp: without the oracle distance)`,
    totalTimeS: results.totalTimeS, iterations: results.iterations, wraps: r3(results.totalTimeS / (peerTraceDurationS ?? NaN)),
    noOracle: { wallMs: median(reps.map((x) => x.noOracle.wallMs)), cpuMs: median(reps.map((x) => x.noOracle.cpuMs)) },
    replay: { wallMs: median(reps.map((x) => x.replay.wallMs)), cpuMs: median(reps.map((x) => x.replay.cpuMs)) },
    oracleShareCpu: r3(median(reps.map((x) => (x.replay.cpuMs - x.noOracle.cpuMs) / x.noOracle.cpuMs))),
    repetitions: reps.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, { wallMs: v.wallMs, cpuMs: v.cpuMs }]))),
  };
}

// ---------------------------------------------------------------------------
// The QEMU grid against one converging replay

const GRID_BANDWIDTHS = quick ? '100Mbit,2Gbit' : '100Mbit,200Mbit,300Mbit,500Mbit,700Mbit,1Gbit,2Gbit,5Gbit';
const GRID_LIMITS = '30ms,100ms,300ms,1s,3s';

async function gridSection() {
  const xz6 = join(root, 'traces/xz6.arrow');
  const one = [];
  for (let r = 0; r < 3; r++) {
    log(`wrapping: one converging replay of xz6, ${r + 1}/3`);
    const run = await timed(process.execPath, [cli, 'replay', xz6, '--algo', 'qemu', '--json']);
    if (!JSON.parse(run.stdout).results[0].converged) throw new Error('the reference replay did not converge');
    one.push(run);
  }
  const out = join(dir, 'grid-xz6.jsonl');
  const sweepArgs = [cli, 'sweep', '--trace', xz6, '--algo', 'qemu', '--set', `bandwidth=${GRID_BANDWIDTHS}`, '--set', `downtime-limit=${GRID_LIMITS}`, '--set', 'max-time=3600s', '--out', out, '--overwrite', '--jobs', '2', '--json'];
  log('wrapping: the QEMU grid');
  const grid = await timed(process.execPath, sweepArgs);
  const stats = JSON.parse(grid.stdout);
  const oneWall = median(one.map((x) => x.wallMs));
  const oneCpu = median(one.map((x) => x.cpuMs));
  return {
    command: `migreplay sweep --trace traces/xz6.arrow --algo qemu --set bandwidth=${GRID_BANDWIDTHS} --set downtime-limit=${GRID_LIMITS} --set max-time=3600s --out F --jobs 2`,
    reference: 'migreplay replay traces/xz6.arrow --algo qemu --json (converges: 4 rounds), median of 3',
    runs: stats.gridRuns ?? null,
    gridWallMs: grid.wallMs, gridCpuMs: grid.cpuMs,
    oneWallMs: oneWall, oneCpuMs: oneCpu,
    wallRatio: r3(grid.wallMs / oneWall),
    cpuRatio: oneCpu ? r3(grid.cpuMs / oneCpu) : null,
  };
}

// ---------------------------------------------------------------------------

const loadAtStart = loadavg().map((x) => +x.toFixed(2));
const peer = await peerSection();
const peerTraceDurationS = openTrace(fileSource(traceFile)).summary.durationUs / 1e6;
const longRounds = await longRoundsSection();
const grid = await gridSection();
const doc = {
  benchmark: 'wrapping',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  quick,
  reps: REPS,
  loadAverage: { start: loadAtStart, end: loadavg().map((x) => +x.toFixed(2)) },
  units: 'ms of wall time and of process CPU time (user + sys, /usr/bin/time); RSS in MB (2^20 bytes)',
  peer,
  longRounds,
  grid,
  targets: [
    peer.numpy
      ? { target: `wrapping replay, numpy peer ÷ replay, wall time${quick ? ' (--quick: scaled-down trace)' : ''}`, value: peer.numpyOverReplayWall, min: 2, met: peer.numpyOverReplayWall >= 2 }
      : { target: 'wrapping replay, numpy peer ÷ replay: not measured (python3 with numpy not found)', value: null, met: null },
    { target: 'wrapping replay, the oracle distance\'s CPU time ÷ the replay without it (--format qmp)', value: peer.oracleShareCpu, max: 0.2, met: peer.oracleShareCpu <= 0.2 },
    { target: `rounds longer than the trace (${SLOW_BANDWIDTH}), the oracle distance's CPU time ÷ the replay without it`, value: longRounds.oracleShareCpu, max: 0.2, met: longRounds.oracleShareCpu <= 0.2 },
    { target: 'wrapping replay, peak RSS (default memory budget), MB', value: peer.replay.maxRssMB, max: 450, met: peer.replay.maxRssMB <= 450 },
    { target: 'wrapping replay, peak RSS with --memory 64MiB (streaming), MB', value: peer.streamed.maxRssMB, max: 300, met: peer.streamed.maxRssMB <= 300 },
    { target: `QEMU grid (${grid.runs ?? '?'} cells) wall ÷ one converging replay wall${quick ? ' (--quick: 10 cells)' : ''}`, value: grid.wallRatio, max: 5, met: grid.wallRatio <= 5 },
  ],
};
doc.summary = [
  'wrapping (bench/wrapping.mjs):',
  `  trace: ${peer.trace.gen}: ${(peer.trace.pageWrites / 1e6).toFixed(1)} M page writes, ${(peer.trace.bytes / 1e6).toFixed(0)} MB; the migration runs ${r3(peer.replay.totalTimeS)} s (${peer.replay.iterations} rounds${peer.replay.wrapped ? ', wrapped' : ''})`,
  `  replay: ${peer.replay.wallMs} ms wall, ${peer.replay.cpuMs} ms CPU, ${peer.replay.maxRssMB} MB peak RSS; with --memory 64MiB ${peer.streamed.wallMs} ms wall, ${peer.streamed.cpuMs} ms CPU, ${peer.streamed.maxRssMB} MB`,
  `  the oracle distance: ${peer.noOracle.cpuMs} ms CPU without it (--format qmp): +${r3(100 * peer.oracleShareCpu)} %`,
  peer.numpy
    ? `  numpy peer: ${peer.numpy.wallMs} ms wall, ${peer.numpy.cpuMs} ms CPU, ${peer.numpy.maxRssMB} MB; numpy ÷ replay ×${peer.numpyOverReplayWall} wall, ×${peer.numpyOverReplayCpu} CPU; same result: ${peer.sameResult ? 'yes' : 'NO'}`
    : '  numpy peer: skipped (python3 with numpy not found)',
  `  rounds longer than the trace (${SLOW_BANDWIDTH}): the migration runs ${r3(longRounds.totalTimeS)} s (${longRounds.wraps} × the trace, ${longRounds.iterations} rounds); replay ${longRounds.noOracle.wallMs} ms wall, ${longRounds.noOracle.cpuMs} ms CPU (--format qmp); with the oracle distance ${longRounds.replay.cpuMs} ms CPU: +${r3(100 * longRounds.oracleShareCpu)} %`,
  `  QEMU grid (${grid.runs} cells): ${grid.gridWallMs} ms wall, ${grid.gridCpuMs} ms CPU; one converging replay ${grid.oneWallMs} ms wall: ×${grid.wallRatio} (CPU ×${grid.cpuRatio})`,
];
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}wrapping-latest.json`, JSON.stringify(doc, null, 2) + '\n');
if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
else console.log(doc.summary.join('\n'));
