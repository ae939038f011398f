// Determinism (issue 9): the same trace, algorithms and parameters give byte-identical
// results — run after run, on a fresh kernel or one reused after other replays, on the
// wasm and the TypeScript kernel, under each --within-epoch rule, whatever the order the
// algorithms are given in, and (for sweeps) whatever the number of --jobs.
//
// In-process on the sources for the grid of traces × rules × kernels; through the built
// CLI (run in-process, test/helpers/cli.ts) for what only the CLI does (--out files, sweep
// workers). test/cli.test.ts already compares wasm and js documents of every shipped
// trace under the default rule.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import type { WithinEpoch } from '../src/engine/clock.js';
import { replayAll } from '../src/index.js';
import { createKernel } from '../src/kernel/node.js';
import type { Kernel } from '../src/kernel/types.js';
import { resultsDocument } from '../src/output/results.js';
import { generateTrace } from '../src/trace/generate.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { cli, ROOT } from './helpers/cli.js';

const GZIP9 = 'traces/gzip9.arrow';
const RULES: WithinEpoch[] = ['start', 'spread', 'whole'];
const IDS = algorithms.map((a) => a.id);

function generated(workload: string, given: Record<string, string | number>): Trace {
  const chunks: Uint8Array[] = [];
  generateTrace(workload, { seed: 7, ...given }, (c) => chunks.push(c.slice()));
  return openTrace(bytesSource(`${workload}.arrow`, Buffer.concat(chunks)));
}

// A real capture, and generated traces that fill comm_pages (mail) and immp_pages
// (video-stream), so that advance-xenvmc and vcpu-limit take their column paths.
const TRACES: [string, () => Trace][] = [
  [GZIP9, () => openTrace(bytesSource(GZIP9, new Uint8Array(fs.readFileSync(path.join(ROOT, GZIP9)))))],
  ['mail', () => generated('mail', { mem: '256MiB', duration: '2s', users: 3 })],
  ['video-stream', () => generated('video-stream', { mem: '128MiB', duration: '2s' })],
  ['hotpages', () => generated('hotpages', { mem: '64MiB', duration: '2s' })],
];

/** The results document `migreplay replay --json` would print, as text. */
function documentText(trace: Trace, kernel: Kernel, rule: WithinEpoch, ids: readonly string[] = IDS): string {
  const link = { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0, withinEpoch: rule };
  const { results } = replayAll(trace, ids, kernel, { link });
  return JSON.stringify(resultsDocument(trace, { bandwidthBytesPerS: link.bandwidthBytesPerS, startS: 0, resumeMs: 0 }, results), null, 2);
}

describe('in-process: every algorithm, each --within-epoch rule, both kernels', () => {
  for (const [name, load] of TRACES) {
    describe(name, () => {
      let trace: Trace;
      beforeAll(() => {
        trace = load();
      });

      for (const rule of RULES) {
        it(`--within-epoch ${rule}: identical on a fresh wasm kernel, a reused one, another run, and the js kernel`, () => {
          const wasm = createKernel('wasm');
          const first = documentText(trace, wasm, rule);
          expect(JSON.parse(first).results.map((r: { algorithm: string }) => r.algorithm)).toEqual(IDS);
          // The same kernel again, after a whole replay of every algorithm: no state leaks.
          expect(documentText(trace, wasm, rule) === first, 'reused wasm kernel').toBe(true);
          expect(documentText(trace, createKernel('wasm'), rule) === first, 'fresh wasm kernel').toBe(true);
          const js = createKernel('js');
          expect(documentText(trace, js, rule) === first, 'js kernel').toBe(true);
          expect(documentText(trace, js, rule) === first, 'reused js kernel').toBe(true);
        }, 120_000);
      }

      it('the order of --algo does not change any result', () => {
        const kernel = createKernel('wasm');
        const forward = JSON.parse(documentText(trace, kernel, 'spread'));
        const backward = JSON.parse(documentText(trace, kernel, 'spread', [...IDS].reverse()));
        const byId = (doc: { results: { algorithm: string }[] }) => new Map(doc.results.map((r) => [r.algorithm, JSON.stringify(r)]));
        const [f, b] = [byId(forward), byId(backward)];
        for (const id of IDS) expect(b.get(id) === f.get(id), id).toBe(true);
      }, 120_000);
    });
  }

  it('the rules differ on a coarse trace (the comparison above is not vacuous)', () => {
    const trace = TRACES[0]![1]();
    const texts = RULES.map((rule) => documentText(trace, createKernel('wasm'), rule, ['precopy', 'xen']));
    expect(new Set(texts).size).toBeGreaterThan(1);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------

describe('through the CLI', () => {
  let tmp = '';
  const inTmp = (name: string) => path.join(tmp, name);

  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-determinism-'));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('two runs print the same document and write byte-identical --out files (.json, .csv, .arrow)', async () => {
    const runs = await Promise.all([1, 2].flatMap((n) => ['json', 'csv', 'arrow'].map((ext) =>
      cli(['replay', GZIP9, '--algo', 'all', '--json', '--out', inTmp(`run${n}.${ext}`)]))));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    for (const r of runs.slice(1)) expect(r.stdout === runs[0]!.stdout).toBe(true);
    for (const ext of ['json', 'csv', 'arrow']) {
      const [a, b] = [fs.readFileSync(inTmp(`run1.${ext}`)), fs.readFileSync(inTmp(`run2.${ext}`))];
      expect(a.byteLength, ext).toBeGreaterThan(100);
      expect(a.equals(b), `${ext} files differ between two runs`).toBe(true);
    }
  }, 180_000);

  it('--within-epoch start and whole: --kernel wasm and js print byte-identical documents', async () => {
    const runs = await Promise.all((['start', 'whole'] as const).flatMap((rule) => (['wasm', 'js'] as const).map((k) =>
      cli(['replay', 'traces/xz6.arrow', '--algo', 'all', '--json', '--within-epoch', rule, '--kernel', k]))));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    expect(runs[0]!.stdout === runs[1]!.stdout, 'start: wasm vs js').toBe(true);
    expect(runs[2]!.stdout === runs[3]!.stdout, 'whole: wasm vs js').toBe(true);
    expect(runs[0]!.stdout === runs[2]!.stdout, 'start and whole should differ on this coarse capture').toBe(false);
  }, 180_000);

  it('sweep: --jobs 1, 2 and 3 give the same rows (and rounds), and merged files that are byte-identical', async () => {
    const grid = ['--trace', GZIP9, 'traces/xz6.arrow', '--algo', 'precopy,xen,qemu,ma2010,postcopy', '--set', 'bandwidth=100Mbit,1Gbit,10Gbit', '--set', 'within-epoch=start,spread'];
    const jobs = [1, 2, 3];
    const sweeps = await Promise.all(jobs.map((j) => cli(['sweep', ...grid, '--jobs', String(j), '--out', inTmp(`s${j}.csv`), '--rounds-out', inTmp(`r${j}.csv`)])));
    for (const r of sweeps) expect(r.status, r.stderr).toBe(0);
    const rows = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const [runs1, rounds1] = [rows(inTmp('s1.csv')), rows(inTmp('r1.csv'))];
    expect(runs1.length).toBeGreaterThan(40);
    for (const j of jobs.slice(1)) {
      // Rows come in the order runs finish; as sets (and with the same header) they are equal.
      const [runsJ, roundsJ] = [rows(inTmp(`s${j}.csv`)), rows(inTmp(`r${j}.csv`))];
      expect(runsJ[0]).toBe(runs1[0]);
      expect([...runsJ].sort()).toEqual([...runs1].sort());
      expect([...roundsJ].sort()).toEqual([...rounds1].sort());
    }
    // merge sorts by runId: the merged outputs are byte-identical.
    const merged = await Promise.all(jobs.map((j) => cli(['merge', inTmp(`s${j}.csv`), '--out', inTmp(`m${j}.arrow`)])));
    for (const r of merged) expect(r.status, r.stderr).toBe(0);
    const m1 = fs.readFileSync(inTmp('m1.arrow'));
    for (const j of jobs.slice(1)) expect(fs.readFileSync(inTmp(`m${j}.arrow`)).equals(m1), `merge of --jobs ${j}`).toBe(true);
  }, 240_000);

  it('a sweep run equals the replay of the same parameters (the workers compute what replay computes)', async () => {
    const [sweep, rep] = await Promise.all([
      cli(['sweep', '--trace', GZIP9, '--algo', 'xen', '--set', 'bandwidth=100Mbit', '--jobs', '2', '--out', inTmp('one.jsonl')]),
      cli(['replay', GZIP9, '--algo', 'xen', '--bandwidth', '100Mbit', '--json']),
    ]);
    expect(sweep.status, sweep.stderr).toBe(0);
    expect(rep.status, rep.stderr).toBe(0);
    const row = JSON.parse(fs.readFileSync(inTmp('one.jsonl'), 'utf8').trim());
    const result = JSON.parse(rep.stdout).results[0];
    for (const k of ['pagesSent', 'bytesSent', 'totalTimeS', 'downtimeMs', 'iterations', 'overheadRatio', 'stopReason', 'wrapped']) {
      expect(row[k], k).toEqual(result[k]);
    }
  }, 120_000);
});
