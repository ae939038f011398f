// `migreplay capture` (src/capture/, native/capture/, src/cli/capture.ts):
// - page for page: a program writing known page sets in phases (first touch, random
//   subsets, a read-only sweep, a zero-page read, a slow writer, MADV_DONTNEED, a
//   remap, dense rewrites) — the captured epochs hold exactly those pages, and each
//   slow write lies in its epoch's real time span;
// - attach to a running process and leave it running, unchanged;
// - the process tree: a shell's children (and their threads) are recorded, in one
//   page-number space, and listed; --no-children records the shell alone; --pid takes
//   the children already running; a child that cannot be set up is left out, with a note;
// - python3 under capture → a trace that opens, inspects and replays with every algorithm;
// - Ctrl-C/SIGTERM and even SIGKILL of migreplay leave a valid trace;
// - the log-dirty (Xen) path with a fake dirty-log source;
// - clear errors: usage (2), unavailable here (1), and outputs left untouched.
// The capture tests need Linux, a C compiler and a kernel with soft-dirty bits or
// userfaultfd write-protect + PAGEMAP_SCAN; elsewhere they are skipped (but in CI,
// where this kernel is known, a missing piece is a failure).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { processesJson, processesText, runCapture, shellJoin, startCapture } from '../src/capture/capture.js';
import { HELPER_ENV, helperPath } from '../src/capture/helper.js';
import { CaptureFile, spacePadded, zeroPadded } from '../src/capture/output.js';
import { RecordParser } from '../src/capture/protocol.js';
import { captureOptions } from '../src/cli/capture.js';
import { replay } from '../src/run/replay.js';
import { MigreplayError } from '../src/errors.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import type { Kernel } from '../src/kernel/types.js';
import { traceStats } from '../src/trace/inspect.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { TraceWriter } from '../src/trace/write.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(ROOT, 'test/fixtures/capture');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-capture-test-'));
const tmp = (name: string) => path.join(TMP, name);
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

// ---------------------------------------------------------------- setup

interface Env { ok: boolean; why: string; cc: string; helper: string; phases: string; writer: string; churn: string; probe: Record<string, string> }

function setUp(): Env {
  const env: Env = { ok: false, why: '', cc: 'cc', helper: helperPath(), phases: tmp('phases'), writer: tmp('writer'), churn: tmp('churn'), probe: {} };
  if (process.platform !== 'linux') return { ...env, why: `capture needs Linux (this is ${process.platform})` };
  const cc = spawnSync('sh', ['-c', 'for c in "${CC:-cc}" gcc clang; do command -v "$c" && exit 0; done; exit 1'], { encoding: 'utf8' });
  if (cc.status !== 0) return { ...env, why: 'no C compiler' };
  const compiler = cc.stdout.trim().split('\n')[0]!;
  env.cc = compiler;
  if (!fs.existsSync(env.helper)) {
    const b = spawnSync('sh', [path.join(ROOT, 'scripts/build-capture.sh')], { encoding: 'utf8', env: { ...process.env, MIGREPLAY_CAPTURE_STRICT: '1' } });
    if (b.status !== 0) return { ...env, why: `building the helper failed: ${b.stderr.trim()}` };
  }
  for (const name of ['phases', 'writer', 'churn']) {
    const r = spawnSync(compiler, ['-O2', '-o', tmp(name), path.join(FIXTURES, `${name}.c`)], { encoding: 'utf8' });
    if (r.status !== 0) return { ...env, why: `compiling ${name}.c failed: ${r.stderr.trim()}` };
  }
  const probe = spawnSync(env.helper, ['--probe'], { encoding: 'utf8' });
  for (const line of probe.stdout.split('\n')) {
    const [k, v] = line.split('=');
    if (k && v !== undefined) env.probe[k] = v;
  }
  if (env.probe.softdirty !== '1' && env.probe['pagemap-scan'] !== '1') {
    return { ...env, why: 'this kernel has neither soft-dirty bits nor userfaultfd write-protect + PAGEMAP_SCAN' };
  }
  return { ...env, ok: true };
}

const ENV = setUp();
const REQUIRED = process.env.CI === 'true' && process.platform === 'linux';
const suite = ENV.ok ? describe : describe.skip;
if (!ENV.ok) {
  describe('capture environment', () => {
    test.skipIf(!REQUIRED)(`capture tests can run here (${ENV.why})`, () => {
      expect.fail(`capture tests cannot run: ${ENV.why}`);
    });
  });
}

function kernel(): Kernel {
  try {
    return createKernel('wasm');
  } catch {
    return createKernel('js');
  }
}

interface Epoch { start: number; end: number; pages: Uint32Array }

function epochsOf(trace: Trace): Epoch[] {
  const out: Epoch[] = [];
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) out.push({ start: b.tUs[i]!, end: 0, pages: b.pages.slice(b.offsets[i]!, b.offsets[i + 1]!) });
  }
  out.forEach((e, i) => { e.end = i + 1 < out.length ? out[i + 1]!.start : trace.summary.durationUs; });
  return out;
}

/** The virtual page behind a page number in an epoch, from a --page-map CSV (numbers are reused). */
function pageMap(file: string): (page: number, epoch: number) => number | undefined {
  const m = new Map<number, { epoch: number; vpn: number }[]>();
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [page, vpn, epoch] = line.split(',').map(Number);
    if (!m.has(page!)) m.set(page!, []);
    m.get(page!)!.push({ epoch: epoch!, vpn: vpn! });
  }
  return (page, epoch) => {
    let vpn: number | undefined;
    for (const a of m.get(page) ?? []) if (a.epoch <= epoch) vpn = a.vpn;
    return vpn;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectError(p: Promise<unknown>, exitCode: number, pattern: RegExp): Promise<MigreplayError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MigreplayError);
  const m = err as MigreplayError;
  expect(m.message).toMatch(pattern);
  expect(m.message).not.toMatch(/\n/);
  expect(m.exitCode).toBe(exitCode);
  return m;
}

// ---------------------------------------------------------------- pure parts (no kernel needed)

describe('capture: protocol and output file', () => {
  function record(type: string, payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(16 + payload.byteLength);
    out.set(new TextEncoder().encode(type), 0);
    new DataView(out.buffer).setBigUint64(8, BigInt(payload.byteLength), true);
    out.set(payload, 16);
    return out;
  }

  test('records parse the same whatever the chunking', () => {
    const epoch = new Uint8Array(40 + 12);
    const v = new DataView(epoch.buffer);
    v.setBigUint64(0, 100n, true);
    v.setBigUint64(8, 50_100n, true);
    v.setBigUint64(16, 4096n, true);
    v.setUint32(24, 3, true);
    v.setUint32(28, 12, true);
    [7, 9, 4095].forEach((p, i) => v.setUint32(40 + 4 * i, p, true));
    const numb = new Uint8Array(24);
    new DataView(numb.buffer).setBigUint64(0, 123456789n, true);
    new DataView(numb.buffer).setUint32(8, 7, true);
    new DataView(numb.buffer).setUint32(12, 3, true);
    new DataView(numb.buffer).setUint32(16, 4242, true);
    const stream = [
      record('HELO', new TextEncoder().encode('version=1\nsource=pagemap-scan\n')),
      record('NUMB', numb),
      record('PROC', new TextEncoder().encode('pid=4242\nppid=1\ncomm=sh\nevent=start\nwrites=5\nfirst_epoch=0\n')),
      record('EPOC', epoch),
      record('DONE', new TextEncoder().encode('stopped_by=duration\n')),
    ];
    const all = new Uint8Array(stream.reduce((n, r) => n + r.byteLength, 0));
    let at = 0;
    for (const r of stream) { all.set(r, at); at += r.byteLength; }
    for (const size of [1, 3, 16, 17, 1000]) {
      const p = new RecordParser();
      const got = [];
      for (let i = 0; i < all.length; i += size) got.push(...p.push(all.subarray(i, i + size)));
      expect(got.map((r) => r.type)).toEqual(['HELO', 'NUMB', 'PROC', 'EPOC', 'DONE']);
      expect(got[0]).toMatchObject({ fields: { version: '1', source: 'pagemap-scan' } });
      expect(got[1]).toMatchObject({ extents: [{ vpn: 123456789, page: 7, count: 3, pid: 4242 }] });
      expect(got[2]).toMatchObject({ pid: 4242, ppid: 1, comm: 'sh', event: 'start', writes: 5, firstEpoch: 0 });
      expect(got[3]).toMatchObject({ tStartUs: 100, tEndUs: 50_100, memPages: 4096, scanUs: 12 });
      expect(Array.from((got[3] as any).pages)).toEqual([7, 9, 4095]);
      expect(p.pendingBytes).toBe(0);
    }
  });

  test('the recorded processes: capture.processes fits its 4000 ASCII bytes, the most pages first; the summary shows 20', () => {
    const list = Array.from({ length: 300 }, (_, i) => ({ pid: 1000 + i, ppid: 999, command: i === 7 ? 'büro' : `worker-${i}`, pages: i * 3 % 101, firstEpoch: i }));
    const json = processesJson(list);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(4000);
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    const back = JSON.parse(json);
    expect(back.length).toBeGreaterThan(20);
    expect(back.length).toBeLessThan(list.length);
    expect(back.map((p: { pages: number }) => p.pages)).toEqual([...back.map((p: { pages: number }) => p.pages)].sort((a, b) => b - a));
    expect(back[0].pages).toBe(100);
    expect(JSON.parse(processesJson([list[7]!]))[0].command).toBe('büro');
    const text = processesText(list).split('\n').filter(Boolean);
    expect(text).toHaveLength(21);
    expect(text[0]).toBe('  pid 1000 (worker-0), child of 999: 0 page writes');
    expect(text[20]).toBe('  … and 280 more (every one in --json)');
  });

  test('the output is a valid trace after every commit, with the patched metadata of that moment', () => {
    const file = tmp('commits.arrow');
    fs.writeFileSync(file, 'older file');
    const fields = {
      mem_pages: { placeholder: '1073741823', format: zeroPadded(10) },
      duration_us: { placeholder: String(Number.MAX_SAFE_INTEGER), format: zeroPadded(16) },
      'capture.stopped_by': { placeholder: 'unfinished'.padEnd(16), format: spacePadded(16) },
    };
    const out = new CaptureFile(file, fields);
    const w = new TraceWriter((c) => out.write(c), {
      memPages: 1073741823, pageSize: 4096, durationUs: Number.MAX_SAFE_INTEGER, intervalUs: 1000,
      extra: { 'capture.stopped_by': 'unfinished'.padEnd(16) },
    }, { form: 'stream', batchPages: 2 ** 31 });
    out.set('capture.stopped_by', 'unfinished');
    expect(fs.readFileSync(file, 'utf8')).toBe('older file'); // untouched until the first commit
    let mem = 0;
    for (let batch = 0; batch < 4; batch++) {
      for (let e = 0; e < 3; e++) {
        const t = (batch * 3 + e) * 1000;
        const pages = [batch * 10 + e, 100 + batch * 10 + e];
        mem = Math.max(mem, pages[1]! + 1);
        w.epoch(t, pages);
      }
      w.flush();
      out.set('mem_pages', mem);
      out.set('duration_us', (batch * 3 + 3) * 1000);
      out.commit();
      // what a reader would find if migreplay were killed right now
      const trace = openTrace(bytesSource('snapshot', new Uint8Array(fs.readFileSync(file))));
      expect(trace.summary.epochs).toBe((batch + 1) * 3);
      expect(trace.meta.memPages).toBe(mem);
      expect(trace.meta.durationUs).toBe((batch + 1) * 3000);
      expect(trace.meta.raw['capture.stopped_by']!.trim()).toBe('unfinished');
      expect(trace.meta.raw.mem_pages).toMatch(/^\d{10}$/);
    }
    out.set('capture.stopped_by', 'SIGTERM');
    w.close();
    out.close();
    const trace = openTrace(fileSource(file));
    expect(trace.meta.raw['capture.stopped_by']!.trim()).toBe('SIGTERM');
    expect(trace.summary.epochs).toBe(12);
    expect(fs.readdirSync(TMP).filter((f) => f.includes('.capture-'))).toEqual([]);
  });

  test('command-line options: the command after -- verbatim, durations with units', () => {
    const o = captureOptions({ out: 'x.arrow', '--': ['sleep', '5', '007', '1e3'], interval: '20ms', duration: '1.5s', batch: '500ms' });
    expect(o.command).toEqual(['sleep', '5', '007', '1e3']);
    expect(o.intervalUs).toBe(20_000);
    expect(o.durationUs).toBe(1_500_000);
    expect(o.batchUs).toBe(500_000);
    expect(captureOptions({ out: 'x', pid: 12 }).pid).toBe(12);
    expect(shellJoin(['python3', '-c', "print('hi')"])).toBe(`python3 -c 'print('\\''hi'\\'')'`);
  });

  test('usage errors stop before anything runs (exit 2)', async () => {
    await expectError(runCapture({ out: tmp('u.arrow') }), 2, /give a command after --, or --pid N/);
    await expectError(runCapture({ out: tmp('u.arrow'), pid: 1, command: ['true'] }), 2, /only one of/);
    await expectError(runCapture({ out: tmp('u.arrow'), command: ['true'], intervalUs: 10 }), 2, /--interval/);
    expect(fs.existsSync(tmp('u.arrow'))).toBe(false);
  });

  test('without the helper, capture says it is unavailable in one line (exit 1)', async () => {
    const saved = process.env[HELPER_ENV];
    process.env[HELPER_ENV] = tmp('no-such-helper');
    try {
      await expectError(runCapture({ out: tmp('h.arrow'), command: ['true'] }), 1, /capture is unavailable/);
    } finally {
      if (saved === undefined) delete process.env[HELPER_ENV];
      else process.env[HELPER_ENV] = saved;
    }
  });
});

// ---------------------------------------------------------------- real captures

suite('capture: Linux processes', { timeout: 30_000 }, () => {
  test('the captured pages match the pages written, phase by phase', async () => {
    const out = tmp('phases.arrow');
    const truthFile = tmp('phases.truth');
    const map = tmp('phases.map.csv');
    const r = await runCapture({ out, command: [ENV.phases, truthFile], intervalUs: 50_000, pageMap: map });
    expect(r).toMatchObject({ stoppedBy: 'target-exit', exitStatus: 0, pageSize: 4096 });
    const trace = openTrace(fileSource(out));
    expect(trace.meta.source).toBe(ENV.probe.softdirty === '1' ? 'softdirty' : 'pagemap-scan');
    expect(trace.meta.intervalUs).toBe(50_000);
    expect(trace.meta.raw['capture.stopped_by']!.trim()).toBe('target-exit');
    expect(JSON.parse(trace.meta.raw['capture.command']!)).toEqual([ENV.phases, truthFile]);
    const t0 = Number(trace.meta.raw['capture.t0_monotonic_ns']);
    const us = (ns: number) => (ns - t0) / 1000;

    // the ground truth
    const lines = fs.readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(lines[lines.length - 1]![0]).toBe('done');
    const watched: [number, number][] = lines.filter((l) => l[0] === 'map').map((l) => [Number(l[2]), Number(l[2]) + Number(l[3])]);
    const isWatched = (vpn: number) => watched.some(([a, b]) => vpn >= a && vpn < b);
    const phases = lines.filter((l) => l[0] === 'phase').map((l) => ({
      name: l[1]!, start: us(Number(l[2])), end: us(Number(l[3])), sync: us(Number(l[4])), vpns: l.slice(6).map(Number),
    }));
    const writes = lines.filter((l) => l[0] === 'write').map((l) => ({ vpn: Number(l[1]), t: us(Number(l[2])) }));
    expect(phases.map((p) => p.name)).toEqual(['settle', 'firsttouch', 'random0', 'random1', 'random2', 'random3', 'readonly', 'zeroread', 'zerowrite', 'slow', 'dontneed_rewrite', 'remap', 'dense8', 'idle']);

    // the capture, as virtual pages of the watched buffers
    const toVpn = pageMap(map);
    const epochs = epochsOf(trace).map((e, i) => ({ ...e, vpns: Array.from(e.pages, (p) => toVpn(p, i)!).filter(isWatched) }));
    expect(epochs.length).toBeGreaterThan(20);

    // A phase's writes lie in the epochs that end after the previous phase's sync and by its own.
    const report = phases.map((p, i) => {
      const from = i === 0 ? -Infinity : phases[i - 1]!.sync;
      const got = new Set<number>();
      for (const e of epochs) if (e.end > from && e.end <= p.sync) for (const v of e.vpns) got.add(v);
      const want = new Set(p.vpns);
      return {
        name: p.name,
        pages: want.size,
        missing: [...want].filter((v) => !got.has(v)).length,
        extra: [...got].filter((v) => !want.has(v)).length,
      };
    });
    expect(report).toEqual(phases.map((p) => ({ name: p.name, pages: new Set(p.vpns).size, missing: 0, extra: 0 })));
    expect(report.find((p) => p.name === 'firsttouch')!.pages).toBe(2048);
    const last = phases[phases.length - 1]!.sync;
    expect(epochs.filter((e) => e.end > last).flatMap((e) => e.vpns)).toEqual([]);

    // Real epoch times: each slow write is in exactly one epoch, whose span holds its time.
    expect(writes).toHaveLength(300);
    const slack = 5000; // µs: clock reads and the scan itself
    for (const w of writes) {
      const holding = epochs.filter((e) => e.vpns.includes(w.vpn) && e.end > phases[8]!.sync && e.end <= phases[9]!.sync);
      expect(holding, `page ${w.vpn} written at ${w.t} µs`).toHaveLength(1);
      expect(holding[0]!.start - slack).toBeLessThanOrEqual(w.t);
      expect(holding[0]!.end + slack).toBeGreaterThanOrEqual(w.t);
    }
    // the slow phase spans many epochs
    expect(new Set(writes.map((w) => epochs.findIndex((e) => e.vpns.includes(w.vpn) && e.end > phases[8]!.sync))).size).toBeGreaterThan(8);
  });

  test('attaches to a running process and detaches leaving it running, unchanged', async () => {
    const info = tmp('writer.info');
    const hb = tmp('writer.hb');
    const child = spawn(ENV.writer, [info, hb], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      await waitFor('the writer to start', () => fs.existsSync(info) && fs.readFileSync(info, 'utf8').includes('\n'));
      const [, base, n] = fs.readFileSync(info, 'utf8').trim().split(' ').map(Number);
      const fdsBefore = fs.readdirSync(`/proc/${pid}/fd`).sort();
      const mapsBefore = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').length;
      const map = tmp('attach.map.csv');
      const r = await runCapture({ out: tmp('attach.arrow'), pid, durationUs: 1_000_000, intervalUs: 50_000, pageMap: map });
      expect(r).toMatchObject({ stoppedBy: 'duration', targetRunning: true, pid });

      // still running, not traced, not stopped, same descriptors
      expect(alive(pid)).toBe(true);
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(status).toMatch(/^TracerPid:\s+0$/m);
      expect(status).not.toMatch(/^State:\s+[tT]/m);
      expect(fs.readdirSync(`/proc/${pid}/fd`).sort()).toEqual(fdsBefore);
      expect(fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').length).toBe(mapsBefore);
      // and still working
      const beat = () => Number(fs.readFileSync(hb, 'utf8').trim() || 0);
      const b0 = beat();
      await waitFor('the writer to go on', () => beat() > b0, 3000);

      // what it wrote: 16 pages every 20 ms, all in its buffer
      const trace = openTrace(fileSource(tmp('attach.arrow')));
      expect(trace.meta.raw['capture.mode']).toBe('attach');
      const toVpn = pageMap(map);
      const inBuf = (p: number, i: number) => { const v = toVpn(p, i)!; return v >= base! && v < base! + n!; };
      const epochs = epochsOf(trace);
      expect(epochs.length).toBeGreaterThanOrEqual(15);
      const busy = epochs.filter((e, i) => Array.from(e.pages).filter((p) => inBuf(p, i)).length >= 16);
      expect(busy.length).toBeGreaterThanOrEqual(epochs.length - 2);

      // the registrations went with the helper: a second capture attaches as well
      const r2 = await runCapture({ out: tmp('attach2.arrow'), pid, durationUs: 300_000, intervalUs: 50_000 });
      expect(r2).toMatchObject({ targetRunning: true });
      expect(r2.epochs).toBeGreaterThanOrEqual(4);
      expect(alive(pid)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('memory that moves: page numbers are reused like page frames', async () => {
    const map = tmp('churn.map.csv');
    const r = await runCapture({ out: tmp('churn.arrow'), command: [ENV.churn], intervalUs: 50_000, pageMap: map });
    expect(r).toMatchObject({ stoppedBy: 'target-exit', exitStatus: 0 });
    const rows = fs.readFileSync(map, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(new Set(rows.map((x) => x[1])).size).toBeGreaterThanOrEqual(10_000); // ten buffers of 1000 pages, each at new addresses
    const trace = openTrace(fileSource(tmp('churn.arrow')));
    expect(trace.meta.memPages).toBeLessThan(3000); // about one buffer, plus the program itself
    expect(trace.summary.events).toBeGreaterThanOrEqual(10_000);
  });

  test('python3 rewriting a buffer for 2 s: the trace inspects and replays with every algorithm', async () => {
    const code = 'import time\nb = bytearray(32 << 20)\nt = time.time()\nwhile time.time() - t < 2:\n    for i in range(0, len(b), 4096 * 3): b[i] = (b[i] + 1) & 255\n';
    const out = tmp('python.arrow');
    const r = await runCapture({ out, command: ['python3', '-c', code], compression: 'zstd' });
    expect(r).toMatchObject({ stoppedBy: 'target-exit', exitStatus: 0 });
    expect(r.durationUs).toBeGreaterThan(1.9e6);
    const trace = openTrace(fileSource(out));
    expect(trace.summary.epochs).toBe(r.epochs);
    expect(trace.meta.memPages).toBe(r.memPages);
    const k = kernel();
    const stats = traceStats(trace, k);
    expect(stats.distinctPages).toBeGreaterThan(2700); // 32 MiB / 12 KiB pages rewritten
    expect(stats.dirtyPerEpoch.max).toBeGreaterThan(1000);
    for (const a of algorithms) {
      const res = replay(trace, a, kernel());
      expect(res.pagesSent, a.id).toBeGreaterThanOrEqual(r.memPages);
    }
  });

  test('a command that does not exist: exit 2, the older output untouched', async () => {
    const out = tmp('keep.arrow');
    fs.writeFileSync(out, 'previous trace');
    await expectError(runCapture({ out, command: [tmp('no-such-program')] }), 2, /cannot run '.*no-such-program': No such file/);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous trace');
    expect(fs.readdirSync(TMP).filter((f) => f.includes('.capture-'))).toEqual([]);
  });

  test('errors: no such process (2), a missing output folder (2), mechanisms this kernel lacks (1)', async () => {
    const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    let free = pidMax - 1;
    while (fs.existsSync(`/proc/${free}`)) free--;
    await expectError(runCapture({ out: tmp('p.arrow'), pid: free }), 2, new RegExp(`no process ${free}`));
    await expectError(runCapture({ out: tmp('no-folder/p.arrow'), command: ['true'] }), 2, /cannot write/);
    if (ENV.probe.softdirty !== '1') {
      const e = await expectError(runCapture({ out: tmp('sd.arrow'), command: ['true'], mechanism: 'softdirty' }), 1, /no soft-dirty bits/);
      expect(e.code).toBe('capture-unavailable');
    }
    const x = await expectError(runCapture({ out: tmp('xen.arrow'), xenDomid: 1 }), 1, /Xen/);
    expect(x.code).toBe('capture-unavailable');
    expect(fs.existsSync(tmp('p.arrow')) || fs.existsSync(tmp('sd.arrow')) || fs.existsSync(tmp('xen.arrow'))).toBe(false);
  });
});

// The signal tests run the command line in a process of its own (the built dist/).
const CLI = path.join(FIXTURES, 'cli.mjs');
const BUILT = fs.existsSync(path.join(ROOT, 'dist/cli/capture.js'));

function runCli(args: string[]): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'capture', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, stderr: () => err };
}

suite('capture: ending a capture', { timeout: 30_000 }, () => {
  test.skipIf(!BUILT)('SIGTERM (as Ctrl-C) ends it with a complete trace and stops the command (exit 0)', async () => {
    const out = tmp('term.arrow');
    const run = runCli(['--out', out, '--interval', '50ms', '--', ENV.writer, tmp('term.info'), tmp('term.hb')]);
    await waitFor('the first batch', () => fs.existsSync(out), 8000);
    await sleep(300);
    run.child.kill('SIGTERM');
    expect(await run.exit, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/stopped by SIGTERM/);
    const trace = openTrace(fileSource(out));
    expect(trace.meta.raw['capture.stopped_by']!.trim()).toBe('SIGTERM');
    expect(trace.summary.epochs).toBeGreaterThanOrEqual(20);
    const pid = Number(trace.meta.raw['capture.pid']);
    await waitFor('the command to be stopped', () => !alive(pid), 5000);
  });

  test.skipIf(!BUILT)('SIGKILL of migreplay still leaves a valid trace of the committed batches', async () => {
    const out = tmp('kill.arrow');
    const run = runCli(['--out', out, '--batch', '200ms', '--compression', 'zstd', '--', ENV.writer, tmp('kill.info'), tmp('kill.hb')]);
    await waitFor('the first batch', () => fs.existsSync(out), 8000);
    await sleep(700);
    run.child.kill('SIGKILL');
    await run.exit;
    const trace = openTrace(fileSource(out));
    expect(trace.meta.raw['capture.stopped_by']!.trim()).toBe('unfinished');
    expect(trace.summary.epochs).toBeGreaterThanOrEqual(4);
    expect(trace.summary.durationInferred).toBe(false);
    // the helper noticed and stopped the command
    const pid = Number(trace.meta.raw['capture.pid']);
    await waitFor('the command to be stopped', () => !alive(pid), 8000);
  });
});

// ---------------------------------------------------------------- the log-dirty (Xen) path

suite('capture: --json', { timeout: 60_000 }, () => {
  test.skipIf(!BUILT)("stdout holds the JSON document alone; the command's own stdout goes to stderr", () => {
    const out = tmp('json.arrow');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/migreplay.js'), 'capture', '--out', out, '--json', '--quiet', '--', 'sh', '-c', 'echo FROM-THE-COMMAND'],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.out).toBe(out);
    expect(doc.stoppedBy).toBe('target-exit');
    expect(r.stdout).not.toContain('FROM-THE-COMMAND');
    expect(r.stderr).toContain('FROM-THE-COMMAND');
  });
});

suite('capture: a command that starts other processes', { timeout: 60_000 }, () => {
  test.skipIf(!BUILT)('with --no-children the processes seen under the captured one are named, on stderr and in --json, as not recorded', () => {
    const out = tmp('tree.arrow');
    // A shell that runs a writer as a child (not exec'd: `; true` keeps the shell waiting).
    const script = `${ENV.writer} ${tmp('tree.info')} ${tmp('tree.hb')} & sleep 1; kill $!; wait; true`;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/migreplay.js'), 'capture', '--out', out, '--json', '--no-children', '--', 'sh', '-c', script],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const names = doc.unrecorded.map((c: { command: string }) => c.command);
    expect(names).toContain(path.basename(ENV.writer).slice(0, 15));
    expect(doc.processes.map((p: { pid: number }) => p.pid)).toEqual([doc.pid]);
    expect(r.stderr).toMatch(new RegExp(`^migreplay: capture: the trace holds the page writes of process ${doc.pid} \\(sh\\) alone \\(--no-children\\), not those of the \\d+ child process(es)? seen under it: .*${path.basename(ENV.writer)}`, 'm'));
    expect(doc.notes.some((n: string) => n.startsWith('the trace holds the page writes of process'))).toBe(true);
  });

  test.skipIf(!BUILT)('a command that starts nothing has no such note', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/migreplay.js'), 'capture', '--out', tmp('alone.arrow'), '--json', '--', ENV.churn],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).unrecorded).toEqual([]);
    expect(r.stderr).not.toMatch(/child process/);
  });
});

// A child that writes N distinct pages from a thread of its own, then lives on for a few epochs.
const CHILD_WRITER = `#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
static long n;
static volatile char *p;
static void *run(void *a) { for (long i = 0; i < n; i++) p[i * 4096] = 1; return a; }
int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  p = mmap(0, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  pthread_t t;
  if (pthread_create(&t, 0, run, 0) || pthread_join(t, 0)) return 1;
  usleep(200000);
  return 0;
}
`;

const childWriter = () => compiled('childwriter', CHILD_WRITER, ['-pthread']);

function captureJson(args: string[]): { status: number | null; stderr: string; doc: any } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/migreplay.js'), 'capture', '--json', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stderr: r.stderr, doc: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

// Writes N pages, then forks a child that execs /bin/true (fork, not vfork), waits, lives on a little.
const BIG_FORKER = `#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  volatile char *p = mmap(0, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (long i = 0; i < n; i++) p[i * 4096] = 1;
  for (int k = 0; k < 5; k++) {
    pid_t c = fork();
    if (c == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
    if (c < 0 || waitpid(c, 0, 0) != c) return 1;
    usleep(60000);
  }
  return 0;
}
`;

// Starts argv[1…] from a second thread (ptrace reports only the forks of the threads it traces).
const THREAD_SPAWNER = `#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
static char **args;
static void *run(void *a) {
  pid_t c = fork();
  if (c == 0) { execv(args[0], args); _exit(127); }
  if (c > 0) waitpid(c, 0, 0);
  return a;
}
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  args = argv + 1;
  pthread_t t;
  if (pthread_create(&t, 0, run, 0) || pthread_join(t, 0)) return 1;
  return 0;
}
`;

// Runs a program under a seccomp filter that refuses userfaultfd(2): a process pagemap-scan cannot set up.
const NO_UFFD = `#include <errno.h>
#include <stddef.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_userfaultfd, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
  if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) return 1;
  execv(argv[1], argv + 1);
  return 127;
}
`;

function compiled(name: string, source: string, flags: string[] = []): string | undefined {
  const bin = tmp(name);
  if (fs.existsSync(bin)) return bin;
  fs.writeFileSync(`${bin}.c`, source);
  const r = spawnSync(ENV.cc, ['-O2', ...flags, '-o', bin, `${bin}.c`], { encoding: 'utf8' });
  return r.status === 0 ? bin : undefined;
}

suite('capture: the process tree is followed', { timeout: 120_000 }, () => {
  const N = 2000;
  test.skipIf(!BUILT)(`a shell's child writing ${N} pages from a thread is recorded, listed in --json and in the metadata, its pages in --page-map`, () => {
    const bin = childWriter();
    expect(bin, 'compiling the child writer').toBeDefined();
    const out = tmp('followed.arrow');
    const map = tmp('followed.csv');
    const r = captureJson(['--out', out, '--page-map', map, '--', 'sh', '-c', `${bin} ${N}; true`]);
    expect(r.status, r.stderr).toBe(0);
    const doc = r.doc;
    const child = doc.processes.find((p: { command: string }) => p.command === 'childwriter');
    expect(doc.processes[0]).toMatchObject({ pid: doc.pid, command: 'sh' });
    expect(child, JSON.stringify(doc.processes)).toBeDefined();
    expect(child.ppid).toBe(doc.pid);
    expect(child.pages).toBeGreaterThanOrEqual(N);
    expect(doc.events).toBeGreaterThanOrEqual(N);
    expect(doc.unrecorded).toEqual([]);
    expect(r.stderr).toMatch(new RegExp(`^  pid ${child.pid} \\(childwriter\\), child of ${doc.pid}: ${child.pages} page writes$`, 'm'));
    // the trace: both processes in its metadata, enough room for the child's pages
    const trace = openTrace(fileSource(out));
    expect(trace.meta.raw['capture.children']).toBe('followed');
    const listed = JSON.parse(trace.meta.raw['capture.processes']!.trim());
    expect(listed.map((p: { pid: number }) => p.pid).sort()).toEqual([doc.pid, child.pid].sort());
    expect(Number(trace.meta.raw['capture.process_count'])).toBe(doc.processes.length);
    expect(trace.meta.memPages).toBeGreaterThanOrEqual(N);
    // the page map says which process each number belongs to; the child's numbers are its own
    const rows = fs.readFileSync(map, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('page,vpn,epoch,pid');
    const childRows = rows.slice(1).map((l) => l.split(',').map(Number)).filter((f) => f[3] === child.pid);
    expect(childRows.length).toBeGreaterThanOrEqual(N);
  });

  test.skipIf(!BUILT)('with --no-children the same command records the shell alone: far fewer pages', () => {
    const bin = childWriter();
    expect(bin, 'compiling the child writer').toBeDefined();
    const out = tmp('notfollowed.arrow');
    const map = tmp('notfollowed.csv');
    const r = captureJson(['--out', out, '--page-map', map, '--no-children', '--', 'sh', '-c', `${bin} ${N}; true`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.doc.processes.map((p: { pid: number }) => p.pid)).toEqual([r.doc.pid]);
    expect(r.doc.events).toBeLessThan(N / 4);
    expect(r.doc.unrecorded.map((c: { command: string }) => c.command)).toContain('childwriter');
    expect(openTrace(fileSource(out)).meta.raw['capture.children']).toBe('not-followed');
    expect(fs.readFileSync(map, 'utf8').split('\n')[0]).toBe('page,vpn,epoch');
  });

  test('--pid: the children already running and those started during the capture are recorded; all are left running', async () => {
    const sh = spawn('sh', ['-c', 'sleep 30 & while :; do sleep 0.1; done'], { stdio: 'ignore' });
    try {
      const children = () => fs.readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      const cmdline = (c: number) => { try { return fs.readFileSync(`/proc/${c}/cmdline`, 'utf8'); } catch { return ''; } };
      let long: number | undefined;
      await waitFor('the `sleep 30` child', () => (long = children().find((c) => cmdline(c) === 'sleep\x0030\x00')) !== undefined);
      const r = await runCapture({ out: tmp('tree-attach.arrow'), pid: sh.pid!, durationUs: 1_000_000, intervalUs: 50_000 });
      expect(r.targetRunning).toBe(true);
      expect(r.processes[0]!.pid).toBe(sh.pid);
      const pids = r.processes.map((p) => p.pid);
      expect(pids).toContain(long); // running at the attach
      expect(r.processes.filter((p) => p.command === 'sleep' && p.ppid === sh.pid).length).toBeGreaterThanOrEqual(3); // at most one `sleep 0.1` ran at the attach: the others started during it
      expect(r.unrecorded).toEqual([]);
      expect(alive(sh.pid!)).toBe(true);
      expect(alive(long!)).toBe(true); // released, not killed
    } finally {
      sh.kill('SIGKILL');
    }
  });

  test.skipIf(!BUILT || ENV.probe['pagemap-scan'] !== '1')('a child that cannot be set up (seccomp refuses userfaultfd) is left out with a note; the capture goes on', () => {
    const bin = childWriter();
    const noUffd = compiled('nouffd', NO_UFFD);
    expect(bin && noUffd, 'compiling the test programs').toBeTruthy();
    const r = captureJson(['--out', tmp('nouffd.arrow'), '--mechanism', 'pagemap-scan', '--', 'sh', '-c', `${noUffd} ${bin} 300; ${bin} 400; true`]);
    expect(r.status, r.stderr).toBe(0);
    const doc = r.doc;
    expect(r.stderr).toMatch(/^migreplay: capture: process \d+ \(childwriter\) under the target cannot be recorded: userfaultfd\(\) inside process \d+ failed: Operation not permitted$/m);
    const writers = doc.processes.filter((p: { command: string }) => p.command === 'childwriter');
    expect(writers).toHaveLength(1); // the second one, not sandboxed
    expect(writers[0].pages).toBeGreaterThanOrEqual(400);
    expect(doc.unrecorded.map((c: { command: string }) => c.command)).toContain('childwriter');
    expect(doc.unrecorded.map((c: { pid: number }) => c.pid)).not.toContain(writers[0].pid);
  });

  test('a child still running when the command exits is released and runs on', async () => {
    const pidFile = tmp('bg.pid');
    const r = await runCapture({ out: tmp('bg.arrow'), command: ['sh', '-c', `sleep 5 & echo $! > ${pidFile}; sleep 0.3`], intervalUs: 50_000 });
    const bg = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(r.stoppedBy).toBe('target-exit');
      expect(r.processes.map((p) => p.pid)).toContain(bg);
      await sleep(300);
      expect(alive(bg)).toBe(true);
      expect(fs.readFileSync(`/proc/${bg}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
    } finally {
      try { process.kill(bg, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  test('a large process that forks: the copy-on-write copy is not counted twice in mem_pages', async () => {
    const bin = compiled('bigforker', BIG_FORKER);
    expect(bin, 'compiling the forker').toBeDefined();
    const n = 20_000;
    const r = await runCapture({ out: tmp('bigfork.arrow'), command: [bin!, String(n)], intervalUs: 20_000 });
    expect(r.processes.filter((p) => p.command === 'true')).toHaveLength(5);
    expect(r.memPages).toBeGreaterThanOrEqual(n);
    expect(r.memPages).toBeLessThan(n * 1.5);
  });

  test('a child forked by a thread other than the main one is found at the next epoch and recorded', async () => {
    const bin = childWriter();
    const spawner = compiled('threadspawner', THREAD_SPAWNER, ['-pthread']);
    expect(bin && spawner, 'compiling the test programs').toBeTruthy();
    const r = await runCapture({ out: tmp('threadfork.arrow'), command: [spawner!, bin!, '1500'], intervalUs: 50_000 });
    const child = r.processes.find((p) => p.command === 'childwriter');
    expect(child, JSON.stringify(r.processes)).toBeDefined();
    expect(child!.ppid).toBe(r.pid);
    expect(child!.pages).toBeGreaterThanOrEqual(1500); // written before it was found: its resident pages count in the epoch it was found
    expect(r.unrecorded).toEqual([]);
  });

  test.skipIf(!BUILT)('a command that starts nothing: one process, holding every page write; the trace has the keys it had', () => {
    const out = tmp('single.arrow');
    const r = captureJson(['--out', out, '--', ENV.churn]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.doc.processes).toHaveLength(1);
    expect(r.doc.processes[0]).toMatchObject({ pid: r.doc.pid, pages: r.doc.events });
    const trace = openTrace(fileSource(out));
    for (const key of ['mem_pages', 'page_size', 'interval_us', 'duration_us', 'source', 'workload', 'description', 'capture.command', 'capture.pid',
      'capture.mode', 'capture.stopped_by', 'capture.numbering', 'capture.t0_monotonic_ns', 'capture.started_at', 'capture.kernel', 'capture.baseline_pages', 'capture.tool']) {
      expect(trace.meta.raw[key], key).toBeDefined();
    }
    expect(trace.meta.memPages).toBe(r.doc.memPages);
    expect(epochsOf(trace).reduce((n, e) => n + e.pages.length, 0)).toBe(r.doc.events);
  });
});

suite('capture: log-dirty path with a fake dirty log (the Xen code path without Xen)', { timeout: 30_000 }, () => {
  test('each cleaned bitmap becomes one epoch; the log is enabled, cleaned and turned off', async () => {
    const log = tmp('fake.log');
    fs.writeFileSync(log, [
      '# baseline, then four epochs',
      'pages 1000', 'bits 1200',
      'epoch 1 2 3',
      'epoch 10-19 500', 'epoch', 'epoch 999 1100-1105', 'epoch 0 63 64 127 128',
    ].join('\n') + '\n');
    const calls = tmp('fake.calls');
    const out = tmp('fake.arrow');
    const r = await runCapture({ out, fakeDirtylog: log, fakeCalls: calls, intervalUs: 10_000, durationUs: 150_000 });
    expect(r).toMatchObject({ stoppedBy: 'duration', source: 'fake-logdirty', memPages: 1106 });
    const trace = openTrace(fileSource(out));
    expect(trace.meta.memPages).toBe(1106);
    expect(trace.meta.raw['capture.numbering']).toBe('frame');
    const epochs = epochsOf(trace);
    expect(epochs.slice(0, 4).map((e) => Array.from(e.pages))).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 500], [], [999, 1100, 1101, 1102, 1103, 1104, 1105], [0, 63, 64, 127, 128],
    ]);
    expect(epochs.slice(4).every((e) => e.pages.length === 0)).toBe(true);
    expect(epochs.length).toBeGreaterThanOrEqual(8);
    const seq = fs.readFileSync(calls, 'utf8').trim().split('\n');
    expect(seq.slice(0, 3)).toEqual(['open', 'enable', 'clean']);
    expect(seq.slice(-2)).toEqual(['disable', 'close']);
    expect(seq.filter((c) => c === 'clean')).toHaveLength(epochs.length + 1);
  });

  test('stopped by a signal it still turns the log off; a vanished guest ends the capture', async () => {
    const log = tmp('fake2.log');
    fs.writeFileSync(log, 'pages 64\nepoch\nepoch 1\n');
    const calls = tmp('fake2.calls');
    const h = await startCapture({ out: tmp('fake2.arrow'), fakeDirtylog: log, fakeCalls: calls, intervalUs: 10_000 });
    await sleep(150);
    h.stop('SIGINT');
    const r = await h.done;
    expect(r.stoppedBy).toBe('SIGINT');
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n').slice(-2)).toEqual(['disable', 'close']);

    fs.writeFileSync(log, 'pages 64\nepoch\nepoch 5\nepoch 6\ngone\n');
    const r2 = await runCapture({ out: tmp('fake3.arrow'), fakeDirtylog: log, fakeCalls: calls, intervalUs: 10_000 });
    expect(r2).toMatchObject({ stoppedBy: 'target-exit', epochs: 2, events: 2 });
    expect(fs.readFileSync(calls, 'utf8')).not.toMatch(/disable/); // nothing to turn off on a domain that is gone
  });
});

// The helper's own usage checks (it is also run by hand while debugging).
suite('capture: helper binary', () => {
  test('--probe reports the mechanisms; bad arguments are refused', () => {
    const out = execFileSync(ENV.helper, ['--probe'], { encoding: 'utf8' });
    expect(out).toMatch(/^softdirty=[01]\npagemap-scan=[01]\nxen=[01]\nprotocol=2\n$/);
    const r = spawnSync(ENV.helper, ['--interval-us', '5'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});
