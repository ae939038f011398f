// `migreplay validate qemu --battery` and the install, without QEMU: the battery's
// mean/spread logic and table on synthetic comparisons and on recorded runs
// (test/fixtures/qemu-record/battery: a small post-copy run and a real-program run,
// recorded by `migreplay validate qemu --out …` with QEMU 10.0.2 under TCG), the
// post-copy trace splice, and the install's pure parts (apt closure, sizes, ldd,
// one-line failures) with a mocked or the real apt.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareBattery, compareFolder, formatBatteryReport } from '../src/cli/validate.js';
import { main } from '../src/cli/main.js';
import { MigreplayError } from '../src/errors.js';
import { BATTERY, batteryFolders, batteryRows, formatBattery, meanSpread, missedGoals, stat, summarize, type BatteryRun } from '../src/validate/battery.js';
import { replayParams, type Comparison } from '../src/validate/compare.js';
import { traceSegments } from '../src/validate/guest-trace.js';
import {
  aptClosure, kernelPackage, lddPaths, missingLibraries, oneLine, parsePrintUris, parseSimulatedInstall, runTool, spawnRunner, type Runner,
} from '../src/validate/install.js';
import type { RunRecord } from '../src/validate/run.js';

const BATTERY_DIR = path.join(__dirname, 'fixtures', 'qemu-record', 'battery');
const POSTCOPY = path.join(BATTERY_DIR, 'postcopy-small-1');
const PROGRAM = path.join(BATTERY_DIR, 'perl-1');
const readRecord = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'record.json'), 'utf8')) as RunRecord;

/** A comparison with just the fields the battery reads. */
function fake(errs: { bytes: number; time: number | null; downMs: number | null; syncs: number; verdict?: boolean; requests?: number | null }, real: { time: number; down: number | null }): Comparison {
  const postcopy = errs.requests !== undefined;
  return {
    workload: { autoConverge: false },
    real: { status: 'completed', converged: true, 'total-time': real.time, downtime: real.down, transferred: 1e8, 'dirty-sync-count': 3, 'throttle-steps': 0, 'cpu-throttle-max': 0, ...(postcopy ? { 'postcopy-requests': 100 } : {}), 'query-migrate': {} },
    predicted: {} as Comparison['predicted'],
    error: { 'total-time': errs.time, downtime: null, 'downtime-ms': errs.downMs, transferred: errs.bytes, 'dirty-sync-count': errs.syncs, 'throttle-steps': 0, 'same-verdict': errs.verdict ?? true, ...(postcopy ? { 'postcopy-requests': errs.requests } : {}) },
    goals: { transferred: Math.abs(errs.bytes) <= 0.1, 'total-time': true, downtime: errs.downMs !== null && Math.abs(errs.downMs) <= 10, 'dirty-sync-count': Math.abs(errs.syncs) <= 1, 'throttle-steps': true, 'postcopy-requests': true, verdict: errs.verdict ?? true, all: false },
  };
}
function withAll(c: Comparison): Comparison {
  c.goals.all = Object.entries(c.goals).every(([k, v]) => k === 'all' || v);
  return c;
}

describe('battery: mean and spread', () => {
  it('stat: mean, min, max over the numbers only', () => {
    expect(stat([1, 2, 6])).toEqual({ mean: 3, min: 1, max: 6, n: 3 });
    expect(stat([null, 4, undefined, NaN])).toEqual({ mean: 4, min: 4, max: 4, n: 1 });
    expect(stat([null, undefined])).toBeNull();
  });

  it('meanSpread: "mean (min…max)", one value alone, – for none', () => {
    const f = (x: number) => x.toFixed(1);
    expect(meanSpread({ mean: 2, min: 1, max: 3, n: 3 }, f)).toBe('2.0 (1.0…3.0)');
    expect(meanSpread({ mean: 2, min: 2, max: 2, n: 3 }, f)).toBe('2.0');
    expect(meanSpread(null, f)).toBe('–');
  });

  it('summarize groups runs by workload in order, counts failures, verdicts and goals', () => {
    const runs: BatteryRun[] = [
      { workload: 'light', index: 0, dir: 'light-1', comparison: withAll(fake({ bytes: 0.01, time: -0.02, downMs: 5, syncs: 0 }, { time: 2500, down: 30 })) },
      { workload: 'medium', index: 0, dir: 'medium-1', comparison: withAll(fake({ bytes: -0.2, time: -0.1, downMs: 30, syncs: 2 }, { time: 6000, down: 20 })) },
      { workload: 'light', index: 1, dir: 'light-2', comparison: withAll(fake({ bytes: 0.03, time: 0.04, downMs: -15, syncs: 1 }, { time: 2700, down: 40 })) },
      { workload: 'light', index: 2, dir: 'light-3', error: 'validate: boom' },
    ];
    const [light, medium] = summarize(runs);
    expect(light!.workload).toBe('light');
    expect(light!.runs).toBe(3);
    expect(light!.failed).toBe(1);
    expect(light!.error.transferred!.mean).toBeCloseTo(0.02, 12);
    expect(light!.error.transferred!.min).toBeCloseTo(0.01, 12);
    expect(light!.error.transferred!.max).toBeCloseTo(0.03, 12);
    expect(light!.error['total-time']).toMatchObject({ min: -0.02, max: 0.04 });
    expect(light!.error['downtime-ms']).toMatchObject({ mean: -5, min: -15, max: 5 });
    expect(light!.error['dirty-sync-count']).toMatchObject({ mean: 0.5, min: 0, max: 1 });
    expect(light!.real['total-time']).toMatchObject({ mean: 2600 });
    expect(light!.goalsMet).toBe(1); // light-2 misses downtime (−15 ms)
    expect(light!.goals.downtime).toBe(1);
    expect(light!.sameVerdict).toBe(2);
    expect(light!.postcopy).toBe(false);
    expect(medium!.goalsMet).toBe(0);
    expect(missedGoals(medium!)).toBe('transferred 0/1, downtime 0/1, dirty-sync-count 0/1');
  });

  it('the table: one row per workload, every error as mean (min…max), signs and units', () => {
    const runs: BatteryRun[] = [
      { workload: 'postcopy', index: 0, dir: 'postcopy-1', comparison: withAll(fake({ bytes: 0.01, time: 0.02, downMs: 1, syncs: 0, requests: 0.5 }, { time: 5000, down: 1 })) },
      { workload: 'postcopy', index: 1, dir: 'postcopy-2', comparison: withAll(fake({ bytes: -0.01, time: 0.04, downMs: 0, syncs: -1, requests: 1.5 }, { time: 7000, down: 3 })) },
    ];
    const rows = batteryRows(summarize(runs));
    expect(rows[0]).toEqual(['workload', 'runs', 'real total s', 'real downtime ms', 'bytes err', 'total-time err', 'downtime err ms', 'syncs diff', 'throttle diff', 'requests err', 'verdict', 'goals met']);
    expect(rows[1]).toEqual(['postcopy', '2', '6.0 (5.0…7.0)', '2 (1…3)', '±0.0 % (−1.0 %…+1.0 %)', '+3.0 % (+2.0 %…+4.0 %)', '+0.5 (±0…+1)', '−0.5 (−1…±0)', '–', '+100.0 % (+50.0 %…+150.0 %)', '2/2 same', '2/2']);
    const text = formatBattery(summarize(runs));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    const md = formatBattery(summarize(runs), true);
    expect(md.split('\n')[1]).toBe('|---|---|---|---|---|---|---|---|---|---|---|---|');
    // a mean that rounds to zero has no sign
    expect(batteryRows(summarize([{ workload: 'w', index: 0, dir: 'w-1', comparison: withAll(fake({ bytes: -0.0001, time: 0, downMs: 0, syncs: 0 }, { time: 1, down: 1 })) }]))[1]![4]).toBe('±0.0 %');
  });

  it('the battery has at least eight workloads, three of them real programs, one post-copy, one auto-converge', () => {
    expect(BATTERY.length).toBeGreaterThanOrEqual(8);
    expect(BATTERY.filter((b) => b.options.workload && b.options.workload !== 'dirtier').length).toBeGreaterThanOrEqual(3);
    expect(BATTERY.some((b) => b.options.postcopyAfterSyncs !== undefined)).toBe(true);
    expect(BATTERY.some((b) => b.options.autoConverge)).toBe(true);
    expect(new Set(BATTERY.map((b) => b.name)).size).toBe(BATTERY.length);
  });
});

describe('battery --compare on recorded runs (no QEMU)', () => {
  it('finds the run folders and compares each', { timeout: 60_000 }, () => {
    const folders = batteryFolders(BATTERY_DIR);
    expect(folders.map((f) => f[2]).sort()).toEqual(['perl-1', 'postcopy-small-1']);
    const runs = compareBattery(BATTERY_DIR);
    expect(runs.every((r) => r.comparison && !r.error)).toBe(true);
    const report = formatBatteryReport(runs);
    expect(report).toContain('perl');
    expect(report).toContain('postcopy-small');
  });

  it('a recorded post-copy run: hybrid after its passes, postcopy-requests against remote faults', { timeout: 60_000 }, () => {
    const rec = readRecord(POSTCOPY);
    expect(rec.postcopy && 'startS' in rec.postcopy).toBe(true);
    expect(rec.final.status).toBe('completed');
    expect(rec.qemuPackage).toMatch(/^qemu-system-x86 1:10\./);
    const setup = replayParams(rec);
    expect(setup.algorithm).toBe('hybrid');
    expect(setup.params['precopy-rounds']).toBe(rec.postcopy!.afterSyncs);
    const c = compareFolder(POSTCOPY);
    expect(c.predicted.result.algorithm).toBe('hybrid');
    expect(c.real['postcopy-requests']).toBe(rec.final.ram['postcopy-requests']);
    expect(c.predicted['postcopy-requests']).toBe(c.predicted.result.remoteFaults);
    expect(c.real.converged && c.predicted.converged).toBe(true);
    expect(c.error['same-verdict']).toBe(true);
    // the post-copy run moves every page once more or less: bytes within the goal
    expect(Math.abs(c.error.transferred)).toBeLessThanOrEqual(0.1);
  });

  it('a recorded real-program run: qemu, the program named in the workload', { timeout: 60_000 }, () => {
    const rec = readRecord(PROGRAM);
    expect(rec.options.workload).toBe('perl');
    const c = compareFolder(PROGRAM);
    expect(c.predicted.result.algorithm).toBe('qemu');
    expect(c.workload.workload).toBe('perl');
    expect(c.real.transferred).toBe((rec.final.status === 'completed' ? rec.final : rec.atCancel!).ram.transferred);
  });

  it('the CLI: --battery --compare prints the table; --json the summary; usage errors exit 2', { timeout: 60_000 }, async () => {
    const out: string[] = [];
    const err: string[] = [];
    const w1 = process.stdout.write.bind(process.stdout);
    const w2 = process.stderr.write.bind(process.stderr);
    (process.stdout as any).write = (s: string) => (out.push(String(s)), true);
    (process.stderr as any).write = (s: string) => (err.push(String(s)), true);
    try {
      expect(await main(['validate', 'qemu', '--battery', '--compare', BATTERY_DIR])).toBe(0);
      expect(out.join('')).toMatch(/workload +runs +real total s/);
      out.length = 0;
      expect(await main(['validate', 'qemu', '--battery', '--compare', BATTERY_DIR, '--json'])).toBe(0);
      const j = JSON.parse(out.join(''));
      expect(j.summary.map((s: { workload: string }) => s.workload).sort()).toEqual(['perl', 'postcopy-small']);
      expect(j.runs).toHaveLength(2);
      err.length = 0;
      expect(await main(['validate', 'qemu', '--battery', '--repeat', '0'])).toBe(2);
      expect(await main(['validate', 'qemu', '--battery', '--only', 'nope', '--compare', BATTERY_DIR])).toBe(2);
      expect(await main(['validate', 'qemu', '--battery', '--compare', path.join(os.tmpdir(), 'migreplay-no-such-battery')])).toBe(2);
      for (const line of err) expect(line.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      (process.stdout as any).write = w1;
      (process.stderr as any).write = w2;
    }
  });
});

describe('validate --help', () => {
  const bin = path.join(__dirname, '..', 'bin', 'migreplay.js');
  it.skipIf(!fs.existsSync(path.join(__dirname, '..', 'dist', 'cli', 'validate.js')))('names the download size and the battery', { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/downloads QEMU 10 from Debian, ~\d+ MB/);
    expect(r.stdout).toContain('--battery');
    expect(r.stdout).toContain('--repeat');
  });
});

describe('post-copy trace splice', () => {
  it('the source up to migrate-start-postcopy, then the tail before migrate, repeated', () => {
    const s = traceSegments({ postcopy: { atUs: 4e6, tailUs: 3e6, untilUs: 11e6 } }, 8e6, 9e6);
    expect(s).toEqual([
      { fromUs: 0, toUs: 4e6, atUs: 0 },
      { fromUs: -3e6, toUs: 0, atUs: 4e6 },
      { fromUs: -3e6, toUs: 0, atUs: 7e6 },
      { fromUs: -3e6, toUs: 0, atUs: 10e6 },
    ]);
    // no more tail than was captured before migrate
    expect(traceSegments({ postcopy: { atUs: 4e6, tailUs: 3e6, untilUs: 5e6 } }, 1e6, 9e6)[1]).toEqual({ fromUs: -1e6, toUs: 0, atUs: 4e6 });
    expect(traceSegments({}, 8e6, 9e6)).toEqual([{ fromUs: 0, toUs: 9e6, atUs: 0 }]);
    expect(traceSegments({ beforeUs: 5e6 }, 8e6, 9e6)).toEqual([{ fromUs: -5e6, toUs: 0, atUs: 0 }]);
  });
});

// What apt-get prints, for the parsers.
const SIMULATE = `NOTE: This is only a simulation!
      apt-get needs root privileges for real execution.
Reading package lists...
The following NEW packages will be installed:
  libcapstone4 qemu-system-x86
Inst libcapstone4 (4.0.2-5 Debian:12.15/oldstable [amd64])
Inst libslirp0 [4.6.1-1] (4.7.0-1 Debian:12.15/oldstable [amd64]) []
Inst qemu-system-data (1:10.0.2+ds-2+deb13u1~bpo12+1 Debian Backports:oldstable-backports [all])
Inst qemu-system-x86 (1:10.0.2+ds-2+deb13u1~bpo12+1 Debian Backports:oldstable-backports [amd64])
Conf libcapstone4 (4.0.2-5 Debian:12.15/oldstable [amd64])
Remv qemu-system-x86-old [1:7.2]
`;

describe('install: the closure and its download', () => {
  it('parses apt-get --simulate: every Inst line (new, or upgraded from too old a version), nothing else', () => {
    expect(parseSimulatedInstall(SIMULATE)).toEqual([
      { name: 'libcapstone4', version: '4.0.2-5', arch: 'amd64' },
      { name: 'libslirp0', version: '4.7.0-1', arch: 'amd64' },
      { name: 'qemu-system-data', version: '1:10.0.2+ds-2+deb13u1~bpo12+1', arch: 'all' },
      { name: 'qemu-system-x86', version: '1:10.0.2+ds-2+deb13u1~bpo12+1', arch: 'amd64' },
    ]);
    expect(parseSimulatedInstall('Reading package lists...\n0 upgraded, 0 newly installed.\n')).toEqual([]);
  });

  it('sizes from --print-uris (apt\'s Size field), file names as apt writes them', () => {
    const t = `'http://deb.debian.org/debian/pool/main/liba/libaio/libaio1_0.3.113-4_amd64.deb' libaio1_0.3.113-4_amd64.deb 13360 SHA256:d1476e\n'http://deb.debian.org/debian/pool/main/q/qemu/qemu-system-x86_10.0.2%2bds_amd64.deb' qemu-system-x86_1%3a10.0.2+ds_amd64.deb 10176912 SHA256:4a6b\n`;
    expect(parsePrintUris(t)).toEqual([{ file: 'libaio1_0.3.113-4_amd64.deb', size: 13360 }, { file: 'qemu-system-x86_1%3a10.0.2+ds_amd64.deb', size: 10176912 }]);
  });

  it('ldd: what is missing, what resolved (libraries and the loader)', () => {
    const t = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibcapstone.so.4 => not found\n\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f)\n\tlibfdt.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f32)\n`;
    expect(missingLibraries(t)).toEqual(['libcapstone.so.4', 'libfdt.so.1']);
    expect(lddPaths(t)).toEqual(['/lib/x86_64-linux-gnu/libz.so.1', '/lib64/ld-linux-x86-64.so.2']);
  });

  it('the kernel package linux-image-amd64 depends on', () => {
    expect(kernelPackage('linux-image-amd64\n  Depends: linux-image-6.1.0-50-amd64\n')).toBe('linux-image-6.1.0-50-amd64');
    expect(kernelPackage('linux-image-amd64\n')).toBeUndefined();
  });

  it('a failing apt is one line: its first E: line, exit status 1', () => {
    const failing: Runner = () => ({
      status: 100,
      stdout: 'Reading package lists...\nBuilding dependency tree...\n',
      stderr: 'E: Unable to locate package qemu-system-x86\nE: Couldn\'t find any package by glob \'qemu-system-x86\'\n',
    });
    let err: unknown;
    try {
      aptClosure(failing, ['qemu-system-x86'], 'bookworm-backports');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MigreplayError);
    const m = (err as MigreplayError).message;
    expect(m.split('\n')).toHaveLength(1);
    expect(m).toContain('Unable to locate package qemu-system-x86');
    expect((err as MigreplayError).exitCode).toBe(1);
    expect(oneLine('a\n\nlast line\n')).toBe('last line');
    expect(oneLine('')).toBe('(no output)');
    const missing: Runner = () => ({ status: null, stdout: '', stderr: '', error: Object.assign(new Error('spawn apt-get ENOENT'), { code: 'ENOENT' }) });
    expect(() => runTool(missing, 'apt-get', ['update'], 'apt-get update')).toThrow(/^validate: apt-get update: cannot run apt-get \(ENOENT\)$/);
  });

  it('the runner asks apt for the closure with the release and no recommends', () => {
    const calls: string[][] = [];
    const rec: Runner = (cmd, args) => (calls.push([cmd, ...args]), { status: 0, stdout: SIMULATE, stderr: '' });
    expect(aptClosure(rec, ['qemu-system-x86'], 'bookworm-backports')).toHaveLength(4);
    expect(calls[0]).toEqual(expect.arrayContaining(['apt-get', 'install', '--simulate', '--no-install-recommends', '-t', 'bookworm-backports', 'qemu-system-x86']));
  });

  // A package installed here at its candidate version (apt would upgrade an older one, so it would be in the closure).
  const current = ['gzip', 'tar', 'libc-bin'].find((p) => {
    const r = spawnSync('apt-cache', ['policy', p], { encoding: 'utf8' });
    const inst = /Installed: (\S+)/.exec(r.stdout ?? '')?.[1];
    return r.status === 0 && inst !== undefined && inst !== '(none)' && inst === /Candidate: (\S+)/.exec(r.stdout)?.[1];
  });
  it.skipIf(!current || !fs.existsSync('/var/lib/dpkg/status'))('with the real apt: installed packages are left out of the closure, a package dpkg lacks is in it', { timeout: 60_000 }, () => {
    // installed here at the version apt would pick: nothing to fetch
    expect(aptClosure(spawnRunner, [current!]).map((p) => p.name)).not.toContain(current);
    // The same question for a machine whose dpkg knows only libc6: the package comes in, libc6 does not.
    const status = dpkgStatus(['libc6', 'libgcc-s1', 'gcc-12-base']);
    const fresh = aptClosure(spawnRunner, [current!], undefined, ['-o', `Dir::State::status=${status}`]).map((p) => p.name);
    expect(fresh).toContain(current);
    expect(fresh).not.toContain('libc6');
    expect(() => aptClosure(spawnRunner, ['migreplay-no-such-package'])).toThrow(/^validate: apt-get install --simulate migreplay-no-such-package failed: Unable to locate package migreplay-no-such-package$/);
  });
});

/** A dpkg status file holding only these installed packages (their real stanzas). */
function dpkgStatus(names: string[]): string {
  const all = fs.readFileSync('/var/lib/dpkg/status', 'utf8').split('\n\n');
  const keep = all.filter((s) => names.some((n) => new RegExp(`^Package: ${n}\\n`).test(s)));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-status-')), 'status');
  fs.writeFileSync(file, keep.join('\n\n') + '\n\n');
  return file;
}
