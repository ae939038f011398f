#!/usr/bin/env node
// Reproductions of the four papers' experiments (docs/reproductions.md): regenerates
// each experiment's workload with fixed seeds, replays the paper's algorithm and its
// baseline, and prints one markdown table per paper on stdout (--json: one JSON
// document), plus the real traces in traces/. Every run also writes
// bench/results/reproductions-latest.json, stamped with what produced it.
//
//   npm run build && node bench/reproduce.mjs [--quick] [--json] [--only seed-003,…]
//                                             [--kernel wasm|js] [--keep-traces DIR]
//
// Imports the compiled library (dist/); traces are generated into a temporary folder
// (or --keep-traces DIR) and never into the repository.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { findAlgorithm } from '../dist/algorithms/index.js';
import { replay } from '../dist/run/replay.js';
import { DEFAULT_LINK } from '../dist/engine/types.js';
import { MigreplayError } from '../dist/errors.js';
import { writeFileAtomic } from '../dist/io/files.js';
import { createKernel } from '../dist/kernel/node.js';
import { generateTrace } from '../dist/trace/generate.js';
import { bytesSource, openTrace } from '../dist/trace/read.js';
import { parseRate } from '../dist/units.js';
import { VERSION } from '../dist/version.js';

// --within-epoch rules (docs/model.md): the headline numbers use the engine's default;
// every run is repeated under each rule. An engine without the option has one rule.
const RULES = 'withinEpoch' in DEFAULT_LINK ? ['start', 'spread', 'whole'] : [null];
const HEADLINE_RULE = DEFAULT_LINK.withinEpoch ?? 'start';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(ROOT, 'bench', 'results', 'reproductions-latest.json');

const USAGE = `usage: node bench/reproduce.mjs [--quick] [--json] [--only ID,…] [--kernel wasm|js] [--keep-traces DIR]

Reruns the four papers' experiments (docs/reproductions.md#the-papers) and prints markdown tables.
  --quick            a small version of every experiment (smaller guests, fewer points)
  --json             print one JSON document instead of markdown
  --only ID,…        run only these experiments: seed-003 (Ma, Liu & Liu, ICSESS 2010),
                     seed-004 (the IMMP vCPU-limit paper), seed-001 (Charchekhandra, PMTCS 2023),
                     seed-000 (the page-frequency threshold paper), real-traces
  --kernel K         wasm (default) or js
  --keep-traces DIR  generate the traces into DIR and keep them (default: a temporary folder, removed)
Always writes bench/results/reproductions-latest.json.`;

// ---------------------------------------------------------------------------------
// Command line

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        only: { type: 'string' },
        kernel: { type: 'string', default: 'wasm' },
        'keep-traces': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    usageError(e.message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  if (v.kernel !== 'wasm' && v.kernel !== 'js') usageError(`--kernel: '${v.kernel}' is not one of wasm, js`);
  const ids = EXPERIMENTS.map((x) => x.id);
  const only = v.only === undefined ? ids : v.only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of only) if (!ids.includes(id)) usageError(`--only: unknown experiment '${id}' (known: ${ids.join(', ')})`);
  return { quick: v.quick, json: v.json, only, kernel: v.kernel, keepTraces: v['keep-traces'] };
}

function usageError(message) {
  process.stderr.write(`reproduce: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** Progress lines, only when stderr is a terminal. */
function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

// ---------------------------------------------------------------------------------
// Traces and replays

class Workbench {
  constructor(kernelName, dir) {
    this.kernelName = kernelName;
    this.kernel = createKernel(kernelName);
    this.dir = dir;
    this.traces = new Map();
  }

  /** Generate (once) a workload's trace into the trace folder and open it. Options by CLI name. */
  generate(workload, options) {
    const file = traceFileName(workload, options);
    const cached = this.traces.get(file);
    if (cached) return cached;
    progress(`generating ${file}`);
    const full = path.join(this.dir, file);
    const chunks = [];
    const gen = generateTrace(workload, options, (c) => chunks.push(c.slice()));
    const bytes = Buffer.concat(chunks);
    fs.writeFileSync(full, bytes);
    const entry = {
      trace: openTrace(bytesSource(file, bytes)),
      file,
      workload,
      options,
      description: gen.header.description,
      command: `migreplay gen ${workload}${cliOptions(options)} --out ${file}`,
    };
    this.traces.set(file, entry);
    return entry;
  }

  /** Open a shipped trace (traces/NAME.arrow). */
  shipped(name) {
    const file = `traces/${name}.arrow`;
    const bytes = fs.readFileSync(path.join(ROOT, file));
    return { trace: openTrace(bytesSource(file, bytes)), file, workload: name, options: {}, command: '' };
  }

  /**
   * Replay one algorithm; link.bandwidth as text ('1Gbit'); params by CLI name. The
   * result is the run under the engine's default --within-epoch rule, with the run
   * under every rule in `byRule` (how much the 50 ms sampling leaves open).
   */
  run(entry, algorithm, link, params = {}) {
    const algo = findAlgorithm(algorithm);
    if (!algo) throw new Error(`no algorithm '${algorithm}'`);
    progress(`${entry.file}: ${algorithm}${cliOptions(params)} at ${link.bandwidth}`);
    const bandwidthBytesPerS = parseRate('--bandwidth', link.bandwidth);
    const byRule = {};
    for (const rule of RULES) {
      const r = replay(entry.trace, algo, this.kernel, rule === null ? { bandwidthBytesPerS } : { bandwidthBytesPerS, withinEpoch: rule }, params);
      byRule[rule ?? 'start'] = summarize(r, algorithm, link, params, entry.trace);
    }
    return { ...byRule[HEADLINE_RULE], withinEpoch: HEADLINE_RULE, byRule: Object.fromEntries(Object.entries(byRule).map(([k, v]) => [k, strip(v)])) };
  }
}

/** A per-rule result without what the headline result already says. */
function strip({ algorithm: _a, params: _p, bandwidth: _b, ...rest }) {
  return rest;
}

/** What a table or the JSON needs of a result (the per-round table only as its last live round). */
function summarize(r, algorithm, link, params, trace) {
  const live = r.rounds.filter((x) => !x.final);
  const last = live[live.length - 1];
  const lengths = live.map((x) => x.durationS).sort((a, b) => a - b);
  const median = lengths.length === 0 ? 0 : lengths.length % 2 ? lengths[(lengths.length - 1) / 2] : (lengths[lengths.length / 2 - 1] + lengths[lengths.length / 2]) / 2;
  return {
    algorithm,
    params,
    bandwidth: link.bandwidth,
    pagesSent: r.pagesSent,
    totalTimeS: r.totalTimeS,
    downtimeMs: r.downtimeMs,
    iterations: r.iterations,
    stopReason: r.stopReason,
    converged: r.converged,
    wrapped: r.wrapped,
    overheadRatio: r.overheadRatio,
    finalPages: r.rounds.find((x) => x.final)?.pagesSent ?? null,
    lastLiveRound: last ? { durationMs: last.durationS * 1e3, pagesDirtied: last.pagesDirtied, pagesSent: last.pagesSent } : null,
    // As the CLI warns: the median live round is shorter than 4 sampling intervals.
    coarse: median * 1e6 < 4 * (trace.meta.intervalUs ?? trace.summary.durationUs / Math.max(1, trace.summary.epochs)),
    ...(r.workloadSlowdown !== undefined ? { workloadSlowdown: r.workloadSlowdown, workloadDelayS: r.workloadDelayS, immpColumn: r.immpColumn } : {}),
  };
}

function traceFileName(workload, options) {
  const parts = Object.entries(options).map(([k, v]) => `${k}${String(v).replace(/[^A-Za-z0-9.]/g, '')}`);
  return [workload, ...parts].join('-') + '.arrow';
}

function cliOptions(options) {
  return Object.entries(options).map(([k, v]) => ` --${k} ${v}`).join('');
}

// ---------------------------------------------------------------------------------
// Formatting

/** Signed percentage change from base to value, e.g. "−34.9 %". */
function change(value, base) {
  if (value === null || base === null || !(base > 0)) return '–';
  const p = ((value - base) / base) * 100;
  const text = Math.abs(p).toFixed(1);
  if (text === '0.0') return '0.0 %';
  return `${p < 0 ? '−' : '+'}${text} %`;
}

/** A precomputed percentage change, formatted like change(). */
function changePct(p) {
  return p === null || p === undefined ? '–' : change(100 + p, 100);
}

/** Over the --within-epoch rules: [min, max] of the change of `metric` from base to value (each rule against the same rule). */
function deltaRange(value, base, metric) {
  const xs = Object.keys(value.byRule).map((rule) => pct(value.byRule[rule][metric], base.byRule[rule]?.[metric] ?? null)).filter((x) => x !== null);
  return xs.length === 0 ? null : [Math.min(...xs), Math.max(...xs)];
}

/** Over the --within-epoch rules: [min, max] of the mean change over pairs [value, base]. */
function meanDeltaRange(pairs, metric) {
  const rules = Object.keys(pairs[0][0].byRule);
  const xs = rules.map((rule) => mean(pairs.map(([v, b]) => pct(v.byRule[rule][metric], b.byRule[rule][metric]))));
  return [Math.min(...xs), Math.max(...xs)];
}

/** Over the --within-epoch rules: [min, max] of a metric. */
function valueRange(value, metric) {
  const xs = Object.values(value.byRule).map((x) => x[metric]).filter((x) => x !== null);
  return xs.length === 0 ? null : [Math.min(...xs), Math.max(...xs)];
}

/** A range of percentages: "−35.1 … −34.9 %", or one value when both ends print alike. */
function pctRange(range) {
  if (!range) return '–';
  const [lo, hi] = range.map((x) => changePct(x).replace(' %', ''));
  return lo === hi ? `${lo} %` : `${lo} … ${hi} %`;
}

/** A range of values with a formatter: "9.50 … 14.1". */
function valRange(range, f) {
  if (!range) return '–';
  const [lo, hi] = range.map(f);
  return lo === hi ? lo : `${lo} … ${hi}`;
}

function pct(value, base) {
  return value === null || !(base > 0) ? null : ((value - base) / base) * 100;
}

const fmt = {
  int: (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US')),
  s: (n) => (n === null ? '–' : n.toFixed(2)),
  ms: (n) => (n === null ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
};

function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map((r) => line(r.map(String)))].join('\n');
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

// ---------------------------------------------------------------------------------
// The experiments. Each returns { id, title, …, rows, markdown }; `markdown` goes to
// stdout, the rest to the JSON.
//
// --quick shrinks the guests. For `hotpages` and `mail` memory, link and every rate
// and size shrink together (1/16: 64 MiB at 62.5 Mbit/s), so rounds last as long as
// at full size and the outcome keeps its shape; `video-stream`'s player writes the
// same pages whatever the guest's memory, so only memory and trace length shrink.
// test/reproductions.test.ts checks the same small setups.

const SETUPS = {
  full: {
    hotpages: { options: {}, link: '1Gbit', seeds: [1, 2, 3, 4, 5], hotSizes: ['0.5%', '1%', '2%', '3%'], slowLink: '100Mbit', phases: {} },
    video: { options: {}, link: '100Mbit', limits: [10, 15, 20, 25, 30], fineInterval: '5ms' },
    mail: {
      options: {}, link: '1Gbit', users: [4, 8, 12, 16, 20], files: [['1 MB', '1MB'], ['3 MB', '3MB']],
      pools: ['8MiB', '32MiB'], // sensitivity: the network-buffer pool (default 16 MiB), at n = 20
    },
    real: { traces: ['gzip9', 'xz6', 'sort', 'py_dict_sort'], limits: [15, 20, 25] },
  },
  quick: {
    hotpages: { options: { mem: '64MiB', duration: '30s', 'cold-rate': 12.5 }, link: '62.5Mbit', seeds: [1], hotSizes: ['0.5%', '3%'], slowLink: null, phases: { mem: '64MiB', duration: '30s', rate: 625 } },
    video: { options: { mem: '64MiB', duration: '60s' }, link: '100Mbit', limits: [15, 20, 25], fineInterval: null },
    mail: {
      options: { mem: '64MiB', 'comm-bandwidth': '62.5Mbit', 'net-buffers': '1MiB', 'server-ws': '512KiB', 'bg-size': '4MiB', 'bg-rate': 31.25 },
      link: '62.5Mbit', users: [4, 12, 20], files: [['1 MB / 16', '62500'], ['3 MB / 16', '187500']], pools: [],
    },
    real: { traces: ['gzip9', 'xz6'], limits: [20] },
  },
};

const linkText = (bw) => bw.replace(/bit$/, 'bit/s').replace(/^([0-9.]+)/, '$1 ');

function seed003(bench, S) {
  const H = S.hotpages;
  const rows = [];
  const pair = (variant, workload, options, bandwidth) => {
    const t = bench.generate(workload, options);
    const link = { bandwidth };
    const p = bench.run(t, 'precopy', link);
    const m = bench.run(t, 'ma2010', link);
    rows.push({ variant, trace: t.file, link: bandwidth, precopy: p, ma2010: m, dataChangePct: pct(m.pagesSent, p.pagesSent), timeChangePct: pct(m.totalTimeS, p.totalTimeS) });
  };
  for (const seed of H.seeds) pair(`defaults, seed ${seed}`, 'hotpages', { ...H.options, seed }, H.link);
  const defaults = rows.slice();
  for (const size of H.hotSizes) pair(`\`--hot-size ${size}\`, seed 1`, 'hotpages', { ...H.options, seed: 1, 'hot-size': size }, H.link);
  if (H.slowLink) pair(`defaults, seed 1, ${linkText(H.slowLink)} link`, 'hotpages', { ...H.options, seed: 1 }, H.slowLink);
  // A workload that fools a history-based rule: the working set moves (docs/workloads.md).
  pair('`phases` workload (moving working set), seed 1', 'phases', { ...H.phases, seed: 1 }, H.link);
  const avg = {
    dataChangePct: mean(defaults.map((r) => r.dataChangePct)),
    timeChangePct: mean(defaults.map((r) => r.timeChangePct)),
    maxIterations: Math.max(...defaults.map((r) => r.ma2010.iterations)),
    timeChangePctOverRules: meanDeltaRange(defaults.map((r) => [r.ma2010, r.precopy]), 'totalTimeS'),
  };
  const line = (r) => [
    r.variant, linkText(r.link),
    fmt.int(r.precopy.pagesSent), fmt.int(r.ma2010.pagesSent), change(r.ma2010.pagesSent, r.precopy.pagesSent),
    fmt.s(r.precopy.totalTimeS), fmt.s(r.ma2010.totalTimeS), change(r.ma2010.totalTimeS, r.precopy.totalTimeS),
    pctRange(deltaRange(r.ma2010, r.precopy, 'totalTimeS')),
    `${r.precopy.iterations} / ${r.ma2010.iterations}`, `${fmt.ms(r.precopy.downtimeMs)} / ${fmt.ms(r.ma2010.downtimeMs)}`,
  ];
  const body = [
    ['**paper** (Xen 3.3.0; workload, memory, link not given)', '?', '', '', '**−34 %**', '', '', '**−32.5 %**', '', '? / ≤ 5', '–'],
    ...defaults.map(line),
    [`**ours: mean of ${defaults.length} seed${defaults.length > 1 ? 's' : ''}**`, linkText(H.link), '', '', `**${changePct(avg.dataChangePct)}**`, '', '', `**${changePct(avg.timeChangePct)}**`, pctRange(avg.timeChangePctOverRules), `– / ≤ ${avg.maxIterations}`, ''],
    ...rows.slice(defaults.length).map(line),
  ];
  return {
    id: 'seed-003',
    title: 'Ma, Liu & Liu, ICSESS 2010 — ma2010 vs precopy on `hotpages`',
    paper: { dataChangePct: -34, timeChangePct: -32.5, maxIterations: 5 },
    ours: avg,
    rows,
    markdown: [
      table(['variant', 'link', 'precopy pages', 'ma2010 pages', 'Δ data', 'precopy s', 'ma2010 s', 'Δ time', 'Δ time over rules', 'iterations (precopy / ma2010)', 'downtime ms (precopy / ma2010)'], body),
      '',
      `\`hotpages\`${cliOptions(H.options)} (defaults: 1 GiB, 60 s, 50 ms epochs), migration at t = 0. One row by hand:`,
      '',
      '```sh',
      `migreplay gen hotpages${cliOptions({ ...H.options, seed: 1 })} --out hp.arrow`,
      `migreplay replay hp.arrow --algo precopy,ma2010 --bandwidth ${H.link}`,
      '```',
    ].join('\n'),
  };
}

function seed004(bench, S) {
  const V = S.video;
  const link = { bandwidth: V.link };
  const paper = { 15: -38, 20: -40, 25: -36 };
  const idle = bench.generate('video-stream', { ...V.options, fps: 0, bitrate: 0 });
  const busy = bench.generate('video-stream', V.options);
  const fine = V.fineInterval ? bench.generate('video-stream', { ...V.options, interval: V.fineInterval }) : null;
  const idleRun = bench.run(idle, 'precopy', link);
  const pre = bench.run(busy, 'precopy', link);
  const xen = bench.run(busy, 'xen', link);
  const preFine = fine && bench.run(fine, 'precopy', link);
  const rows = [];
  for (const L of V.limits) {
    const r = bench.run(busy, 'vcpu-limit', link, { 'vcpu-limit': L });
    const rf = fine && bench.run(fine, 'vcpu-limit', link, { 'vcpu-limit': L });
    rows.push({
      limit: L, paperTimeChangePct: paper[L] ?? null, vcpuLimit: r, timeChangePct: pct(r.totalTimeS, pre.totalTimeS),
      overIdlePct: pct(r.totalTimeS, idleRun.totalTimeS),
      fineEpochs: rf && { vcpuLimit: rf, timeChangePct: pct(rf.totalTimeS, preFine.totalTimeS) },
    });
  }
  const overIdle = (r) => change(r.totalTimeS, idleRun.totalTimeS);
  const last = (r) => (r.lastLiveRound ? `${fmt.ms(r.lastLiveRound.durationMs)} ms, ${fmt.int(r.lastLiveRound.pagesDirtied)}` : '–');
  const downRange = (r) => valRange(valueRange(r, 'downtimeMs'), fmt.ms);
  const fineCells = (f) => (fine ? (f ? [changePct(f.timeChangePct), fmt.ms(f.vcpuLimit.downtimeMs)] : ['', '']) : []);
  const headers = [
    'run', 'paper: Δ time vs Xen', 'ours: total s', 'Δ time vs precopy', 'Δ time over rules', 'vs idle VM', 'downtime ms', 'downtime ms over rules',
    'iterations', 'stop', 'last live round: length, pages dirtied', ...(fine ? [`${V.fineInterval.replace('ms', ' ms')} epochs: Δ time`, `${V.fineInterval.replace('ms', ' ms')} epochs: downtime ms`] : []),
  ];
  const row = (label, paperCell, r, delta, deltaRules, fineCellsValue) => [
    label, paperCell, fmt.s(r.totalTimeS), delta, deltaRules, overIdle(r), fmt.ms(r.downtimeMs), downRange(r), r.iterations, r.stopReason, last(r), ...fineCellsValue,
  ];
  const body = [
    row('idle VM, precopy', '(the minimum)', idleRun, '', '', fineCells(null)),
    row('busy VM, precopy (no limit)', '(+61.7 % over idle)', pre, '0.0 %', '', fine ? ['0.0 %', fmt.ms(preFine.downtimeMs)] : []),
    row('busy VM, xen (legacy loop; context)', '', xen, change(xen.totalTimeS, pre.totalTimeS), pctRange(deltaRange(xen, pre, 'totalTimeS')), fineCells(null)),
    ...rows.map((r) => row(
      `busy VM, vcpu-limit ${r.limit} %`,
      r.paperTimeChangePct === null ? (r.limit === 10 ? '("near the minimum")' : '') : `**${changePct(r.paperTimeChangePct)}**`,
      r.vcpuLimit, `**${change(r.vcpuLimit.totalTimeS, pre.totalTimeS)}**`, pctRange(deltaRange(r.vcpuLimit, pre, 'totalTimeS')), fineCells(r.fineEpochs),
    )),
  ];
  return {
    id: 'seed-004',
    title: 'The IMMP vCPU-limit paper — vcpu-limit vs precopy on `video-stream`',
    paper: { timeChangePct: paper, downtime: 'higher than Xen\'s at every limit', baselineOverIdlePct: 61.7 },
    idle: idleRun, precopy: pre, xen, precopyFineEpochs: preFine,
    rows,
    markdown: [
      table(headers, body),
      '',
      `\`video-stream\`${cliOptions(V.options)} (defaults: 512 MiB, 120 s, 720p at 25 fps, 50 ms epochs${fine ? `; the last two columns: the same trace generated with \`--interval ${V.fineInterval}\`` : ''}); idle VM: \`--fps 0 --bitrate 0\`; ${linkText(V.link)}, migration at t = 0. By hand:`,
      '',
      '```sh',
      `migreplay gen video-stream${cliOptions(V.options)} --out vs.arrow`,
      `migreplay gen video-stream${cliOptions(V.options)} --fps 0 --bitrate 0 --out idle.arrow`,
      `migreplay replay idle.arrow --algo precopy --bandwidth ${V.link}`,
      `for L in ${V.limits.join(' ')}; do migreplay replay vs.arrow --algo precopy,xen,vcpu-limit --vcpu-limit $L --bandwidth ${V.link}; done`,
      '```',
    ].join('\n'),
  };
}

function seed001(bench, S) {
  const M = S.mail;
  const link = { bandwidth: M.link };
  const rows = [];
  const one = (label, fileSize, users, extra = {}, note = '') => {
    const t = bench.generate('mail', { ...M.options, ...extra, users, 'file-size': fileSize });
    const p = bench.run(t, 'precopy', link);
    const a = bench.run(t, 'advance-xenvmc', link);
    const s = bench.run(t, 'advance-xenvmc', link, { 'comm-speedup': 8 });
    const loadEnd = /until ([0-9.]+) s/.exec(t.description)?.[1];
    rows.push({
      file: label, fileSize, users, mails: users * users, note, options: extra,
      loadEndS: loadEnd === undefined ? null : Number(loadEnd),
      precopy: p, advanceXenvmc: a, advanceXenvmcSpeedup8: s,
      timeChangePct: pct(a.totalTimeS, p.totalTimeS), pagesChangePct: pct(a.pagesSent, p.pagesSent), speedup8TimeChangePct: pct(s.totalTimeS, p.totalTimeS),
    });
  };
  for (const [label, size] of M.files) for (const n of M.users) one(label, size, n);
  const main = rows.length;
  for (const pool of M.pools) for (const [label, size] of M.files) one(label, size, 20, { 'net-buffers': pool }, `\`--net-buffers ${pool}\``);
  const sec = (r) => `${fmt.s(r.totalTimeS)}${r.wrapped ? ' (wrapped)' : ''}`;
  const line = (r) => [
    r.note || 'defaults', r.file, `${r.users} (${r.mails})`, r.loadEndS === null ? '–' : r.loadEndS.toFixed(1),
    sec(r.precopy), sec(r.advanceXenvmc), `**${change(r.advanceXenvmc.totalTimeS, r.precopy.totalTimeS)}**`, pctRange(deltaRange(r.advanceXenvmc, r.precopy, 'totalTimeS')),
    change(r.advanceXenvmc.pagesSent, r.precopy.pagesSent), `${r.precopy.iterations} / ${r.advanceXenvmc.iterations}`,
    `${sec(r.advanceXenvmcSpeedup8)} (${change(r.advanceXenvmcSpeedup8.totalTimeS, r.precopy.totalTimeS)})`,
  ];
  const body = [
    ['**paper** (Xen, CentOS 7, XenMotion)', '1 MB, 3 MB', '4 … 20', '', '', '', '**up to −50 % at n = 20**, growing with n', '', '', '', ''],
    ...rows.slice(0, main).map(line),
    ...rows.slice(main).map(line),
  ];
  const maxCut = Math.min(...rows.slice(0, main).map((r) => r.timeChangePct));
  return {
    id: 'seed-001',
    title: 'Charchekhandra, PMTCS 2023 — advance-xenvmc vs precopy on `mail`',
    paper: { timeChangePct: 'down by up to 50 % at n = 20, growing with n', users: [4, 8, 12, 16, 20], fileSizes: ['1MB', '3MB'] },
    ours: { largestTimeCutPct: maxCut },
    rows,
    markdown: [
      table(['variant', 'file', 'n (mails)', 'load ends at s', 'precopy s', 'advance-xenvmc s', 'Δ time', 'Δ time over rules', 'Δ pages', 'iterations (precopy / advance)', 'advance-xenvmc `--comm-speedup 8`: s (Δ time)'], body),
      '',
      `\`mail\`${cliOptions(M.options)} (defaults: 1 GiB, 60 s, 16 MiB network-buffer pool, 50 ms epochs), ${linkText(M.link)}, migration at t = 0. By hand:`,
      '',
      '```sh',
      `for f in ${M.files.map((x) => x[1]).join(' ')}; do for n in ${M.users.join(' ')}; do`,
      `  migreplay gen mail${cliOptions(M.options)} --users $n --file-size $f --out mail.arrow`,
      `  migreplay replay mail.arrow --algo precopy,advance-xenvmc --bandwidth ${M.link}`,
      `  migreplay replay mail.arrow --algo advance-xenvmc --comm-speedup 8 --bandwidth ${M.link}`,
      'done; done',
      '```',
    ].join('\n'),
  };
}

function seed000(bench, S) {
  const H = S.hotpages;
  const link = { bandwidth: H.link };
  const variants = [
    { label: '`--hot-threshold 2`', params: { 'hot-threshold': 2 } },
    { label: '`--hot-threshold 3` (default)', params: {} },
    { label: '`--hot-threshold 5`', params: { 'hot-threshold': 5 } },
    { label: '`--hot-threshold 3 --count-by epoch`', params: { 'count-by': 'epoch' } },
    { label: '`--hot-threshold 20 --count-by epoch`', params: { 'hot-threshold': 20, 'count-by': 'epoch' } },
    { label: '`phases` workload (moving working set), default threshold', params: {}, workload: 'phases' },
  ];
  const rows = variants.map((v) => {
    const per = H.seeds.map((seed) => {
      const t = v.workload === 'phases' ? bench.generate('phases', { ...H.phases, seed }) : bench.generate('hotpages', { ...H.options, seed });
      return { seed, trace: t.file, precopy: bench.run(t, 'precopy', link), threshold: bench.run(t, 'threshold', link, v.params) };
    });
    return {
      variant: v.label, workload: v.workload ?? 'hotpages', params: v.params, seeds: per,
      pagesChangePct: mean(per.map((x) => pct(x.threshold.pagesSent, x.precopy.pagesSent))),
      timeChangePctOverRules: meanDeltaRange(per.map((x) => [x.threshold, x.precopy]), 'totalTimeS'),
      timeChangePct: mean(per.map((x) => pct(x.threshold.totalTimeS, x.precopy.totalTimeS))),
      fewerPagesEverySeed: per.every((x) => x.threshold.pagesSent < x.precopy.pagesSent),
      lessTimeEverySeed: per.every((x) => x.threshold.totalTimeS < x.precopy.totalTimeS),
    };
  });
  const m = (f, xs) => mean(xs.map(f));
  const range = (xs) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`);
  const body = [
    ['**paper** (Xen, CentOS 7, NMON; no figures in the abstract)', '', '', '**fewer**', '', '', '**less**', '', '', ''],
    ...rows.map((r) => [
      r.variant,
      fmt.int(m((x) => x.precopy.pagesSent, r.seeds)), fmt.int(m((x) => x.threshold.pagesSent, r.seeds)), `**${changePct(r.pagesChangePct)}**`,
      fmt.s(m((x) => x.precopy.totalTimeS, r.seeds)), fmt.s(m((x) => x.threshold.totalTimeS, r.seeds)), `**${changePct(r.timeChangePct)}**`, pctRange(r.timeChangePctOverRules),
      `${fmt.ms(m((x) => x.precopy.downtimeMs, r.seeds))} / ${fmt.ms(m((x) => x.threshold.downtimeMs, r.seeds))}`,
      `${range(r.seeds.map((x) => x.precopy.iterations))} / ${range(r.seeds.map((x) => x.threshold.iterations))}`,
    ]),
  ];
  return {
    id: 'seed-000',
    title: 'The page-frequency threshold paper — threshold vs precopy on `hotpages`',
    paper: { pages: 'fewer than pre-copy', time: 'less than pre-copy' },
    rows,
    markdown: [
      table(['variant', 'precopy pages', 'threshold pages', 'Δ pages', 'precopy s', 'threshold s', 'Δ time', 'Δ time over rules', 'downtime ms (precopy / threshold)', 'iterations (precopy / threshold)'], body),
      '',
      `Means over seed${H.seeds.length > 1 ? 's' : ''} ${H.seeds.join(', ')} of the Ma, Liu & Liu traces (\`hotpages\`${cliOptions(H.options)}; \`phases\`${cliOptions(H.phases)}), ${linkText(H.link)}, migration at t = 0. By hand:`,
      '',
      '```sh',
      `migreplay gen hotpages${cliOptions({ ...H.options, seed: 1 })} --out hp.arrow`,
      `migreplay replay hp.arrow --algo precopy,threshold --bandwidth ${H.link} --hot-threshold 3`,
      '```',
    ].join('\n'),
  };
}

function realTraces(bench, S) {
  const R = S.real;
  const link = { bandwidth: '1Gbit' };
  const names = R.traces.filter((n) => fs.existsSync(path.join(ROOT, 'traces', `${n}.arrow`)));
  const runs = [
    { label: 'precopy', algorithm: 'precopy', params: {} },
    { label: 'ma2010', algorithm: 'ma2010', params: {} },
    { label: 'threshold', algorithm: 'threshold', params: {} },
    { label: 'advance-xenvmc', algorithm: 'advance-xenvmc', params: {} },
    ...R.limits.map((L) => ({ label: `vcpu-limit ${L} %`, algorithm: 'vcpu-limit', params: { 'vcpu-limit': L } })),
  ];
  const traces = [];
  const body = [];
  for (const name of names) {
    const t = bench.shipped(name);
    const results = runs.map((x) => ({ label: x.label, result: bench.run(t, x.algorithm, link, x.params) }));
    const pre = results[0].result;
    const adv = results[3].result;
    const same = (a, b) => JSON.stringify({ ...a, algorithm: '', params: {} }) === JSON.stringify({ ...b, algorithm: '', params: {} });
    const identical = same(adv, pre);
    traces.push({ trace: t.file, memPages: t.trace.meta.memPages, durationS: t.trace.summary.durationUs / 1e6, hasComm: t.trace.summary.hasComm, hasImmp: t.trace.summary.hasImmp, advanceXenvmcIdenticalToPrecopy: identical, results });
    results.forEach(({ label, result: r }, i) => {
      const lr = r.lastLiveRound;
      body.push([
        i === 0 ? `\`${name}\` (${fmt.int(t.trace.meta.memPages)} pages, ${(t.trace.summary.durationUs / 1e6).toFixed(1)} s)` : '',
        label + (label === 'advance-xenvmc' ? (identical ? ' (= precopy: no comm_pages)' : ' (differs from precopy!)') : ''),
        fmt.int(r.pagesSent), i === 0 ? '' : change(r.pagesSent, pre.pagesSent),
        fmt.s(r.totalTimeS), i === 0 ? '' : change(r.totalTimeS, pre.totalTimeS),
        valRange(valueRange(r, 'totalTimeS'), fmt.s),
        fmt.ms(r.downtimeMs), valRange(valueRange(r, 'downtimeMs'), fmt.ms), r.iterations, r.stopReason + (r.wrapped ? ' (wrapped)' : ''),
        lr ? `${fmt.ms(lr.durationMs)} ms, ${fmt.int(lr.pagesDirtied)}` : '–',
      ]);
    });
  }
  return {
    id: 'real-traces',
    title: 'Real traces (`traces/*.arrow`) at 1 Gbit/s',
    traces,
    markdown: [
      table(['trace', 'algorithm', 'pages', 'Δ pages', 'total s', 'Δ time', 'total s over rules', 'downtime ms', 'downtime ms over rules', 'iterations', 'stop', 'last live round: length, pages dirtied'], body),
      '',
      'Δ against precopy on the same trace; 1 Gbit/s, migration at t = 0; vcpu-limit slows every write (these traces have no immp_pages). By hand:',
      '',
      '```sh',
      'for t in traces/*.arrow; do',
      '  migreplay replay $t --algo precopy,ma2010,threshold,advance-xenvmc --bandwidth 1Gbit',
      `  for L in ${R.limits.join(' ')}; do migreplay replay $t --algo vcpu-limit --vcpu-limit $L --bandwidth 1Gbit; done`,
      'done',
      '```',
    ].join('\n'),
  };
}

const EXPERIMENTS = [
  { id: 'seed-003', run: seed003 },
  { id: 'seed-004', run: seed004 },
  { id: 'seed-001', run: seed001 },
  { id: 'seed-000', run: seed000 },
  { id: 'real-traces', run: realTraces },
];

// ---------------------------------------------------------------------------------

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function main() {
  const opts = parseCommandLine(process.argv.slice(2));
  const dir = opts.keepTraces ? path.resolve(opts.keepTraces) : fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-reproduce-'));
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const bench = new Workbench(opts.kernel, dir);
  const experiments = [];
  try {
    const setup = opts.quick ? SETUPS.quick : SETUPS.full;
    for (const x of EXPERIMENTS) if (opts.only.includes(x.id)) experiments.push(x.run(bench, setup));
  } finally {
    if (!opts.keepTraces) fs.rmSync(dir, { recursive: true, force: true });
    progress('');
  }
  const command = ['node', 'bench/reproduce.mjs', ...process.argv.slice(2)].join(' ');
  const doc = {
    migreplay: VERSION,
    command,
    quick: opts.quick,
    kernel: opts.kernel,
    withinEpoch: HEADLINE_RULE,
    withinEpochRules: RULES.map((r) => r ?? 'start'),
    node: process.version,
    commit: gitCommit(),
    generatedAt: new Date().toISOString(),
    elapsedS: (Date.now() - started) / 1e3,
    setup: opts.quick ? SETUPS.quick : SETUPS.full,
    traces: [...bench.traces.values()].map((t) => ({ file: t.file, workload: t.workload, options: t.options, command: t.command, description: t.description })),
    experiments: experiments.map(({ markdown, ...rest }) => rest),
  };
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileAtomic(RESULTS_FILE, JSON.stringify(doc, null, 2) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return;
  }
  const out = [`<!-- ${command} · migreplay ${VERSION} · kernel ${opts.kernel} · --within-epoch ${HEADLINE_RULE} (ranges over ${RULES.map((r) => r ?? 'start').join(', ')})${opts.quick ? ' · QUICK: small version' : ''} -->`];
  for (const x of experiments) out.push('', `### ${x.title}`, '', x.markdown);
  process.stdout.write(out.join('\n') + '\n');
}

try {
  main();
} catch (e) {
  if (e instanceof MigreplayError) {
    process.stderr.write(`reproduce: ${e.message}\n`);
    process.exit(e.exitCode ?? 2);
  }
  throw e;
}
