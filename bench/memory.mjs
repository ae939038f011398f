// Peak memory of a replay against the length of its trace (issue 7): replaying a
// generated 4 GiB trace (over 1 G page writes) must stay under 300 MB of peak RSS, and
// the peaks for a 1 GiB and a 4 GiB trace of the same guest must differ by < 10 %.
//
//   npm run build && node bench/memory.mjs [--json] [--quick]
//
// Traces (generated once into $TMPDIR/migreplay-bench/ and kept; ~5.4 GB in all):
//   gen uniform --mem 4GiB --rate 1.1M --duration 250s   → 268 M page writes, 1.07 GB
//   gen uniform --mem 4GiB --rate 1.1M --duration 1000s  → 1.07 G page writes, 4.3 GB
// Each is replayed by the command line, `migreplay replay T --algo precopy --memory 64MiB --json`
// (a budget both traces exceed: this measures streaming, memory flat in trace size)
// (1 Gbit/s: 29 rounds over ~1000 s of trace time, so both traces are read through
// about 4.3 GB: the 1 GiB one wraps four times), in a child process whose peak RSS is
// read from process.resourceUsage().maxRSS at exit (a --import hook: this file with
// ?rss=FILE). --quick replays only the 1 GiB trace and a 100 s one.
// Prints a summary (or --json) and writes bench/results/memory-latest.json.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The memory budget the replays get: smaller than either trace, so both stream. */
const MEMORY = '64MiB';

// Hook mode: loaded with --import into the measured process.
const hook = new URL(import.meta.url).searchParams.get('rss');
if (hook) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(hook, JSON.stringify({ maxRssKiB: r.maxRSS, userMs: r.userCPUTime / 1e3, systemMs: r.systemCPUTime / 1e3 }));
  });
} else {
  await main();
}

async function main() {
  const args = process.argv.slice(2);
  const asJson = args.includes('--json');
  const quick = args.includes('--quick');
  const root = fileURLToPath(new URL('../', import.meta.url));
  const cli = join(root, 'bin/migreplay.js');
  const log = (s) => process.stderr.write(`${s}\n`);
  const dir = join(tmpdir(), 'migreplay-bench');
  mkdirSync(dir, { recursive: true });

  const generated = (seconds) => {
    const file = join(dir, `uniform-4GiB-${seconds}s-1.1M.arrow`);
    if (!existsSync(file)) {
      log(`memory: generating ${file} (once; kept for later runs)`);
      const tmp = `${file}.tmp-${process.pid}.arrow`;
      const r = spawnSync(process.execPath, [cli, 'gen', 'uniform', '--mem', '4GiB', '--duration', `${seconds}s`, '--rate', '1.1M', '--out', tmp, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`gen uniform --duration ${seconds}s failed`);
      renameSync(tmp, file);
    }
    return file;
  };

  /** Replay `file` in a child process; returns its peak RSS and CPU time. */
  const replayRss = (file) =>
    new Promise((resolve, reject) => {
      const out = join(dir, `rss-${process.pid}.json`);
      const hookUrl = `${pathToFileURL(fileURLToPath(import.meta.url)).href}?rss=${encodeURIComponent(out)}`;
      const t0 = performance.now();
      const child = spawn(process.execPath, ['--import', hookUrl, cli, 'replay', file, '--algo', 'precopy', '--memory', MEMORY, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`replay ${file} exited with ${code}: ${stderr.trim().split('\n').slice(-2).join(' / ')}`));
        const usage = JSON.parse(readFileSync(out, 'utf8'));
        rmSync(out, { force: true });
        const doc = JSON.parse(stdout);
        const r = doc.results[0];
        resolve({
          maxRssKiB: usage.maxRssKiB, maxRssMB: +((usage.maxRssKiB * 1024) / 1e6).toFixed(1),
          cpuMs: Math.round(usage.userMs + usage.systemMs), wallMs: Math.round(performance.now() - t0),
          pageWrites: doc.trace.events, traceTimeS: +(r.totalTimeS - r.rounds.at(-1).durationS).toFixed(1), wrapped: r.wrapped, rounds: r.rounds.length,
        });
      });
    });

  const seconds = quick ? [100, 250] : [250, 1000];
  const runs = [];
  for (const s of seconds) {
    const file = generated(s);
    log(`memory: replaying ${file}`);
    const m = await replayRss(file);
    runs.push({ trace: file, durationS: s, bytes: statSync(file).size, ...m });
  }
  const [small, big] = runs;
  const diff = Math.abs(big.maxRssKiB - small.maxRssKiB) / small.maxRssKiB;
  const doc = {
    benchmark: 'memory',
    date: new Date().toISOString(),
    node: process.version,
    command: `migreplay replay T --algo precopy --memory ${MEMORY} --json`,
    quick,
    runs,
    difference: +(100 * diff).toFixed(1),
    targets: [
      {
        target: `memory: peak RSS replaying the ${(big.bytes / 2 ** 30).toFixed(1)} GiB trace, MB`,
        value: big.maxRssMB, max: 300, met: quick ? null : big.maxRssMB <= 300,
      },
      {
        target: `memory: peak RSS difference, ${(small.bytes / 2 ** 30).toFixed(1)} GiB vs ${(big.bytes / 2 ** 30).toFixed(1)} GiB trace, %`,
        value: +(100 * diff).toFixed(1), max: 10, met: quick ? null : diff < 0.1,
      },
    ],
  };
  doc.summary = [
    `memory (peak RSS of \`replay --algo precopy --memory ${MEMORY}\`: streaming; 4 GiB guest):`,
    ...runs.map((r) => `  ${(r.bytes / 1e9).toFixed(2)} GB trace (${r.durationS} s, ${(r.pageWrites / 1e6).toFixed(0)} M page writes): ${r.maxRssMB} MB peak RSS, ${r.cpuMs} ms CPU, ${r.rounds} rounds over ${r.traceTimeS} s of trace${r.wrapped ? ' (wrapped)' : ''}`),
    `  difference ${doc.difference} %${quick ? ' (--quick: not the 1 GiB / 4 GiB pair)' : ''}`,
  ];
  const outDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}memory-latest.json`, JSON.stringify(doc, null, 2) + '\n');
  if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else console.log(doc.summary.join('\n'));
}
