// Robustness (issue 9), end to end through the built CLI (dist/, what `node
// bin/migreplay.js` runs; `npm test` builds first), in-process (test/helpers/cli.ts)
// but for signals, which need a process of their own:
//
// - the bad-trace corpus of test/fixtures/bad/ (scripts/make-bad-fixtures.mjs): every file
//   through `inspect` and `replay` gives exactly its message, exit 2, one line, no stack —
//   or, for the few valid ones, succeeds;
// - bad arguments of every command: a clear one-line message and exit 2, never a run
//   with a silently defaulted value;
// - outputs: written to a temporary name and renamed — a failed, full (ENOSPC),
//   forbidden (EACCES) or interrupted (SIGTERM, SIGINT, SIGKILL) run leaves the old file
//   or the new one, never a torn one;
// - internal errors: one line and a --debug hint; --debug adds the stack.
//
// test/cli.test.ts covers the CLI's shape and its first error exits; the messages here
// are the ones docs/errors.md lists.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli as runCli, ROOT, startCli, type Run } from './helpers/cli.js';

const BAD = 'test/fixtures/bad';
const GZIP9 = 'traces/gzip9.arrow';
const XZ6 = 'traces/xz6.arrow';

/** Run the CLI in-process (cwd: the repository) and wait for it. */
const cli = (args: string[]): Promise<Run> => runCli(args);

/**
 * A bad-input or usage failure: this exit status (2 unless told), nothing on stdout, and
 * stderr exactly one line `migreplay: MESSAGE` — the exact message, or one matching a RegExp.
 */
function expectError(r: Run, message: string | RegExp, status = 2): void {
  const what = `stderr: ${r.stderr}`;
  expect(r.status, what).toBe(status);
  expect(r.stdout, what).toBe('');
  expect(r.stderr.endsWith('\n'), what).toBe(true);
  const lines = r.stderr.slice(0, -1).split('\n');
  expect(lines, `stderr must be one line:\n${r.stderr}`).toHaveLength(1);
  expect(lines[0]).not.toMatch(/^\s+at |\bat .*\.(js|ts|mjs):\d+|internal error/);
  if (typeof message === 'string') expect(lines[0]).toBe(`migreplay: ${message}`);
  else expect(lines[0]).toMatch(message);
  see(lines[0]!, expect.getState().currentTestName ?? '?');
}

/** Every error line the tests below see (without "migreplay: "): each must have its shape in docs/errors.md. */
const SEEN = new Map<string, string>();
const see = (line: string, where: string) => SEEN.set(line.replace(/^migreplay: /, ''), where);

/** Temporary files an atomic write may leave in a folder (`.NAME.tmp-PID`). */
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => /\.tmp-\d+$/.test(f));

let tmp = '';
const inTmp = (...parts: string[]) => path.join(tmp, ...parts);

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-robust-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------

interface Expected { what: string; valid?: boolean; epochs?: number; events?: number; durationS?: number; code?: string; exit?: number; message?: string }
const FIXTURES: Record<string, Expected> = JSON.parse(fs.readFileSync(path.join(ROOT, BAD, 'expected.json'), 'utf8')).fixtures;

describe('the bad-trace corpus (test/fixtures/bad)', () => {
  const names = Object.keys(FIXTURES);
  const inspect = new Map<string, Run>();
  const replay = new Map<string, Run>();

  beforeAll(async () => {
    await Promise.all(names.flatMap((name) => {
      const file = `${BAD}/${name}`;
      const valid = FIXTURES[name]!.valid;
      return [
        cli(['inspect', file, ...(valid ? ['--json'] : [])]).then((r) => inspect.set(name, r)),
        cli(['replay', file, '--algo', 'precopy', '--json']).then((r) => replay.set(name, r)),
      ];
    }));
  }, 300_000);

  it('is what scripts/make-bad-fixtures.mjs builds, and every file gives its message in-process too', () => {
    const r = spawnSync(process.execPath, ['scripts/make-bad-fixtures.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  it('covers what issue 9 lists', () => {
    const has = (re: RegExp) => names.some((n) => re.test(n));
    for (const re of [/^empty/, /^random/, /^file-cut-batch\d-end/, /^file-cut-batch\d-mid/, /^stream-cut-batch\d-end/, /^stream-cut-batch\d-mid/,
      /^stream-cut-schema/, /^t_us-(float64|utf8)/, /^pages-list-int32/, /^no-pages/, /^no-mem_pages/, /^mem_pages-text/, /page-eq-mem_pages/,
      /pages-unsorted/, /pages-duplicate/, /t_us-decreasing/, /t_us-repeated/, /comm-not-subset/, /^valid-zero-pages/, /^valid-one-epoch/, /^mem_pages-2e31/]) {
      expect(has(re), String(re)).toBe(true);
    }
    expect(names.length).toBeGreaterThanOrEqual(60);
  });

  for (const name of names) {
    const e = FIXTURES[name]!;
    if (e.valid) {
      it(`${name} (${e.what}): inspect and replay succeed`, () => {
        const i = inspect.get(name)!;
        expect(i.status, i.stderr).toBe(0);
        const stats = JSON.parse(i.stdout);
        expect(stats.epochs).toBe(e.epochs);
        if (e.events !== undefined) expect(stats.events).toBe(e.events);
        if (e.durationS !== undefined) expect(stats.durationS).toBe(e.durationS);
        const r = replay.get(name)!;
        expect(r.status, r.stderr).toBe(0);
        for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^migreplay: warning: /);
        const doc = JSON.parse(r.stdout);
        expect(doc.trace.epochs).toBe(e.epochs);
        expect(doc.results).toHaveLength(1);
        expect(doc.results[0].pagesSent).toBeGreaterThanOrEqual(doc.trace.memPages);
      });
    } else {
      it(`${name} (${e.what}): inspect and replay say '${e.code}', exit 2`, () => {
        expect(e.exit).toBe(2);
        expectError(inspect.get(name)!, e.message!);
        expectError(replay.get(name)!, e.message!);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------

describe('bad arguments: exit 2, one clear line, nothing run', () => {
  const T = GZIP9;
  // [name, arguments, the exact message (after "migreplay: ") or a pattern]
  const CASES: [string, string[], string | RegExp][] = [
    // units and values
    ['negative rate with a unit (--bandwidth -5MB)', ['replay', T, '--bandwidth', '-5MB'], "--bandwidth: '-5MB' is negative (give a value ≥ 0)"],
    ['negative rate, bare (--bandwidth -5)', ['replay', T, '--bandwidth', '-5'], "--bandwidth: '-5' is negative (give a value ≥ 0)"],
    ['zero bandwidth with a unit (0Gbit)', ['replay', T, '--bandwidth', '0Gbit'], '--bandwidth must be above 0 (got 0 bytes/s)'],
    ['bandwidth out of range (1e400)', ['replay', T, '--bandwidth', '1e400'], "--bandwidth: '1e400' is out of range"],
    ['QEMU alias given with its own name', ['replay', T, '--bandwidth', '1Gbit', '--max-bandwidth', '2Gbit'], '--bandwidth given more than once (--max-bandwidth is its QEMU name)'],
    ['negative duration (--start -1s)', ['replay', T, '--start', '-1s'], "--start: '-1s' is negative (give a value ≥ 0)"],
    ['a duration without its unit (--start 5)', ['replay', T, '--start', '5'], "--start: '5' needs a unit (ms, s or m), e.g. 5ms or 5s"],
    ['--start exactly at the end of the trace', ['replay', T, '--start', '20.000129s'], '--start 20.000129s lies outside the trace (0 … 20.000129s)'],
    ['negative --resume-ms', ['replay', T, '--resume-ms', '-1'], "--resume-ms: '-1' is negative (give a value ≥ 0)"],
    ['--max-time without a unit', ['replay', T, '--algo', 'qemu', '--max-time', '600'], "--max-time: '600' needs a unit (ms, s or m), e.g. 600ms or 600s"],
    ['negative --max-time with a unit', ['replay', T, '--algo', 'qemu', '--max-time', '-5s'], "--max-time: '-5s' is negative (give a value ≥ 0)"],
    ['negative --max-time, bare', ['replay', T, '--algo', 'qemu', '--max-time', '-5'], "--max-time: '-5' is negative (give a value ≥ 0)"],
    ['--iterate-time without a unit', ['replay', T, '--algo', 'qemu', '--iterate-time', '5'], "--iterate-time: '5' needs a unit (ms, s or m), e.g. 5ms or 5s"],
    ['negative --downtime-limit', ['replay', T, '--algo', 'qemu', '--downtime-limit', '-300ms'], "--downtime-limit: '-300ms' is negative (give a value ≥ 0)"],
    ['a size with an unknown unit', ['replay', T, '--algo', 'precopy', '--stop-bytes', '5XB'], "--stop-bytes: cannot read '5XB' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['--max-iters 0', ['replay', T, '--algo', 'precopy', '--max-iters', '0'], '--max-iters: 0 is below the least allowed value 1'],
    ['--max-iters 2.5', ['replay', T, '--algo', 'precopy', '--max-iters', '2.5'], "--max-iters: '2.5' is not a whole number"],
    ['a percentage above 100', ['replay', T, '--algo', 'vcpu-limit', '--vcpu-limit', '150'], '--vcpu-limit: 150 is above the largest allowed value 100'],
    // choices, names, conflicts
    ['an unknown algorithm in a list', ['replay', T, '--algo', 'precopy,nope'], /^migreplay: --algo: unknown algorithm 'nope' \(known: precopy, .*, all\)$/],
    ['an empty algorithm list', ['replay', T, '--algo', ','], '--algo: no algorithm named'],
    ['two bad choices at once', ['replay', T, '--within-epoch', 'sideways', '--kernel', 'gpu'],
      "--within-epoch: 'sideways' is not one of spread, start, whole; --kernel: 'gpu' is not one of wasm, js (see migreplay --help)"],
    ['--json and --format qmp', ['replay', T, '--json', '--format', 'qmp'], '--json and --format qmp contradict each other'],
    ['a misspelt command', ['replya', T], "unknown command 'replya'; did you mean replay? (see migreplay --help)"],
    ['a misspelt workload', ['gen', 'zpif', '--out', 'x.arrow'], "gen: unknown workload 'zpif'; did you mean zipf? (see migreplay --help)"],
    ['a missing positional', ['inspect'], 'Not enough non-option arguments: got 0, need at least 1 (see migreplay --help)'],
    ['inspect --kernel gpu', ['inspect', T, '--kernel', 'gpu'], "--kernel: 'gpu' is not one of wasm, js (see migreplay --help)"],
    ['an operand out of its choices', ['validate', 'xen'], "<target>: 'xen' is not one of qemu (see migreplay --help)"],
    ['a number out of the choices', ['replay', T, '--kernel', '3'], "--kernel: '3' is not one of wasm, js (see migreplay --help)"],
    // gen
    ['gen without --out', ['gen', 'uniform', '--duration', '1s'], 'Missing required argument: out (see migreplay --help)'],
    ['gen --duration without a unit', ['gen', 'uniform', '--out', 'NEVER.arrow', '--duration', '600'], "--duration: '600' needs a unit (ms, s or m), e.g. 600ms or 600s"],
    ['gen --interval without a unit', ['gen', 'uniform', '--out', 'NEVER.arrow', '--interval', '50'], "--interval: '50' needs a unit (ms, s or m), e.g. 50ms or 50s"],
    ['gen negative duration', ['gen', 'uniform', '--out', 'NEVER.arrow', '--duration', '-1s'], "--duration: '-1s' is negative (give a value ≥ 0)"],
    ['gen --mem beyond a wasm32 replay', ['gen', 'uniform', '--out', 'NEVER.arrow', '--mem', '8TiB'], '--mem: 2147483648 pages is beyond what a replay can hold (at most 1073741824)'],
    ['gen --mem below a page', ['gen', 'uniform', '--out', 'NEVER.arrow', '--mem', '1KiB'], '--mem: 1024 B is less than one page of 4096 B'],
    ['gen --mem with a bad unit', ['gen', 'uniform', '--out', 'NEVER.arrow', '--mem', '10Gbitt'], "--mem: cannot read '10Gbitt' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    // convert
    ['convert to an unknown kind of file', ['convert', T, 'NEVER.txt'], `convert: give a .csv/.csv.gz and an .arrow file, or an Arrow trace and a .csv file (got ${T} → NEVER.txt)`],
    ['convert a missing CSV', ['convert', 'no-such.csv', 'NEVER.arrow'], 'no-such.csv: no such file'],
    ['convert --downsample 0', ['convert', T, 'NEVER.arrow', '--downsample', '0'], "--downsample: '0' is not a whole number ≥ 1"],
    // sweep, merge, report
    ['sweep --jobs 0', ['sweep', '--trace', T, '--algo', 'precopy', '--out', 'NEVER.arrow', '--jobs', '0'], "--jobs: '0' is not a whole number ≥ 1"],
    ['sweep with a zero bandwidth in a --set', ['sweep', '--trace', T, '--algo', 'precopy', '--out', 'NEVER.arrow', '--set', 'bandwidth=0'], "--set bandwidth: the bandwidth must be above 0 (got '0')"],
    ['sweep --shard 3/2', ['sweep', '--trace', T, '--algo', 'precopy', '--out', 'NEVER.arrow', '--shard', '3/2'], "--shard '3/2': expected i/n with 0 ≤ i < n (shards are numbered from 0)"],
    ['sweep over no trace', ['sweep', '--trace', 'no-such-*.arrow', '--algo', 'precopy', '--out', 'NEVER.arrow'], '--trace no-such-*.arrow: matches no file'],
    ['merge a missing part', ['merge', 'no-such-part.arrow', '--out', 'NEVER.arrow'], 'no-such-part.arrow: no such file'],
    ['report --out not .html', ['report', 'no-such.json', '--out', 'NEVER.txt'], "--out: 'NEVER.txt' must end in .html"],
    ['report of a missing file', ['report', 'no-such.json', '--out', 'NEVER.html'], 'no-such.json: no such file'],
    // an option given twice, or without its value
    ['--algo twice', ['replay', T, '--algo', 'xen', '--algo', 'precopy'], '--algo given more than once (xen, precopy): give it once'],
    ['--out twice', ['replay', T, '--algo', 'precopy', '--out', 'NEVER.json', '--out', 'NEVER.csv'], '--out given more than once (NEVER.json, NEVER.csv): give it once'],
    ['--within-epoch twice', ['replay', T, '--within-epoch', 'start', '--within-epoch', 'whole'], '--within-epoch given more than once (start, whole): give it once'],
    ['sweep --out twice', ['sweep', '--trace', T, '--algo', 'precopy', '--out', 'NEVER.arrow', '--out', 'NEVER.csv'], '--out given more than once (NEVER.arrow, NEVER.csv): give it once'],
    ['--within-epoch without its value', ['replay', T, '--within-epoch', '--json'], '--within-epoch needs a value'],
    ['--withinEpoch without its value, last', ['replay', T, '--withinEpoch'], '--within-epoch needs a value'],
    ['--kernel= (empty)', ['replay', T, '--kernel='], '--kernel needs a value'],
    ['sweep --resume --overwrite', ['sweep', '--trace', T, '--algo', 'precopy', '--out', 'NEVER.arrow', '--resume', '--overwrite'], '--resume and --overwrite contradict each other: continue the sweep in --out, or replace it'],
  ];
  const runs = new Map<string, Run>();

  beforeAll(async () => {
    // Every output a case names goes to the temporary folder, where none may appear.
    await Promise.all(CASES.map(([name, args]) => cli(args.map((a) => (/^NEVER\./.test(a) ? inTmp(a) : a))).then((r) => runs.set(name, r))));
  }, 120_000);

  for (const [name, , message] of CASES) {
    it(name, () => {
      const msg = typeof message === 'string' ? message.replaceAll(/NEVER\.\w+/g, (m) => inTmp(m)) : message;
      expectError(runs.get(name)!, msg);
    });
  }

  it('no case wrote anything', () => {
    expect(fs.readdirSync(tmp).filter((f) => /NEVER/.test(f))).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------

/** The commands that write a file, each writing to `out` (in a folder of the test's choosing). */
const WRITERS: { name: string; args: (out: string) => string[]; ext: string; setup?: () => void }[] = [
  { name: 'replay --out .json', ext: 'json', args: (o) => ['replay', GZIP9, '--algo', 'qemu,postcopy', '--out', o] },
  { name: 'replay --out .csv', ext: 'csv', args: (o) => ['replay', GZIP9, '--algo', 'qemu,postcopy', '--out', o] },
  { name: 'replay --out .arrow', ext: 'arrow', args: (o) => ['replay', GZIP9, '--algo', 'qemu,postcopy', '--out', o] },
  { name: 'convert arrow → csv', ext: 'csv', args: (o) => ['convert', GZIP9, o] },
  { name: 'convert csv → arrow', ext: 'arrow', args: (o) => ['convert', inTmp('src.csv'), o] },
  { name: 'convert --downsample', ext: 'arrow', args: (o) => ['convert', GZIP9, o, '--downsample', '4'] },
  { name: 'gen', ext: 'arrow', args: (o) => ['gen', 'uniform', '--mem', '64MiB', '--duration', '2s', '--out', o, '--quiet'] },
  { name: 'merge', ext: 'arrow', args: (o) => ['merge', inTmp('part.arrow'), '--out', o] },
  { name: 'report', ext: 'html', args: (o) => ['report', inTmp('results.json'), '--out', o] },
];

describe('outputs are written whole or not at all', () => {
  beforeAll(async () => {
    // Inputs some writers need.
    fs.writeFileSync(inTmp('src.csv'), 'epoch,t_us,page\n0,0,1\n0,0,5\n1,100,3\n2,300,2\n2,300,7\n');
    const made = await Promise.all([
      cli(['sweep', '--trace', GZIP9, '--algo', 'precopy,xen', '--set', 'bandwidth=100Mbit,1Gbit', '--out', inTmp('part.arrow')]),
      cli(['replay', GZIP9, '--algo', 'qemu', '--out', inTmp('results.json')]),
    ]);
    for (const r of made) expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it('every writer succeeds, replacing an old file, and leaves no temporary file', async () => {
    const dir = inTmp('ok');
    fs.mkdirSync(dir);
    const runs = await Promise.all(WRITERS.map((w, i) => {
      const out = path.join(dir, `out${i}.${w.ext}`);
      fs.writeFileSync(out, 'OLD');
      return cli(w.args(out)).then((r) => ({ w, out, r }));
    }));
    for (const { w, out, r } of runs) {
      expect(r.status, `${w.name}: ${r.stderr}`).toBe(0);
      const now = fs.readFileSync(out);
      expect(now.byteLength, w.name).toBeGreaterThan(3);
      expect(now.subarray(0, 3).toString() === 'OLD', w.name).toBe(false);
    }
    expect(leftovers(dir)).toEqual([]);
  }, 120_000);

  it('an --out that is a folder is refused before any work (exit 2), and the folder is left alone', async () => {
    const dir = inTmp('a-folder.arrow');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep'), 'x');
    const r = await cli(['gen', 'uniform', '--mem', '64MiB', '--duration', '2s', '--out', dir]);
    expectError(r, `${dir}: cannot write (is a folder, not a file)`);
    const j = await cli(['replay', GZIP9, '--algo', 'qemu', '--out', `${dir}/../a-folder.arrow`]);
    expectError(j, `${dir}/../a-folder.arrow: cannot write (is a folder, not a file)`);
    expect(fs.readdirSync(dir)).toEqual(['keep']);
  }, 60_000);

  it('EACCES: an output where it may not be written says permission denied (exit 2) — /sys is read-only even for root', async () => {
    const target = '/sys/migreplay-robustness-test.json';
    const r = await cli(['replay', GZIP9, '--algo', 'postcopy', '--out', target]); // postcopy: no coarse-trace warning on gzip9
    expectError(r, `${target}: cannot write (permission denied)`);
    const g = await cli(['gen', 'uniform', '--mem', '64MiB', '--duration', '2s', '--out', '/sys/migreplay-robustness-test.arrow']);
    expectError(g, '/sys/migreplay-robustness-test.arrow: cannot write (permission denied)');
  }, 60_000);

  it('an output under a path through a file says so (exit 2), for every kind of writer, before any work', async () => {
    const file = inTmp('plain-file');
    fs.writeFileSync(file, 'x');
    const cases: [string[], string][] = [
      [['merge', inTmp('part.arrow'), '--out', path.join(file, 'm.arrow')], path.join(file, 'm.arrow')],
      [['sweep', '--trace', GZIP9, '--algo', 'precopy', '--out', path.join(file, 's.arrow')], path.join(file, 's.arrow')],
      [['replay', GZIP9, '--algo', 'qemu', '--plot', path.join(file, 'p.svg')], path.join(file, 'p.svg')],
      [['gen', 'uniform', '--mem', '64MiB', '--duration', '2s', '--out', path.join(file, 'g.arrow')], path.join(file, 'g.arrow')],
      [['explore', '--trace', GZIP9, '--out', path.join(file, 'ex')], path.join(file, 'ex')],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => {
      const target = cases[i]![1];
      const line = r.stderr.trim();
      expect(r.status, `${cases[i]![0].join(' ')}: ${line}`).toBe(2);
      expect(line.split('\n')).toHaveLength(1);
      expect(line).toMatch(new RegExp(`^migreplay: ${target.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')}: cannot write \\((a part of the path is a file, not a folder|.* is not a folder)\\)$`));
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  }, 120_000);

  it('a guest beyond what the oracle tracks: pre-copy runs without an oracle distance (a warning), --algo oracle is refused', async () => {
    const huge = inTmp('huge-guest.arrow');
    const g = await cli(['gen', 'uniform', '--mem', '520GiB', '--duration', '1s', '--rate', '1000', '--out', huge, '--quiet']);
    expect(g.status, g.stderr).toBe(0);
    const r = await cli(['replay', huge, '--algo', 'precopy', '--bandwidth', '1000GB/s', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('migreplay: warning: no oracle distances: 136314880 pages is beyond what the oracle can track (at most 134217728)');
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].algorithm).toBe('precopy');
    expect(doc.results[0].oracle).toBeUndefined();
    const o = await cli(['replay', huge, '--algo', 'oracle', '--bandwidth', '1000GB/s']);
    expectError(o, 'oracle: 136314880 pages is beyond what the oracle can track (at most 134217728)');
    fs.rmSync(huge);
  }, 120_000);

  it('replay --plot into a folder that does not exist fails before the replay, like --out', async () => {
    const r = await cli(['replay', GZIP9, '--algo', 'qemu', '--plot', inTmp('no-such-folder', 'p.svg')]);
    expectError(r, `${inTmp('no-such-folder', 'p.svg')}: cannot write (no such folder)`);
  }, 60_000);

  it('explore --out builds the bundle beside the target and renames it: complete, and no temporary folder left', async () => {
    const out = inTmp('explorer-out');
    const r = await cli(['explore', '--trace', GZIP9, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, 'index.html'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'traces', 'index.json'), 'utf8'))).toBeTruthy();
    expect(fs.readdirSync(tmp).filter((f) => f.includes('explorer-out.tmp-'))).toEqual([]);
  }, 60_000);

  it('an output in a folder that does not exist says so, before any work', async () => {
    const g = await cli(['gen', 'uniform', '--mem', '64MiB', '--duration', '2s', '--out', inTmp('no-such-folder', 'x.arrow')]);
    expectError(g, `${inTmp('no-such-folder', 'x.arrow')}: cannot write (no such folder)`);
    const c = await cli(['convert', GZIP9, inTmp('no-such-folder', 'x.csv')]);
    expectError(c, `${inTmp('no-such-folder', 'x.csv')}: cannot write (no such folder)`);
    expect(fs.existsSync(inTmp('no-such-folder'))).toBe(false);
  }, 60_000);

  describe('ENOSPC: a full file system', () => {
    // A 64 KiB tmpfs, filled up: the first write of every output fails. Needs root (tests
    // run as root here); elsewhere the test says why it is skipped.
    const full = path.join(os.tmpdir(), `migreplay-full-${process.pid}`);
    let mounted = false;
    let why = '';

    beforeAll(() => {
      fs.mkdirSync(full, { recursive: true });
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
      mounted = m.status === 0;
      if (!mounted) {
        why = `cannot mount a small tmpfs for ENOSPC (${(m.stderr || m.error?.message || 'mount failed').trim()}): run as root to test it`;
        return;
      }
      WRITERS.forEach((w, i) => fs.writeFileSync(path.join(full, `out${i}.${w.ext}`), `OLD ${i}`));
      try {
        fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(1 << 20));
      } catch {
        // ENOSPC, as wanted: the filler took what was left
      }
    });

    afterAll(() => {
      if (mounted) spawnSync('umount', [full]);
      fs.rmSync(full, { recursive: true, force: true });
    });

    it('every writer fails with "no space left on the device" (exit 1), keeps the old file, leaves no temporary file', async (ctx) => {
      if (!mounted) return ctx.skip(why);
      const runs = await Promise.all(WRITERS.map((w, i) => cli(w.args(path.join(full, `out${i}.${w.ext}`))).then((r) => ({ w, i, r }))));
      for (const { w, i, r } of runs) {
        const out = path.join(full, `out${i}.${w.ext}`);
        expect(r.status, `${w.name}: ${r.stderr}`).toBe(1);
        expect(r.stdout, w.name).toBe('');
        // Warnings may come first; the error is the last line, alone.
        const lines = r.stderr.trimEnd().split('\n');
        for (const l of lines.slice(0, -1)) expect(l, w.name).toMatch(/^migreplay: warning: /);
        expect(lines.at(-1), w.name).toBe(`migreplay: ${out}: write failed (no space left on the device)`);
        see(lines.at(-1)!, w.name);
        expect(fs.readFileSync(out, 'utf8'), w.name).toBe(`OLD ${i}`);
      }
      expect(leftovers(full)).toEqual([]);
    }, 120_000);
  });

  describe('interrupted while writing', () => {
    // A big trace (4 GiB of guest memory, 600 s: ~24 MB, several seconds to write),
    // killed once its temporary file has appeared and grown a little.
    const BIG = ['gen', 'uniform', '--mem', '4GiB', '--duration', '600s'];

    /** Start `args`, wait until `tmpFile(pid)` exists and holds data (then `settleMs` more), send `signal`; the run and what the folder held at the kill. */
    async function killWhileWriting(args: string[], dir: string, target: string, signal: NodeJS.Signals, settleMs = 300): Promise<{ run: Run; tmpName: string; sawTmp: boolean }> {
      // A real process: the test sends it a signal.
      const { child, done } = startCli(args);
      const tmpName = `.${path.basename(target)}.tmp-${child.pid}`;
      let sawTmp = false;
      for (let waited = 0; waited < 60_000 && child.exitCode === null; waited += 20) {
        const st = fs.statSync(path.join(dir, tmpName), { throwIfNoEntry: false });
        if (st && st.size > 0) {
          sawTmp = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, settleMs));
      child.kill(signal);
      return { run: await done, tmpName, sawTmp };
    }

    for (const [signal, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      it(`gen killed by ${signal} mid-write: exit ${status}, the old file intact, no temporary file`, async () => {
        const dir = inTmp(`kill-${signal}`);
        fs.mkdirSync(dir);
        const target = path.join(dir, 'big.arrow');
        fs.writeFileSync(target, 'OLD TRACE');
        const { run, tmpName, sawTmp } = await killWhileWriting([...BIG, '--out', target], dir, target, signal);
        expect(sawTmp, `the temporary file ${tmpName} never appeared: ${run.stderr}`).toBe(true);
        expect(run.status, run.stderr).toBe(status);
        expect(run.stderr).toBe(`migreplay: interrupted (${signal}); no output was left half-written\n`);
        expect(fs.readFileSync(target, 'utf8')).toBe('OLD TRACE');
        expect(fs.readdirSync(dir)).toEqual(['big.arrow']);
      }, 90_000);
    }

    it('gen killed by SIGKILL mid-write: no file at the target; the temporary .NAME.tmp-PID stays (nothing can clean up after SIGKILL)', async () => {
      const dir = inTmp('kill-SIGKILL');
      fs.mkdirSync(dir);
      const target = path.join(dir, 'big.arrow');
      const { run, tmpName, sawTmp } = await killWhileWriting([...BIG, '--out', target], dir, target, 'SIGKILL');
      expect(sawTmp).toBe(true);
      expect(run.signal).toBe('SIGKILL');
      expect(fs.existsSync(target)).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([tmpName]);
    }, 90_000);

    it('a signal during a long replay ends it at once (no handler holds it back while nothing is being written); the old --out stays', async () => {
      const target = inTmp('slow.json');
      fs.writeFileSync(target, 'OLD RESULTS');
      // xen sending one page per batch over 100 Mbit/s for up to 2000 × memory: 25 s of
      // work on the development machine (100 × took 1.5 s once the engine got faster).
      const { child, done } = startCli(['replay', XZ6, '--algo', 'xen', '--batch-pages', '1', '--max-factor', '2000', '--max-iters', '100000', '--min-sent', '0', '--bandwidth', '100Mbit', '--out', target]);
      await new Promise((r) => setTimeout(r, 1500));
      const killedAt = Date.now();
      child.kill('SIGTERM');
      const r = await done;
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(r.signal === 'SIGTERM' || r.status === 143).toBe(true);
      expect(fs.readFileSync(target, 'utf8')).toBe('OLD RESULTS');
      expect(leftovers(tmp)).toEqual([]);
    }, 60_000);
  });
});

// ---------------------------------------------------------------------------------------

describe('internal errors', () => {
  /** Run with an internal error injected from outside: JSON.stringify fails on the results document. */
  async function injected(args: string[]): Promise<Run> {
    const stringify = JSON.stringify;
    JSON.stringify = ((v: unknown, ...a: unknown[]) => {
      if (v && typeof v === 'object' && 'migreplay' in v) throw new TypeError('injected failure');
      return (stringify as (...x: unknown[]) => string)(v, ...a);
    }) as typeof JSON.stringify;
    try {
      return await cli(args);
    } finally {
      JSON.stringify = stringify;
    }
  }

  it('print one line with a --debug hint and exit 1; --debug adds the stack', async () => {
    // postcopy: no coarse-trace warning on gzip9 to share stderr with the error.
    const plain = await injected(['replay', GZIP9, '--algo', 'postcopy', '--json']);
    const debug = await injected(['replay', GZIP9, '--algo', 'postcopy', '--json', '--debug']);
    expect(plain.status, plain.stderr).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toBe('migreplay: internal error: injected failure (run again with --debug for the stack)\n');
    expect(debug.status).toBe(1);
    const lines = debug.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('migreplay: internal error: injected failure (run again with --debug for the stack)');
    expect(lines[1]).toBe('TypeError: injected failure');
    expect(lines.slice(2).length).toBeGreaterThan(2);
    for (const l of lines.slice(2)) expect(l).toMatch(/^\s+at /);
  }, 60_000);

  it('--debug on a bad-input error keeps the one-line message first, then its stack', async () => {
    const r = await cli(['replay', GZIP9, '--start', '100s', '--debug']);
    expect(r.status).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('migreplay: --start 100s lies outside the trace (0 … 20.000129s)');
    expect(lines[1]).toMatch(/^MigreplayError: /);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------

describe('docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('has a row for every error code of src/errors.ts', () => {
    const src = fs.readFileSync(path.join(ROOT, 'src', 'errors.ts'), 'utf8');
    const union = /export type ErrorCode =([^;]+);/.exec(src)![1]!;
    const codes = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThanOrEqual(12);
    for (const code of codes) expect(doc, code).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });

  it('lists the shape of every message the tests above saw', () => {
    // Shapes: the backticked spans of the message tables; <…> stands for what varies.
    const messages = doc.slice(doc.indexOf('## Messages'), doc.indexOf('## Outputs'));
    // (A shape that is all placeholder, `<file>: <system error>`, would match anything: left out.)
    const shapes = [...messages.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
      .filter((x) => x.includes(' ') && x.replace(/<[^<>]+>/g, '').replace(/[\s:]/g, '').length >= 4);
    const escape = (x: string) => x.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
    const patterns = shapes.map((x) => new RegExp('^' + x.split(/<[^<>]+>/).map(escape).join('.*') + '$'));
    expect(SEEN.size).toBeGreaterThan(50);
    const missing = [...SEEN].filter(([line]) => !patterns.some((p) => p.test(line))).map(([line, where]) => `${line}    (${where})`);
    expect(missing, `messages without a row in docs/errors.md:\n${missing.join('\n')}`).toEqual([]);
  });
});
