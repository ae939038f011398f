// `migreplay sweep` and `migreplay merge` (src/sweep/, src/cli/sweep.ts, src/cli/merge.ts):
// grid expansion and ranges in process; then the built CLI end to end — the same rows
// whatever --jobs, shards merged equal the whole, a sweep killed with SIGKILL and
// resumed equals one run, and one-line usage errors with exit status 2.
//
// The CLI tests run the built CLI (dist/, built by `npm test`) in-process
// (test/helpers/cli.ts), and `node bin/migreplay.js` for the sweep killed with SIGKILL;
// MIGREPLAY_CLI names another entry script (one that registers the commands) to run
// instead, each run a process of its own.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findAlgorithm } from '../src/algorithms/index.js';
import { MigreplayError } from '../src/errors.js';
import type { Row } from '../src/sweep/columns.js';
import { readTable } from '../src/io/tables/index.js';
import { expandGrid, globFiles, parseShard, runIdOf, shardOf } from '../src/sweep/grid.js';
import { parseSets } from '../src/sweep/params.js';
import { TraceWriter } from '../src/trace/write.js';
import { cli as runCli, spawnCli, startCli } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.MIGREPLAY_CLI;
const GZIP9 = path.join(ROOT, 'traces/gzip9.arrow');
let dir: string;
let small: string;

/** A small synthetic trace: 2000 pages, 200 epochs of 10 ms, a hot set and random writes; comm and immp columns, several batches. */
function writeSmallTrace(file: string): void {
  const chunks: Uint8Array[] = [];
  const header = { memPages: 2000, pageSize: 4096, intervalUs: 10_000, durationUs: 2_000_000, source: 'synthetic', workload: 'sweep-test', hasComm: true, hasImmp: true };
  const w = new TraceWriter((c) => chunks.push(c.slice()), header, { form: 'file', batchPages: 4096 });
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let e = 0; e < 200; e++) {
    const set = new Set<number>();
    for (let i = 0; i < 40; i++) set.add(Math.floor(rand() * 100)); // hot
    for (let i = 0; i < 30; i++) set.add(100 + Math.floor(rand() * 1900));
    const pages = [...set].sort((a, b) => a - b);
    w.epoch(e * 10_000, pages, pages.filter((p) => p % 7 === 0), pages.filter((p) => p < 100 && p % 2 === 0));
  }
  w.close();
  fs.writeFileSync(file, Buffer.concat(chunks));
}

/** Run the CLI in the test's folder and wait for it. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return CLI ? spawnCli(args, { cwd: dir, script: CLI }) : runCli(args, { cwd: dir });
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.status !== 0) throw new Error(`migreplay ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Rows as a sorted list of JSON lines: equality as sets of rows. */
async function rowSet(file: string): Promise<string[]> {
  const data = await readTable(path.join(dir, file));
  return data.rows.map((r) => JSON.stringify(r, data.columns.map((c) => c.name))).sort();
}

async function rows(file: string): Promise<Row[]> {
  return (await readTable(path.join(dir, file))).rows;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-sweep-'));
  small = path.join(dir, 'small.arrow');
  writeSmallTrace(small);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('grid', () => {
  const precopy = findAlgorithm('precopy')!;
  const qemu = findAlgorithm('qemu')!;

  test('ranges: geometric with units, arithmetic, lists; values deduplicated', () => {
    const [bw] = parseSets(['bandwidth=100Mbit..1Gbit*2'], [precopy]);
    expect(bw!.values).toEqual([12.5e6, 25e6, 50e6, 100e6]);
    const [it] = parseSets(['max-iters=1..10+3,10,2'], [precopy]);
    expect(it!.values).toEqual([1, 4, 7, 10, 2]);
    const [start] = parseSets(['start=0s..1s+250ms'], [precopy]);
    expect(start!.values).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const [frac] = parseSets(['bandwidth=0.1..0.5+0.1'], [precopy]);
    expect(frac!.values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  test('run ids do not depend on the working folder: shards run from other folders agree', () => {
    const axes = parseSets(['bandwidth=1Gbit,10Gbit'], [precopy]);
    const ids = () => expandGrid([GZIP9], [precopy], axes).map((r) => r.runId);
    const here = process.cwd();
    const before = ids();
    try {
      process.chdir(path.dirname(GZIP9));
      expect(ids()).toEqual(before);
      process.chdir(os.tmpdir());
      expect(ids()).toEqual(before);
    } finally {
      process.chdir(here);
    }
  });

  test('an algorithm without a parameter does not vary over it; the link applies to all', () => {
    const axes = parseSets(['max-iters=5,10,15', 'bandwidth=1Gbit,10Gbit'], [precopy, qemu]);
    const runs = expandGrid(['a.arrow', 'b.arrow'], [precopy, qemu], axes);
    const count = (a: string) => runs.filter((r) => r.algorithm === a).length;
    expect(count('precopy')).toBe(2 * 3 * 2);
    expect(count('qemu')).toBe(2 * 2);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    expect(runs.filter((r) => r.algorithm === 'qemu').every((r) => r.params.maxIters === undefined)).toBe(true);
  });

  test('run ids depend on the values, not on the order of --set or of the lists', () => {
    const a = expandGrid(['t.arrow'], [precopy], parseSets(['max-iters=5,10', 'bandwidth=1Gbit,10Gbit'], [precopy])).map((r) => r.runId).sort();
    const b = expandGrid(['t.arrow'], [precopy], parseSets(['bandwidth=10Gbit,125MB/s', 'max-iters=10,5'], [precopy])).map((r) => r.runId).sort();
    expect(a).toEqual(b);
    expect(runIdOf('t.arrow', 'precopy', { maxIters: 5 }, { startS: 0 })).toMatch(/^[0-9a-f]{16}$/);
  });

  test('shards partition the grid', () => {
    const runs = expandGrid(['t.arrow'], [precopy, qemu], parseSets(['bandwidth=10Mbit..10Gbit+10Mbit'], [precopy, qemu]));
    const sizes = [0, 1, 2].map((i) => runs.filter((r) => shardOf(r.runId, 3) === i).length);
    expect(sizes.reduce((x, y) => x + y)).toBe(runs.length);
    for (const s of sizes) expect(s).toBeGreaterThan(runs.length / 4);
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(() => parseShard('3/3')).toThrow(MigreplayError);
  });

  test('bad --set: syntax, unknown names, parameters of unselected algorithms, bad ranges', () => {
    for (const bad of ['bandwidth', 'nosuch=1', 'max-factor=2', 'bandwidth=1Gbit..100Mbit*2', 'bandwidth=1..10*1', 'max-iters=1..5', 'bandwidth=', 'max-iters=2.5']) {
      expect(() => parseSets([bad], [precopy]), bad).toThrow(MigreplayError);
    }
    expect(() => parseSets(['bandwidth=1Gbit', 'bandwidth=2Gbit'], [precopy])).toThrow(/given twice/);
  });

  test('link values are read as replay reads them (src/params/link.ts): --resume-ms takes plain milliseconds', () => {
    expect(parseSets(['resume-ms=0,2.5,1e3'], [precopy])[0]!.values).toEqual([0, 2.5, 1000]);
    expect(() => parseSets(['resume-ms=0.05s'], [precopy])).toThrow("--set resume-ms: '0.05s' is not a number of milliseconds ≥ 0");
    expect(parseSets(['withinEpoch=whole,start'], [precopy])[0]!).toMatchObject({ name: 'within-epoch', key: 'withinEpoch', values: ['whole', 'start'] });
    expect(() => parseSets(['start=5'], [precopy])).toThrow("--set start: '5' needs a unit (ms, s or m), e.g. 5ms or 5s");
  });

  test('globs: *, ? and [..] over a folder listing', () => {
    const files = globFiles(path.join(ROOT, 'traces/*.arrow'));
    expect(files).toContain(GZIP9);
    expect(globFiles(path.join(ROOT, 'traces/gzip?.arrow'))).toEqual([GZIP9]);
    expect(globFiles(path.join(ROOT, 'traces/[gx]*.arrow')).length).toBeGreaterThanOrEqual(2);
    expect(globFiles(path.join(ROOT, 'traces/nothing-*.arrow'))).toEqual([]);
  });
});

describe('sweep command', () => {
  const GRID = ['--algo', 'precopy,xen,qemu', '--set', 'bandwidth=100Mbit..1Gbit*2', '--set', 'max-iters=5,29'];

  test('2 traces × 3 algorithms × 4 bandwidths: --jobs 2 and --jobs 1 give the same rows', async () => {
    const traces = ['--trace', GZIP9, small];
    // Also the two ways of sharing traces with the workers: decoded batches and file bytes.
    await ok(['sweep', ...traces, ...GRID, '--jobs', '2', '--share', 'decoded', '--out', 'j2.arrow', '--rounds-out', 'j2.rounds.csv']);
    await ok(['sweep', ...traces, ...GRID, '--jobs', '1', '--share', 'bytes', '--out', 'j1.jsonl']);
    const j2 = await rows('j2.arrow');
    // precopy and xen vary over max-iters (2 values), qemu does not: 2 traces × 4 bandwidths × (2 + 2 + 1).
    expect(j2.length).toBe(2 * 4 * 5);
    expect(new Set(j2.map((r) => r.runId)).size).toBe(j2.length);
    expect(await rowSet('j1.jsonl')).toEqual(await rowSet('j2.arrow'));
    // Every metric of replay --json is there; parameters a run does not have are null.
    const q = j2.find((r) => r.algorithm === 'qemu')!;
    expect(q.maxIters).toBeNull();
    expect(typeof q.downtimeLimit).toBe('number');
    for (const k of ['pagesSent', 'bytesSent', 'totalTimeS', 'iterations', 'overheadRatio', 'dirtySyncCount']) expect(typeof q[k], k).toBe('number');
    expect(typeof q.converged).toBe('boolean');
    // The per-round table: every run's rounds, keyed by runId.
    const rounds = await rows('j2.rounds.csv');
    const perRun = new Map<string, number>();
    for (const r of rounds) perRun.set(String(r.runId), (perRun.get(String(r.runId)) ?? 0) + 1);
    for (const r of j2) expect(perRun.get(String(r.runId)), String(r.runId)).toBe(r.rounds);
    // Same values as replay --json.
    const one = j2.find((r) => r.algorithm === 'xen' && r.trace === small && r.bandwidthBytesPerS === 100e6 && r.maxIters === 29)!;
    const doc = JSON.parse(await ok(['replay', small, '--algo', 'xen', '--bandwidth', '800Mbit', '--json']));
    expect(one.pagesSent).toBe(doc.results[0].pagesSent);
    expect(one.totalTimeS).toBe(doc.results[0].totalTimeS);
  }, 60_000);

  test('two shards merged equal the whole', async () => {
    const traces = ['--trace', GZIP9, small];
    await ok(['sweep', ...traces, ...GRID, '--jobs', '2', '--out', 'whole.arrow']);
    await ok(['sweep', ...traces, ...GRID, '--jobs', '2', '--shard', '0/2', '--out', 'shard0.csv']);
    await ok(['sweep', ...traces, ...GRID, '--jobs', '2', '--shard', '1/2', '--out', 'shard1.arrow']);
    const s0 = await rowSet('shard0.csv');
    const s1 = await rowSet('shard1.arrow');
    expect(s0.length).toBeGreaterThan(0);
    expect(s1.length).toBeGreaterThan(0);
    expect(s0.length + s1.length).toBe(40);
    const out = await ok(['merge', 'shard0.csv', 'shard1.arrow', '--out', 'merged.parquet']);
    expect(out).toMatch(/40 rows/);
    expect(await rowSet('merged.parquet')).toEqual(await rowSet('whole.arrow'));
    // merge sorts by runId: merging the whole gives the same bytes as merging the shards.
    await ok(['merge', 'whole.arrow', '--out', 'merged-whole.parquet']);
    expect(fs.readFileSync(path.join(dir, 'merged.parquet')).equals(fs.readFileSync(path.join(dir, 'merged-whole.parquet')))).toBe(true);
  }, 60_000);

  test('a sweep killed with SIGKILL mid-way, then resumed, gives the same rows as one run', async () => {
    const grid = ['--trace', small, '--algo', 'precopy,xen,postcopy', '--set', 'bandwidth=50Mbit..2Gbit+10Mbit', '--batch', '10'];
    const total = 3 * 196;
    const out = path.join(dir, 'killed.arrow');
    // A real process: it is killed.
    const { child, done: exited } = startCli(['sweep', ...grid, '--jobs', '1', '--out', 'killed.arrow', '--rounds-out', 'killed.rounds.jsonl'], { cwd: dir, script: CLI, stdio: 'ignore' });
    // Wait for at least one whole batch, then kill -9.
    let seen = 0;
    for (let i = 0; i < 600 && seen < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (fs.existsSync(out)) seen = (await readTable(out)).rows.length;
    }
    child.kill('SIGKILL');
    await exited;
    const before = (await readTable(out)).rows.length;
    expect(before).toBeGreaterThanOrEqual(10);
    expect(before).toBeLessThan(total);
    // A torn batch, as a kill in the middle of a write leaves it.
    const bytes = fs.readFileSync(out);
    fs.appendFileSync(out, bytes.subarray(bytes.byteLength - 200));
    fs.appendFileSync(path.join(dir, 'killed.rounds.jsonl'), '{"runId":"torn","ind');
    // Without --resume the output is not touched.
    const refused = await cli(['sweep', ...grid, '--out', 'killed.arrow']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--resume/);
    const resumed = await cli(['sweep', ...grid, '--jobs', '2', '--out', 'killed.arrow', '--rounds-out', 'killed.rounds.jsonl', '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${total - before} runs.*${before} already there`));
    await ok(['sweep', ...grid, '--jobs', '2', '--out', 'once.arrow']);
    const all = await rowSet('once.arrow');
    expect(all.length).toBe(total);
    expect(await rowSet('killed.arrow')).toEqual(all);
    // The rounds file holds exactly the rounds of the runs in the output.
    const runRows = await rows('killed.arrow');
    const rounds = await rows('killed.rounds.jsonl');
    expect(rounds.length).toBe(runRows.reduce((n, r) => n + Number(r.rounds), 0));
    expect(new Set(rounds.map((r) => r.runId))).toEqual(new Set(runRows.map((r) => r.runId)));
    // Resuming a finished sweep runs nothing.
    expect(await ok(['sweep', ...grid, '--out', 'killed.arrow', '--resume'])).toMatch(/^sweep: 0 runs/);
  }, 120_000);

  test('usage errors: one line on stderr, exit status 2', async () => {
    const base = ['sweep', '--trace', small, '--algo', 'precopy', '--out', 'err.arrow'];
    for (const extra of [
      ['--set', 'bandwidth'],
      ['--set', 'nosuch=1,2'],
      ['--set', 'max-factor=2'],
      ['--set', 'start=5s'],
      ['--out', 'err.txt'],
    ]) {
      const r = await cli([...base, ...extra]);
      expect(r.status, extra.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), `${extra.join(' ')}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).toMatch(/^migreplay: /);
    }
    expect((await cli(['sweep', '--trace', path.join(dir, 'none-*.arrow'), '--out', 'x.arrow'])).status).toBe(2);
    expect(fs.existsSync(path.join(dir, 'err.arrow'))).toBe(false);
  }, 60_000);

  test('--dry-run counts the grid and writes nothing', async () => {
    const out = await ok(['sweep', '--trace', small, GZIP9, ...GRID, '--dry-run', '--out', 'dry.parquet']);
    expect(out).toMatch(/^40 runs over 2 traces/);
    expect(fs.existsSync(path.join(dir, 'dry.parquet'))).toBe(false);
  }, 60_000);
});
