// End to end through the built CLI (dist/, what `node bin/migreplay.js …` runs), run
// in-process (test/helpers/cli.ts): the replay document and its files, the table,
// inspect, convert, and every way a bad invocation must end — exit 2, one line on
// stderr, nothing on stdout, no stack. The last suite runs the real process: the bin
// script, exit statuses, stdout into a closed pipe or a full device, the locale.
//
// Needs the build (`npm test` builds first; by hand: `npm run build`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { cli as runCli, ROOT, shell, spawnCli, type Run } from './helpers/cli.js';

// The runs share the process one at a time; leave room for a busy machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const TRACES = fs.readdirSync(path.join(ROOT, 'traces')).filter((f) => f.endsWith('.arrow')).sort().map((f) => `traces/${f}`);
const GZIP9 = 'traces/gzip9.arrow';
const XZ6 = 'traces/xz6.arrow';
const IDS = algorithms.map((a) => a.id);
const familyOf = (id: string) => algorithms.find((a) => a.id === id)!.family;

/** Run the CLI and wait for it (cwd: the repository, so trace paths are relative). */
const cli = (args: string[]): Promise<Run> => runCli(args);
/** The same; independent runs may be started together (they run one after the other). */
const cliAsync = cli;

/** The lines of a stream's text ('' → none); every line must end with a newline. */
function lines(text: string): string[] {
  if (text === '') return [];
  expect(text.endsWith('\n'), `output does not end with a newline: ${JSON.stringify(text.slice(-80))}`).toBe(true);
  return text.slice(0, -1).split('\n');
}

/**
 * A successful run: status 0, and stderr holds at most one-line warnings
 * (docs/output.md: warnings go to stderr, never to stdout) — never an error or a stack.
 */
function expectOk(r: Run, what: string): void {
  expect(r.status, `${what} failed: ${r.stderr}`).toBe(0);
  // Warnings, and the one line a command prints for each file it wrote.
  for (const line of lines(r.stderr)) expect(line, `${what}: unexpected stderr`).toMatch(/^migreplay: (warning: |wrote )/);
}

/** A successful convert: status 0; stderr may hold its one-line summary (`OUT: N epochs, M page writes`) and warnings. */
function expectConverted(r: Run, what: string): void {
  expect(r.status, `${what} failed: ${r.stderr}`).toBe(0);
  expect(r.stdout).toBe('');
  for (const line of lines(r.stderr)) expect(line, `${what}: unexpected stderr`).toMatch(/^migreplay: warning: |: \d+ epochs, \d+ page writes$/);
}

/** A bad-input or usage failure: exit 2, exactly one line on stderr starting `migreplay: `, no stack, nothing on stdout. */
function expectBadInput(r: Run, message: RegExp, status = 2): string {
  expect(r.status, `stderr: ${r.stderr}`).toBe(status);
  expect(r.stdout).toBe('');
  const errLines = lines(r.stderr);
  expect(errLines, `stderr must be exactly one line:\n${r.stderr}`).toHaveLength(1);
  const line = errLines[0]!;
  expect(line.startsWith('migreplay: ')).toBe(true);
  expect(line).not.toMatch(/^\s+at |\bat .*\.(js|ts):\d+|internal error/);
  expect(line).toMatch(message);
  return line;
}

/**
 * The documented invariants of every result of a replay document (docs/output.md):
 * types, Σ rounds = pagesSent, bytes = pages × page size, R_d, and the final round.
 */
function checkResults(doc: any): void {
  const { memPages, pageSize } = doc.trace;
  expect(Array.isArray(doc.results)).toBe(true);
  for (const r of doc.results) {
    const what = `${doc.trace.path}: ${r.algorithm}`;
    expect(typeof r.algorithm, what).toBe('string');
    expect(typeof r.params, what).toBe('object');
    expect(r.params, what).not.toBeNull();
    for (const v of Object.values(r.params)) expect(['number', 'string', 'boolean'], what).toContain(typeof v);
    const completed = r.converged !== false;
    for (const k of ['pagesSent', 'bytesSent', 'totalTimeS', 'downtimeMs', 'iterations', 'overheadRatio']) {
      if (k === 'downtimeMs' && !completed) {
        expect(r.downtimeMs, `${what}: no downtime without a switch-over`).toBeNull();
        continue;
      }
      expect(typeof r[k], `${what}.${k}`).toBe('number');
      expect(Number.isFinite(r[k]) && r[k] >= 0, `${what}.${k} = ${r[k]}`).toBe(true);
    }
    expect(Number.isInteger(r.pagesSent) && Number.isInteger(r.iterations), what).toBe(true);
    expect(typeof r.stopReason, what).toBe('string');
    expect(r.stopReason.length, what).toBeGreaterThan(0);
    expect(typeof r.wrapped, what).toBe('boolean');
    expect(Array.isArray(r.rounds), what).toBe(true);
    r.rounds.forEach((x: any, i: number) => {
      for (const k of ['index', 'startS', 'durationS', 'pagesDirtied', 'pagesSent', 'pagesSkipped', 'pagesDeferred']) {
        expect(typeof x[k], `${what} round ${i}.${k}`).toBe('number');
        expect(x[k] >= 0, `${what} round ${i}.${k} = ${x[k]}`).toBe(true);
      }
      expect(typeof x.final, `${what} round ${i}.final`).toBe('boolean');
      expect(x.index, `${what} round ${i}`).toBe(i);
      if (i > 0) expect(x.startS, `${what} round ${i} starts before round ${i - 1}`).toBeGreaterThanOrEqual(r.rounds[i - 1].startS);
    });
    const finals = r.rounds.map((x: any, i: number) => (x.final ? i : -1)).filter((i: number) => i >= 0);
    if (completed) {
      expect(r.rounds.length, `${what}: rounds`).toBeGreaterThan(0);
      expect(finals, `${what}: exactly one final round`).toHaveLength(1);
      // iterations: the live rounds before the pause. For pre-copy (and the oracle) the
      // final round is the last; for postcopy/hybrid the pause comes before the post-copy
      // round (docs/output.md).
      expect(r.iterations, `${what}: iterations`).toBe(finals[0]);
      if (familyOf(r.algorithm) !== 'postcopy') {
        expect(finals[0], `${what}: the final round is the last`).toBe(r.rounds.length - 1);
        expect(r.iterations, `${what}: iterations = rounds − 1`).toBe(r.rounds.length - 1);
      }
      expect(r.pagesSent, `${what}: every page is sent at least once`).toBeGreaterThanOrEqual(memPages);
    } else {
      expect(finals, `${what}: a migration that never switched over has no final round`).toEqual([]);
    }
    expect(r.pagesSent, `${what}: pagesSent = Σ rounds`).toBe(r.rounds.reduce((n: number, x: any) => n + x.pagesSent, 0));
    // The QEMU models also send the device state (no data_pages in these traces: no headers).
    expect(r.bytesSent, `${what}: bytesSent`).toBe(r.pagesSent * pageSize + (r.stateBytes ?? 0));
    expect(near(r.overheadRatio, r.pagesSent / memPages), `${what}: overheadRatio ${r.overheadRatio}`).toBe(true);
  }
}

/** An in-process read of a trace file, for expectations computed independently of the CLI. */
function readTrace(file: string): Trace {
  return openTrace(bytesSource(file, new Uint8Array(fs.readFileSync(path.resolve(ROOT, file)))));
}

/** Epochs of a trace as [t_us, pages]. */
function epochsOf(trace: Trace): [number, number[]][] {
  const out: [number, number[]][] = [];
  for (const b of trace.batches()) for (let i = 0; i < b.length; i++) out.push([b.tUs[i]!, [...b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!)]]);
  return out;
}

/** A small RFC 4180 CSV parser (quoted fields may hold commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const near = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-12);

let tmp = '';
const inTmp = (name: string) => path.join(tmp, name);
/** Leftover temporary files of an atomic write in a folder (`.NAME.tmp-PID`). */
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => /\.tmp/.test(f));

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-cli-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The gzip9 replay of every algorithm with --out x.json, shared by several tests below
// (started together with the other replays in the first suite's beforeAll).
let gzip9Run: { run: Run; outFile: string } | undefined;
const gzip9Args = (outFile: string) => ['replay', GZIP9, '--algo', 'all', '--json', '--kernel', 'wasm', '--out', outFile];
async function gzip9Json(): Promise<{ run: Run; outFile: string }> {
  if (!gzip9Run) {
    const outFile = inTmp('gzip9.json');
    gzip9Run = { run: await cli(gzip9Args(outFile)), outFile };
  }
  return gzip9Run;
}

// --kernel wasm vs js, --algo all, on every trace. gzip9 at the default 1 Gbit/s; the
// larger captures at 10 Gbit/s, where every algorithm completes quickly (at 1 Gbit/s qemu
// does not converge on sort and py_dict_sort and replays 600 s of migration).
const kernelArgs = (t: string, k: 'wasm' | 'js') => ['replay', t, '--algo', 'all', '--json', '--kernel', k, ...(t === GZIP9 ? [] : ['--bandwidth', '10Gbit'])];
// And the migrations that never switch over, cut short by --max-time.
const NONCONVERGED = ['replay', 'traces/py_dict_sort.arrow', '--algo', 'qemu,auto-converge,oracle', '--max-time', '5s', '--json'];

// ---------------------------------------------------------------------------------------

describe('replay --json', () => {
  let fast: Run;
  let stuck: Run[];
  let kernelRuns: Run[];
  beforeAll(async () => {
    // Every replay of this suite at once: they are independent and the machine has cores.
    // gzip9's --kernel wasm run is the plain `replay gzip9 --algo all --json` (plus --out).
    const outFile = inTmp('gzip9.json');
    const all = await Promise.all([
      cliAsync(['replay', GZIP9, '--algo', 'all', '--json', '--bandwidth', '10Gbit']),
      cliAsync([...NONCONVERGED, '--kernel', 'wasm']),
      cliAsync([...NONCONVERGED, '--kernel', 'js']),
      ...TRACES.flatMap((t) => (['wasm', 'js'] as const).map((k) => cliAsync(t === GZIP9 && k === 'wasm' ? gzip9Args(outFile) : kernelArgs(t, k)))),
    ]);
    fast = all[0]!;
    stuck = [all[1]!, all[2]!];
    kernelRuns = all.slice(3);
    gzip9Run = { run: kernelRuns[2 * TRACES.indexOf(GZIP9)]!, outFile };
  }, 180_000);

  it('prints exactly one JSON document of the documented shape (gzip9, --algo all)', async () => {
    const { run } = await gzip9Json();
    expectOk(run, 'replay gzip9 --json');
    // One document: the whole of stdout parses, and it ends with exactly one newline.
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc).sort()).toEqual(['link', 'migreplay', 'results', 'trace']);
    expect(doc.migreplay).toEqual({ version: expect.any(String) });
    expect(doc.migreplay.version).toMatch(/^\d+\.\d+\.\d+/);

    const trace = readTrace(GZIP9);
    expect(doc.trace).toEqual({
      path: GZIP9,
      memPages: trace.meta.memPages,
      pageSize: trace.meta.pageSize,
      epochs: trace.summary.epochs,
      events: trace.summary.events,
      durationS: trace.summary.durationUs / 1e6,
    });
    expect(doc.link).toEqual({ bandwidthBytesPerS: 125_000_000, startS: 0, resumeMs: 0 });

    // gzip9 over 1 Gbit/s: every algorithm completes, so every result gets the full checks.
    for (const r of doc.results) expect(r.converged ?? true, `${r.algorithm} did not complete`).toBe(true);
    checkResults(doc);
  });

  it('--algo all runs every algorithm of the registry, in its order', async () => {
    const doc = JSON.parse((await gzip9Json()).run.stdout);
    expect(IDS.length).toBeGreaterThanOrEqual(3);
    expect(doc.results.map((r: any) => r.algorithm)).toEqual(IDS);
  });

  it('replay --help prints the usage with every algorithm parameter on stdout, exit 0 (the help is not cached)', async () => {
    const r = await cli(['replay', '--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^migreplay replay <trace>/);
    for (const flag of ['--bandwidth', '--within-epoch', '--downtime-limit', '--mark-after']) expect(r.stdout).toContain(flag);
  });

  it('--out x.json writes the same document as stdout, and no temporary file is left', async () => {
    const { run, outFile } = await gzip9Json();
    expectOk(run, 'replay --out x.json');
    expect(JSON.parse(fs.readFileSync(outFile, 'utf8'))).toEqual(JSON.parse(run.stdout));
    expect(leftovers(tmp)).toEqual([]);
  });

  it('--bandwidth 10Gbit: round 0 sends memory in memPages·pageSize/B, and pre-copy total time is bytes sent / B', async () => {
    const base = JSON.parse((await gzip9Json()).run.stdout);
    const r = fast;
    expectOk(r, 'replay --bandwidth 10Gbit');
    const doc = JSON.parse(r.stdout);
    const B = 10e9 / 8;
    expect(doc.link.bandwidthBytesPerS).toBe(B);
    const { memPages, pageSize } = doc.trace;
    let fullCopies = 0;
    for (const x of doc.results) {
      if (familyOf(x.algorithm) !== 'precopy') continue;
      expect(x.params.bandwidthBytesPerS, x.algorithm).toBe(B);
      // The link never idles in pre-copy: T_mig = bytes sent / B (no --resume-ms; the QEMU
      // models' device state crosses the link too).
      expect(near(x.totalTimeS, x.bytesSent / B, 1e-9), `${x.algorithm}: totalTimeS ${x.totalTimeS} vs ${x.bytesSent / B}`).toBe(true);
      if (x.rounds[0].pagesSent === memPages) {
        fullCopies++;
        expect(near(x.rounds[0].durationS, (memPages * pageSize) / B, 1e-9), `${x.algorithm}: round 0 ${x.rounds[0].durationS}`).toBe(true);
      }
    }
    // precopy's round 0 is always the full copy.
    const pre = doc.results.find((x: any) => x.algorithm === 'precopy');
    expect(pre.rounds[0].pagesSent).toBe(memPages);
    expect(fullCopies).toBeGreaterThanOrEqual(1);
    // and against the default 1 Gbit/s run: precopy's round 0 is 10 × shorter.
    const pre1 = base.results.find((x: any) => x.algorithm === 'precopy');
    expect(near(pre1.rounds[0].durationS, 10 * pre.rounds[0].durationS, 1e-9)).toBe(true);
    expect(pre.totalTimeS).toBeLessThan(pre1.totalTimeS);
  });

  it('--kernel wasm and --kernel js print byte-identical documents for every shipped trace', () => {
    expect(TRACES.length).toBeGreaterThanOrEqual(4);
    expect(kernelRuns).toHaveLength(2 * TRACES.length);
    TRACES.forEach((t, i) => {
      const [wasm, js] = [kernelRuns[2 * i]!, kernelRuns[2 * i + 1]!];
      expectOk(wasm, `${t} wasm`);
      expectOk(js, `${t} js`);
      const doc = JSON.parse(wasm.stdout);
      expect(doc.results.map((r: any) => r.algorithm), t).toEqual(IDS);
      checkResults(doc);
      expect(wasm.stdout === js.stdout, `${t}: wasm and js documents differ`).toBe(true);
      // (gzip9's wasm run also wrote --out, and says so in one line of its own.)
      const warnings = (e: string) => lines(e).filter((l) => !l.startsWith('migreplay: wrote ')).join('\n');
      expect(warnings(wasm.stderr), t).toBe(warnings(js.stderr));
    });
  });

  it('migrations cut off by --max-time: converged false, no final round, downtime null; wasm = js', () => {
    const [wasm, js] = stuck as [Run, Run];
    expectOk(wasm, 'max-time wasm');
    expectOk(js, 'max-time js');
    const doc = JSON.parse(wasm.stdout);
    expect(doc.results.map((r: any) => r.algorithm)).toEqual(['qemu', 'auto-converge', 'oracle']);
    const qemu = doc.results[0];
    expect(qemu.converged).toBe(false);
    expect(qemu.stopReason).toBe('max-time');
    expect(qemu.downtimeMs).toBeNull();
    expect(qemu.totalTimeS).toBeGreaterThanOrEqual(5);
    checkResults(doc);
    expect(wasm.stdout === js.stdout, 'wasm and js documents differ').toBe(true);
  });
});

describe('replay table and --out files', () => {
  // The three runs overlap; each test checks its own.
  let table: Run, csvRun: Run, arrowRun: Run;
  beforeAll(async () => {
    [table, csvRun, arrowRun] = await Promise.all([
      cliAsync(['replay', GZIP9]),
      cliAsync(['replay', GZIP9, '--algo', 'all', '--out', inTmp('r.csv')]),
      cliAsync(['replay', GZIP9, '--algo', 'all', '--out', inTmp('r.arrow')]),
    ]);
  });

  it('the human table (no --json, no --algo: all by default) has one row per algorithm, in registry order', () => {
    const r = table;
    expectOk(r, 'replay gzip9 (table)');
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^traces\/gzip9\.arrow: 446 pages × 4096 B, 400 epochs, /);
    const head = out.findIndex((l) => /^algorithm\s+pages sent\b/.test(l));
    expect(head).toBeGreaterThan(0);
    expect(out[head + 1]).toMatch(/^-+(\s+-+)+$/);
    const rows: string[] = [];
    for (let i = head + 2; i < out.length && out[i]!.trim() !== ''; i++) rows.push(out[i]!);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(IDS);
    for (const row of rows) expect(row.split(/\s{2,}/).length, row).toBeGreaterThanOrEqual(7);
  });

  it('--out x.csv: a header and one row per algorithm, matching the JSON results', async () => {
    const file = inTmp('r.csv');
    expectOk(csvRun, 'replay --out csv');
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    const [header, ...body] = rows;
    expect(header).toEqual(expect.arrayContaining(['trace', 'algorithm', 'pagesSent', 'bytesSent', 'totalTimeS', 'downtimeMs', 'iterations', 'overheadRatio', 'stopReason', 'wrapped', 'params']));
    expect(body).toHaveLength(IDS.length);
    for (const row of body) expect(row, row.join(',')).toHaveLength(header!.length);
    const col = (name: string) => body.map((row) => row[header!.indexOf(name)]!);
    expect(col('algorithm')).toEqual(IDS);
    expect(new Set(col('trace'))).toEqual(new Set([GZIP9]));
    const doc = JSON.parse((await gzip9Json()).run.stdout);
    expect(col('pagesSent').map(Number)).toEqual(doc.results.map((x: any) => x.pagesSent));
    expect(col('stopReason')).toEqual(doc.results.map((x: any) => x.stopReason));
    col('params').forEach((p, i) => expect(JSON.parse(p)).toEqual(doc.results[i].params));
    expect(leftovers(tmp)).toEqual([]);
  });

  it('--out x.arrow: an Arrow IPC file apache-arrow reads, one row per algorithm', async () => {
    const file = inTmp('r.arrow');
    expectOk(arrowRun, 'replay --out arrow');
    const t = tableFromIPC(fs.readFileSync(file));
    expect(t.numRows).toBe(IDS.length);
    expect(t.getChild('algorithm')!.toArray()).toEqual(IDS);
    const doc = JSON.parse((await gzip9Json()).run.stdout);
    expect([...t.getChild('pagesSent')!.toArray()].map(Number)).toEqual(doc.results.map((x: any) => x.pagesSent));
    const rounds = t.getChild('rounds')!;
    doc.results.forEach((x: any, i: number) => expect(rounds.get(i)!.length, x.algorithm).toBe(x.rounds.length));
    expect(JSON.parse(t.schema.metadata.get('migreplay.trace')!).path).toBe(GZIP9);
    expect(leftovers(tmp)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------

/** What inspect should say about a trace, computed here from the trace's epochs. */
function expectedStats(file: string) {
  const trace = readTrace(file);
  const epochs = epochsOf(trace);
  const counts = epochs.map(([, p]) => p.length).sort((a, b) => a - b);
  const rank = (q: number) => counts[Math.min(counts.length - 1, Math.max(0, Math.ceil(q * counts.length) - 1))]!;
  const seen = new Uint8Array(trace.meta.memPages);
  for (const [, p] of epochs) for (const x of p) seen[x] = 1;
  const workingSet = [0.1, 1, 10].map((windowS) => {
    const w = windowS * 1e6;
    const stamp = new Int32Array(trace.meta.memPages).fill(-1);
    const perWindow = new Map<number, number>();
    for (const [t, p] of epochs) {
      const k = Math.floor(t / w);
      let n = perWindow.get(k) ?? 0;
      for (const x of p) if (stamp[x] !== k) { stamp[x] = k; n++; }
      perWindow.set(k, n);
    }
    const first = Math.floor(epochs[0]![0] / w);
    const last = Math.floor(epochs[epochs.length - 1]![0] / w);
    const windows = last - first + 1; // empty windows in between count
    const sum = [...perWindow.values()].reduce((a, b) => a + b, 0);
    return { windowS, windows, meanPages: sum / windows, maxPages: Math.max(...perWindow.values()) };
  });
  return {
    trace,
    dirtyPerEpoch: { mean: trace.summary.events / trace.summary.epochs, p50: rank(0.5), p99: rank(0.99), max: counts[counts.length - 1]! },
    distinctPages: seen.reduce((a, b) => a + b, 0),
    workingSet,
  };
}

describe('inspect', () => {
  // The smallest and the largest shipped capture (each node start costs; the kernels'
  // agreement on every trace is what the replay comparison above covers).
  const INSPECTED = [GZIP9, XZ6];
  let runs: Map<string, Run>;
  beforeAll(async () => {
    const list = await Promise.all(INSPECTED.flatMap((t) => (['wasm', 'js'] as const).map((k) => cliAsync(['inspect', t, '--json', '--kernel', k]))));
    runs = new Map();
    INSPECTED.forEach((t, i) => {
      runs.set(`${t} wasm`, list[2 * i]!);
      runs.set(`${t} js`, list[2 * i + 1]!);
    });
  }, 120_000);

  it('inspect xz6 --json: sizes, dirty pages per epoch, distinct pages and working set at 0.1, 1, 10 s', () => {
    const r = runs.get(`${XZ6} wasm`)!;
    expectOk(r, 'inspect xz6');
    const s = JSON.parse(r.stdout);
    const want = expectedStats(XZ6);
    expect(s.path).toBe(XZ6);
    expect(s.memPages).toBe(want.trace.meta.memPages);
    expect(s.pageSize).toBe(want.trace.meta.pageSize);
    expect(s.epochs).toBe(want.trace.summary.epochs);
    expect(s.events).toBe(want.trace.summary.events);
    expect(s.durationS).toBe(want.trace.summary.durationUs / 1e6);
    expect(s.dirtyPerEpoch).toEqual(want.dirtyPerEpoch);
    expect(s.distinctPages).toBe(want.distinctPages);
    expect(s.workingSet.map((w: any) => w.windowS)).toEqual([0.1, 1, 10]);
    expect(s.workingSet.length).toBe(3);
    s.workingSet.forEach((w: any, i: number) => {
      const e = want.workingSet[i]!;
      expect(w.windows, `window ${e.windowS}`).toBe(e.windows);
      expect(w.maxPages, `window ${e.windowS}`).toBe(e.maxPages);
      expect(near(w.meanPages, e.meanPages, 1e-12), `window ${e.windowS}: mean ${w.meanPages} vs ${e.meanPages}`).toBe(true);
    });
    // Sanity of the shipped capture: 20 s of 50 ms epochs.
    expect(s.epochs).toBe(400);
    expect(s.workingSet.map((w: any) => w.windows)).toEqual([200, 20, 2]);
  });

  it('inspect gzip9 --json agrees with the same independent computation', () => {
    const s = JSON.parse(runs.get(`${GZIP9} wasm`)!.stdout);
    const want = expectedStats(GZIP9);
    expect(s.dirtyPerEpoch).toEqual(want.dirtyPerEpoch);
    expect(s.distinctPages).toBe(want.distinctPages);
    expect(s.workingSet.map((w: any) => [w.windowS, w.windows, w.maxPages])).toEqual(want.workingSet.map((w) => [w.windowS, w.windows, w.maxPages]));
  });

  it('inspect --kernel wasm and --kernel js are byte-identical (gzip9, xz6)', () => {
    for (const t of INSPECTED) {
      const [wasm, js] = [runs.get(`${t} wasm`)!, runs.get(`${t} js`)!];
      expectOk(wasm, `inspect ${t} wasm`);
      expectOk(js, `inspect ${t} js`);
      expect(JSON.parse(wasm.stdout).path).toBe(t);
      expect(wasm.stdout === js.stdout, `${t}: inspect differs between kernels`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('convert CSV ⇄ Arrow', () => {
  // t_us = epoch start; epochs 0, 1, 2 (round-trips byte for byte).
  const START_CSV = 'epoch,t_us,page\n0,0,1\n0,0,5\n1,100,3\n2,300,2\n2,300,7\n';
  // t_us = epoch end; epoch 1 wrote nothing and appears only in the epochs list.
  const END_CSV = 'epoch,t_us,page\n0,100,2\n0,100,4\n2,300,9\n3,400,1\n';
  const END_EPOCHS = 'epoch,t_us\n0,100\n1,200\n2,300\n3,400\n';
  // START_CSV with its pages shuffled and repeated within each epoch.
  const MESSY_CSV = 'epoch,t_us,page\n0,0,5\n0,0,1\n0,0,5\n1,100,3\n1,100,3\n2,300,7\n2,300,2\n2,300,7\n';
  const toArrow: Record<string, Run> = {};
  const toCsv: Record<string, Run> = {};

  beforeAll(async () => {
    fs.writeFileSync(inTmp('start.csv'), START_CSV);
    fs.writeFileSync(inTmp('end.csv'), END_CSV);
    fs.writeFileSync(inTmp('end.epochs.csv'), END_EPOCHS);
    fs.writeFileSync(inTmp('messy.csv'), MESSY_CSV);
    [toArrow.start, toArrow.end, toArrow.messy] = await Promise.all([
      cliAsync(['convert', inTmp('start.csv'), inTmp('start.arrow'), '--t-is', 'start', '--interval-us', '100']),
      cliAsync(['convert', inTmp('end.csv'), inTmp('end.arrow'), '--t-is', 'end', '--epochs', inTmp('end.epochs.csv'), '--interval-us', '100', '--mem-pages', '16']),
      cliAsync(['convert', inTmp('messy.csv'), inTmp('messy.arrow'), '--interval-us', '100']),
    ]);
    [toCsv.start, toCsv.end, toCsv.messy] = await Promise.all([
      cliAsync(['convert', inTmp('start.arrow'), inTmp('start.back.csv'), '--t-is', 'start']),
      cliAsync(['convert', inTmp('end.arrow'), inTmp('end.back.csv'), '--t-is', 'end']),
      cliAsync(['convert', inTmp('messy.arrow'), inTmp('messy.back.csv')]),
    ]);
  });

  it('--t-is start: CSV → Arrow → CSV gives the CSV back, and the Arrow trace holds the epochs', () => {
    expectConverted(toArrow.start!, 'convert start.csv → arrow');
    const trace = readTrace(inTmp('start.arrow'));
    expect(epochsOf(trace)).toEqual([[0, [1, 5]], [100, [3]], [300, [2, 7]]]);
    expect(trace.meta.memPages).toBe(8); // largest page + 1
    expect(trace.summary.durationUs).toBe(400); // last start + interval
    expectConverted(toCsv.start!, 'convert start.arrow → csv');
    expect(fs.readFileSync(inTmp('start.back.csv'), 'utf8').replace(/^#.*\n/gm, '')).toBe(START_CSV); // after its metadata lines (docs/trace-format.md, CSV)
  });

  it('--t-is end with --epochs and --interval-us: an epoch without rows survives, and the round trip is exact', () => {
    expectConverted(toArrow.end!, 'convert end.csv → arrow');
    const trace = readTrace(inTmp('end.arrow'));
    // Epoch e starts where epoch e−1 ended.
    expect(epochsOf(trace)).toEqual([[0, [2, 4]], [100, []], [200, [9]], [300, [1]]]);
    expect(trace.summary.durationUs).toBe(400); // the last end
    expect(trace.meta.memPages).toBe(16);
    expect(trace.meta.intervalUs).toBe(100);
    expectConverted(toCsv.end!, 'convert end.arrow → csv --t-is end');
    expect(fs.readFileSync(inTmp('end.back.csv'), 'utf8').replace(/^#.*\n/gm, '')).toBe(END_CSV.replace('2,300,9', '1,200,\n2,300,9')); // metadata lines; the empty epoch 1 is a row without a page
  });

  it('unsorted and duplicate pages within an epoch are sorted and deduplicated', () => {
    expectConverted(toArrow.messy!, 'convert messy.csv → arrow');
    const trace = readTrace(inTmp('messy.arrow'));
    expect(epochsOf(trace)).toEqual([[0, [1, 5]], [100, [3]], [300, [2, 7]]]);
    expect(trace.summary.events).toBe(5);
    expectConverted(toCsv.messy!, 'convert messy.arrow → csv');
    expect(fs.readFileSync(inTmp('messy.back.csv'), 'utf8').replace(/^#.*\n/gm, '')).toBe(START_CSV); // after its metadata lines
  });
});

// ---------------------------------------------------------------------------------------

describe('bad input and usage: exit 2, one line on stderr, nothing on stdout', () => {
  // Every case runs at once; each test then checks its own run.
  let runs: Map<string, Run>;
  const CASES: Record<string, string[]> = {};
  const add = (name: string, args: string[]) => { CASES[name] = args; };

  beforeAll(async () => {
    fs.writeFileSync(inTmp('random.arrow'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
    fs.writeFileSync(inTmp('empty.arrow'), '');
    fs.writeFileSync(inTmp('truncated.arrow'), fs.readFileSync(path.join(ROOT, GZIP9)).subarray(0, 3000));
    add('missing file', ['replay', inTmp('no-such-trace.arrow')]);
    add('random bytes', ['replay', inTmp('random.arrow')]);
    add('empty file', ['replay', inTmp('empty.arrow')]);
    add('truncated file', ['replay', inTmp('truncated.arrow')]);
    add('inspect a non-Arrow file', ['inspect', inTmp('random.arrow')]);
    add('unknown algorithm', ['replay', GZIP9, '--algo', 'nope']);
    add('bad unit', ['replay', GZIP9, '--bandwidth', '10Gbitt']);
    add('negative bandwidth', ['replay', GZIP9, '--bandwidth', '-5MB']);
    add('negative bandwidth (=)', ['replay', GZIP9, '--bandwidth=-5MB']);
    add('zero bandwidth', ['replay', GZIP9, '--bandwidth', '0']);
    add('start beyond the trace', ['replay', GZIP9, '--start', '100s']);
    add('unknown option', ['replay', GZIP9, '--frobnicate']);
    add('parameter of an algorithm not selected', ['replay', GZIP9, '--target-dirty', '3', '--algo', 'precopy']);
    add('bad --kernel value', ['replay', GZIP9, '--kernel', 'foo', '--algo', 'precopy']);
    add('--out with an unknown extension', ['replay', GZIP9, '--out', inTmp('results.txt')]);
    add('no command', []);
    const names = Object.keys(CASES);
    const list = await Promise.all(names.map((n) => cliAsync(CASES[n]!)));
    runs = new Map(names.map((n, i) => [n, list[i]!]));
  }, 120_000);

  const check = (name: string, message: RegExp) => expectBadInput(runs.get(name)!, message);

  it('a missing trace file', () => check('missing file', /no-such-trace\.arrow: no such file$/));
  it('a file of random bytes', () => check('random bytes', /random\.arrow: not an Arrow IPC file or stream \(/));
  it('an empty file', () => check('empty file', /empty\.arrow: empty file, not an Arrow IPC trace$/));
  it('a truncated Arrow IPC file', () => check('truncated file', /truncated\.arrow: Arrow IPC file is truncated \(no footer\)/));
  it('inspect of a non-Arrow file', () => check('inspect a non-Arrow file', /random\.arrow: not an Arrow IPC file or stream/));
  it('an unknown algorithm (--algo nope)', () => check('unknown algorithm', new RegExp(`^migreplay: --algo: unknown algorithm 'nope' \\(known: ${IDS.join(', ')}, all\\)$`)));
  it('a bad unit (--bandwidth 10Gbitt)', () => check('bad unit', /^migreplay: --bandwidth: cannot read '10Gbitt'/));
  it('a negative bandwidth (--bandwidth -5MB)', () => check('negative bandwidth', /^migreplay: /));
  it('a negative bandwidth (--bandwidth=-5MB) names the option and the value', () => check('negative bandwidth (=)', /--bandwidth.*-5MB/));
  it('a zero bandwidth (--bandwidth 0)', () => check('zero bandwidth', /--bandwidth must be above 0/));
  it('--start beyond the end of the trace', () => check('start beyond the trace', /--start 100s lies outside the trace \(0 … 20\.000129s\)$/));
  it('an unknown option (--frobnicate)', () => check('unknown option', /frobnicate/));
  it('a parameter of an algorithm not selected (--target-dirty 3 --algo precopy)', () => check('parameter of an algorithm not selected', /^migreplay: --target-dirty applies to xen-v2, none of which --algo selects$/));
  it('a bad choice (--kernel foo) says which option and value', () => check('bad --kernel value', /kernel.*foo|foo.*kernel/));
  it('--out results.txt (an extension that is not .json, .csv or .arrow)', () => check('--out with an unknown extension', /--out: .*results\.txt' must end in \.json, \.csv or \.arrow$/));
  it('no command at all', () => check('no command', /^migreplay: .*command/));
  it('--out results.txt writes nothing', () => {
    expect(fs.existsSync(inTmp('results.txt'))).toBe(false);
  });
});

describe('--out failures leave the file system as it was', () => {
  it('--out into a folder that does not exist: non-zero exit, one line, no temporary file anywhere', async () => {
    const r = await cli(['replay', GZIP9, '--out', inTmp('no-such-folder/x.json')]);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    const line = expectBadInput(r, /no-such-folder\/x\.json: cannot write/, r.status!);
    expect(line).toContain('x.json');
    expect(fs.existsSync(inTmp('no-such-folder'))).toBe(false);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('an existing output file is left intact when a later run fails before writing', async () => {
    const file = inTmp('keep.json');
    const ok = await cli(['replay', GZIP9, '--algo', 'qemu', '--json', '--out', file]);
    expectOk(ok, 'first run');
    const before = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(before).results.map((x: any) => x.algorithm)).toEqual(['qemu']);
    // A bad trace, then a bad link: both fail before writing anything.
    const [badTrace, badLink] = await Promise.all([
      cliAsync(['replay', inTmp('missing.arrow'), '--algo', 'qemu', '--json', '--out', file]),
      cliAsync(['replay', GZIP9, '--algo', 'qemu', '--json', '--bandwidth', '0', '--out', file]),
    ]);
    expectBadInput(badTrace, /missing\.arrow: no such file$/);
    expectBadInput(badLink, /--bandwidth must be above 0/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(leftovers(tmp)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------

describe('the real process (node bin/migreplay.js)', () => {
  /** The lines of stderr that are neither warnings nor the `status N` the scripts below add. */
  const unexpected = (stderr: string) => lines(stderr).filter((l) => !/^migreplay: warning: /.test(l) && !/^status \d+$/.test(l));
  const statuses = (stderr: string) => lines(stderr).filter((l) => /^status \d+$/.test(l)).map((l) => Number(l.slice(7)));

  it('the bin script exits 0 on success, 2 on a usage error, 1 on an internal error (one line; --debug adds the stack)', async () => {
    // An internal error injected from outside: JSON.stringify fails on the results document.
    const inject = ['--import', `data:text/javascript,${encodeURIComponent('const s = JSON.stringify; JSON.stringify = (v, ...a) => { if (v && v.migreplay) throw new TypeError("injected failure"); return s(v, ...a); };')}`];
    const [ok, usage, internal] = await Promise.all([
      spawnCli(['--version']),
      spawnCli(['replay', GZIP9, '--kernel', 'gpu']),
      spawnCli(['replay', GZIP9, '--algo', 'qemu', '--json'], { nodeOptions: inject }),
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expectBadInput(usage, /^migreplay: --kernel: 'gpu' is not one of wasm, js \(see migreplay --help\)$/);
    expect(internal.status).toBe(1);
    expect(internal.stdout).toBe('');
    const last = lines(internal.stderr).filter((l) => !/^migreplay: warning: /.test(l));
    expect(last).toEqual(['migreplay: internal error: injected failure (run again with --debug for the stack)']);
  });

  it('stdout into a pipe whose reader has gone (| head, | true) ends quietly: exit 0, no stack, no message', async () => {
    // `true` has exited before migreplay writes: every write meets a closed pipe (EPIPE).
    const pipelines = [
      '{ $MIGREPLAY replay traces/xz6.arrow --algo all; echo "status $?" >&2; } | true',
      '{ $MIGREPLAY replay traces/xz6.arrow --algo all --json; echo "status $?" >&2; } | true',
      '{ $MIGREPLAY inspect traces/xz6.arrow; echo "status $?" >&2; } | true',
      '{ $MIGREPLAY replay --help; echo "status $?" >&2; } | true',
      // As users write it: the reader stops after what it wants.
      '{ $MIGREPLAY replay traces/xz6.arrow --algo all; echo "status $?" >&2; } | head -1',
      '{ $MIGREPLAY replay traces/xz6.arrow --algo all --json; echo "status $?" >&2; } | head -c 10',
      '{ $MIGREPLAY inspect traces/xz6.arrow; echo "status $?" >&2; } | head -1',
    ];
    const runs = await Promise.all(pipelines.map((p) => shell(p)));
    const r = { status: Math.max(...runs.map((x) => x.status ?? -1)), stdout: runs.map((x) => x.stdout).join(''), stderr: runs.map((x) => x.stderr).join('') };
    expect(r.status, r.stderr).toBe(0);
    expect(unexpected(r.stderr), r.stderr).toEqual([]);
    expect(statuses(r.stderr)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // What the readers printed: the table's first line, 10 bytes of the document, inspect's first line.
    expect(r.stdout).toMatch(/^traces\/xz6\.arrow: 24368 pages × 4096 B, 400 epochs, 20 s; link 1 Gbit\/s\n\{\n {2}"migretrace +traces\/xz6\.arrow\n$/);
  });

  it.runIf(fs.existsSync('/dev/full'))('stdout on a full device (> /dev/full): one line, exit 1', async () => {
    const runs = await Promise.all([
      '$MIGREPLAY inspect traces/gzip9.arrow > /dev/full; echo "status $?" >&2',
      '$MIGREPLAY replay traces/xz6.arrow --algo all --json > /dev/full; echo "status $?" >&2',
      '$MIGREPLAY --help > /dev/full; echo "status $?" >&2',
    ].map((p) => shell(p)));
    for (const r of runs) {
      expect(statuses(r.stderr), r.stderr).toEqual([1]);
      expect(unexpected(r.stderr), r.stderr).toEqual(['migreplay: cannot write to standard output (no space left on the device)']);
    }
  });

  it('LANG=fr_FR.UTF-8: the messages stay in English (yargs would translate them, and usage.ts reads them)', async () => {
    // A real process for each variable: yargs reads the locale from the environment it starts in.
    for (const env of [{ LANG: 'fr_FR.UTF-8', LC_ALL: undefined }, { LC_ALL: 'fr_FR.UTF-8', LANG: undefined }]) {
      const r = await spawnCli(['replay', XZ6, '--kernel', 'bogus'], { env });
      expectBadInput(r, /^migreplay: --kernel: 'bogus' is not one of wasm, js \(see migreplay --help\)$/);
    }
    // In-process too, with LC_ALL and LANGUAGE, for the other messages usage.ts rewrites.
    for (const env of [{ LC_ALL: 'fr_FR.UTF-8' }, { LANG: 'de_DE.UTF-8', LANGUAGE: 'de' }]) {
      expectBadInput(await runCli(['replay', XZ6, '--kernel', 'bogus'], { env }), /^migreplay: --kernel: 'bogus' is not one of wasm, js \(see migreplay --help\)$/);
      expectBadInput(await runCli(['replya', XZ6], { env }), /^migreplay: unknown command 'replya'; did you mean replay\? \(see migreplay --help\)$/);
      expectBadInput(await runCli(['inspect'], { env }), /^migreplay: Not enough non-option arguments: got 0, need at least 1 \(see migreplay --help\)$/);
      const help = await runCli(['replay', '--help'], { env });
      expect(help.stdout).toMatch(/\nOptions:\n/);
    }
  }, 60_000);
});

describe('an unknown option', () => {
  it('says which declared option was meant, once, in one line (never its camelCase twin)', async () => {
    const cases: [string[], string][] = [
      [['replay', GZIP9, '--max-iter', '3'], 'Unknown argument: max-iter; did you mean --max-iters? (see migreplay --help)'],
      [['replay', GZIP9, '--bandwdth', '1Gbit'], 'Unknown argument: bandwdth; did you mean --bandwidth? (see migreplay --help)'],
      [['replay', GZIP9, '--within-epcoh=start'], 'Unknown argument: within-epcoh; did you mean --within-epoch? (see migreplay --help)'],
      [['inspect', GZIP9, '--jsn'], 'Unknown argument: jsn; did you mean --json? (see migreplay --help)'],
      [['sweep', '--trace', GZIP9, '--algo', 'xen', '--out', inTmp('never.arrow'), '--job', '2'], 'Unknown argument: job; did you mean --jobs? (see migreplay --help)'],
      [['replay', GZIP9, '--max-iter', '3', '--frobnicate'], 'Unknown arguments: max-iter (did you mean --max-iters?), frobnicate (see migreplay --help)'],
      // Nothing close: no guess.
      [['replay', GZIP9, '--frobnicate'], 'Unknown argument: frobnicate (see migreplay --help)'],
      // A stray word is not an option.
      [['replay', GZIP9, 'jsn'], 'Unknown argument: jsn (see migreplay --help)'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(expectBadInput(r, /^migreplay: Unknown argument/), args.join(' ')).toBe(`migreplay: ${message}`);
      expect(r.stderr).not.toMatch(/maxIter|withinEpcoh/);
    }
  });
});

describe('in-process runs (runCli)', () => {
  it('leave nothing behind: stdout, stderr, console, cwd, environment, exit code, signal listeners', async () => {
    const before = {
      write: [process.stdout.write, process.stderr.write],
      console: [console.log, console.error],
      cwd: process.cwd(),
      env: { ...process.env },
      exitCode: process.exitCode,
      signals: [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')],
    };
    const dir = inTmp('cwd');
    fs.mkdirSync(dir);
    const runs = await Promise.all([
      runCli(['--help'], { cwd: dir, env: { MIGREPLAY_TEST_VAR: 'x' } }),
      runCli(['gen', 'uniform', '--mem', '1MiB', '--duration', '1s', '--out', 'g.arrow', '--quiet'], { cwd: dir }),
      runCli(['replay', 'nope.arrow'], { cwd: dir }),
    ]);
    expect(runs.map((r) => r.status)).toEqual([0, 0, 2]);
    expect(runs[0]!.stdout).toMatch(/^migreplay <command>/);
    expect(fs.existsSync(path.join(dir, 'g.arrow'))).toBe(true);
    expect(runs[2]!.stderr).toBe('migreplay: nope.arrow: no such file\n');
    expect([process.stdout.write, process.stderr.write]).toEqual(before.write);
    expect([console.log, console.error]).toEqual(before.console);
    expect(process.cwd()).toBe(before.cwd);
    expect(process.env).toEqual(before.env);
    expect(process.exitCode).toBe(before.exitCode);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before.signals);
  });
});
