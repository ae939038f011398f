// `migreplay fleet` (src/run/fleet.ts, docs/fleet.md): the identities the model promises —
// one guest alone is replay, sequential is single replays one after another, n identical
// guests in parallel are one guest at B / n — a hand-worked two-guest case in which the
// guest finishing first hands its share to the other, caps, plan files, and the command.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findAlgorithm } from '../src/algorithms/index.js';
import type { ReplayResult } from '../src/engine/types.js';
import { MigreplayError } from '../src/errors.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import { fairShares, runFleet, type FleetGuest, type FleetPlan } from '../src/run/fleet.js';
import { readFleetPlan } from '../src/run/fleet-plan.js';
import { replay } from '../src/run/replay.js';
import { readTable } from '../src/io/tables/index.js';
import { openTrace } from '../src/trace/read.js';
import { TraceWriter } from '../src/trace/write.js';
import { cli } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shipped = (name: string): string => path.join(ROOT, 'traces', `${name}.arrow`);
const GBIT = 1e9 / 8;
// Each guest is a worker thread that loads its trace and kernel: generous on a loaded 2-core machine.
const SLOW = 120_000;
let dir: string;

/** What replay gives for one guest alone on a link of `bandwidth` bytes/s. */
function single(g: FleetGuest, bandwidth: number): ReplayResult {
  const trace = openTrace(fileSource(g.trace));
  return replay(trace, findAlgorithm(g.algorithm)!, createKernel('wasm'), { bandwidthBytesPerS: g.maxBandwidthBytesPerS ?? bandwidth, startS: g.startS ?? 0 }, g.params ?? {});
}

/** A trace of `pages` pages whose one write comes long after any migration here ends: every migration sends each page once. */
function quietTrace(file: string, pages: number): void {
  const chunks: Uint8Array[] = [];
  const w = new TraceWriter((c) => chunks.push(c.slice()), { memPages: pages, pageSize: 4096, intervalUs: 1_000_000, durationUs: 1_000_000_000, source: 'synthetic', workload: 'fleet-test' });
  w.epoch(0, []);
  w.epoch(999_000_000, [0]);
  w.close();
  fs.writeFileSync(file, Buffer.concat(chunks));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-fleet-'));
  quietTrace(path.join(dir, 'a.arrow'), 1000);
  quietTrace(path.join(dir, 'b.arrow'), 3000);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fairShares (max-min fair, with caps)', () => {
  test('equal shares without caps; exactly B / n', () => {
    expect(fairShares([10, 10, 10], 9)).toEqual([3, 3, 3]);
    expect(fairShares([GBIT, GBIT, GBIT], GBIT)).toEqual([GBIT / 3, GBIT / 3, GBIT / 3]);
  });
  test('a capped flow gets its cap and the rest share what is left', () => {
    expect(fairShares([1, 10, 10], 9)).toEqual([1, 4, 4]);
    expect(fairShares([10, 2, 3], 12)).toEqual([7, 2, 3]);
    expect(fairShares([2, 3], 12)).toEqual([2, 3]); // the link is not full: each at its cap
  });
  test('one flow alone: its cap, or the link', () => {
    expect(fairShares([5], 12)).toEqual([5]);
    expect(fairShares([50], 12)).toEqual([12]);
  });
});

describe('the identities', () => {
  test('one guest alone equals replay, for every pre-copy algorithm', async () => {
    for (const algorithm of ['precopy', 'xen', 'xen-v2', 'ma2010', 'threshold', 'advance-xenvmc', 'vcpu-limit', 'qemu', 'auto-converge']) {
      const g: FleetGuest = { trace: shipped('redis_bench'), algorithm };
      const f = await runFleet({ bandwidthBytesPerS: GBIT, policy: 'sequential', guests: [g] });
      expect(f.guests[0]!.result, algorithm).toEqual(single(g, GBIT));
      expect(f.makespanS).toBe(f.guests[0]!.result.totalTimeS);
    }
  }, SLOW);

  test('a guest with its own start, cap, parameters and zero pages (data_pages) alone equals replay', async () => {
    const g: FleetGuest = { trace: shipped('xz6'), algorithm: 'qemu', startS: 3, maxBandwidthBytesPerS: GBIT / 2, params: { 'downtime-limit': '100ms', 'stop-time': '2ms' } };
    const f = await runFleet({ bandwidthBytesPerS: 10 * GBIT, policy: 'parallel', guests: [g] });
    expect(f.guests[0]!.result).toEqual(single(g, 10 * GBIT));
  }, SLOW);

  test('sequential equals single replays started one after another', async () => {
    const guests: FleetGuest[] = [
      { trace: shipped('xz6'), algorithm: 'xen' },
      { trace: shipped('redis_bench'), algorithm: 'qemu' },
      { trace: shipped('gzip9'), algorithm: 'ma2010' },
    ];
    const f = await runFleet({ bandwidthBytesPerS: GBIT, policy: 'sequential', guests });
    let t = 0;
    f.guests.forEach((x, i) => {
      const alone = single(guests[i]!, GBIT);
      expect(x.result).toEqual(alone);
      expect(x.beginS).toBeCloseTo(t, 9);
      t += alone.totalTimeS;
      expect(x.endS).toBeCloseTo(t, 9);
      // Alone on the link: the whole of it whenever it sends.
      expect(x.shares.every((s) => s[2] === GBIT)).toBe(true);
    });
    expect(f.makespanS).toBeCloseTo(t, 9);
    expect(f.order).toEqual(['xz6', 'redis_bench', 'gzip9']);
  }, SLOW);

  test('n identical guests in parallel equal one guest at B / n', async () => {
    const n = 3;
    const g: FleetGuest = { trace: shipped('sqlite_inserts'), algorithm: 'xen' };
    const f = await runFleet({ bandwidthBytesPerS: GBIT, policy: 'parallel', guests: Array.from({ length: n }, () => g) });
    const { params: _p, ...alone } = single(g, GBIT / n);
    for (const x of f.guests) {
      const { params: _q, ...got } = x.result;
      expect(got).toEqual(alone);
      expect(x.endS).toBe(alone.totalTimeS);
      expect(x.shares.every((s) => s[2] === GBIT / n)).toBe(true);
    }
    expect(f.guests.map((x) => x.name)).toEqual(['sqlite_inserts', 'sqlite_inserts#2', 'sqlite_inserts#3']);
  }, SLOW);
});

describe('a hand-worked two-guest case', () => {
  // A: 1000 pages, B: 3000 pages of 4 KiB, nothing dirtied; the link carries 1000 pages/s.
  const link = 1000 * 4096;
  const guests = (): FleetGuest[] => [
    { trace: path.join(dir, 'a.arrow'), algorithm: 'precopy', name: 'A' },
    { trace: path.join(dir, 'b.arrow'), algorithm: 'precopy', name: 'B' },
  ];

  test('parallel: A ends at 2 s and hands its half to B, which ends at 4 s', async () => {
    // Both at 500 pages/s: A's 1000 pages take 2 s; B has 2000 left, at 1000 pages/s: 2 s more.
    const f = await runFleet({ bandwidthBytesPerS: link, policy: 'parallel', guests: guests() });
    const [a, b] = f.guests;
    expect(a!.result.totalTimeS).toBe(2);
    expect(b!.result.totalTimeS).toBe(4);
    expect(a!.shares).toEqual([[0, 2, link / 2]]);
    expect(b!.shares).toEqual([[0, 2, link / 2], [2, 4, link]]);
    expect(a!.result.pagesSent + b!.result.pagesSent).toBe(4000);
    expect(f.makespanS).toBe(4);
    expect(f.bytesSent).toBe(4000 * 4096);
  }, SLOW);

  test('sequential: A in 1 s, then B in 3 s', async () => {
    const f = await runFleet({ bandwidthBytesPerS: link, policy: 'sequential', guests: guests() });
    expect(f.guests.map((g) => [g.beginS, g.endS])).toEqual([[0, 1], [1, 4]]);
    expect(f.makespanS).toBe(4);
    expect(f.meanSwitchOverS).toBe(2.5); // (1 + 4) / 2
  }, SLOW);

  test('largest-first starts B first; --max-concurrent 2 runs both', async () => {
    const f = await runFleet({ bandwidthBytesPerS: link, policy: 'largest-first', guests: guests() });
    expect(f.order).toEqual(['B', 'A']);
    expect(f.guests.map((g) => [g.name, g.beginS, g.endS])).toEqual([['A', 3, 4], ['B', 0, 3]]);
    expect(f.meanSwitchOverS).toBe(3.5); // (4 + 3) / 2: the same makespan, a later mean than A first
    const two = await runFleet({ bandwidthBytesPerS: link, policy: 'shortest-first', maxConcurrent: 2, guests: guests() });
    expect(two.guests.map((g) => g.endS)).toEqual([2, 4]);
  }, SLOW);

  test('a cap: A held to 250 pages/s, B takes the other 750; both end at 4 s', async () => {
    const [a, b] = guests();
    const f = await runFleet({ bandwidthBytesPerS: link, policy: 'parallel', guests: [{ ...a!, maxBandwidthBytesPerS: link / 4 }, b!] });
    expect(f.guests.map((g) => g.endS)).toEqual([4, 4]);
    expect(f.guests[1]!.shares).toEqual([[0, 4, (3 * link) / 4]]);
  }, SLOW);

  test('not-before: B may begin at 1 s; A has the whole link until then', async () => {
    const [a, b] = guests();
    // A: 1 s alone (1000 pages/s) → 1000 pages, done at 1 s; B from 1 s alone: 3 s.
    const f = await runFleet({ bandwidthBytesPerS: link, policy: 'parallel', guests: [a!, { ...b!, notBeforeS: 1 }] });
    expect(f.guests.map((g) => [g.beginS, g.endS])).toEqual([[0, 1], [1, 4]]);
  }, SLOW);
});

describe('plans and refusals', () => {
  const refused = async (plan: FleetPlan, message: RegExp): Promise<void> => {
    const e = await runFleet(plan).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MigreplayError);
    expect((e as Error).message).toMatch(message);
  };

  test('post-copy, hybrid and the oracle cannot share a link; parameters of another algorithm are refused', async () => {
    const trace = shipped('gzip9');
    for (const algorithm of ['postcopy', 'hybrid', 'oracle']) {
      await refused({ bandwidthBytesPerS: GBIT, policy: 'parallel', guests: [{ trace, algorithm }] }, new RegExp(`${algorithm} cannot share a link`));
    }
    await refused({ bandwidthBytesPerS: GBIT, policy: 'parallel', guests: [{ trace, algorithm: 'xen', params: { 'downtime-limit': '1s' } }] }, /xen has no parameter "downtime-limit"/);
    await refused({ bandwidthBytesPerS: GBIT, policy: 'parallel', guests: [{ trace, algorithm: 'xen', startS: 99 }] }, /lies outside the trace/);
    await refused({ bandwidthBytesPerS: 0, policy: 'parallel', guests: [{ trace, algorithm: 'xen' }] }, /bandwidth must be above 0/);
  });

  test('a YAML plan: defaults, per-guest keys with units, relative traces from the plan\'s folder', () => {
    fs.writeFileSync(path.join(dir, 'plan.yaml'), [
      'bandwidth: 10Gbit', 'policy: largest-first', 'by: dirty-rate', 'max-concurrent: 2',
      'defaults:', '  algo: qemu', '  downtime-limit: 100ms',
      'guests:', '  - a.arrow', '  - trace: b.arrow', '    name: big', '    max-bandwidth: 2Gbit', '    start: 0s', '    not-before: 1s', '    stop-time: 2ms',
    ].join('\n'));
    const plan = readFleetPlan(path.join(dir, 'plan.yaml'));
    expect(plan.bandwidthBytesPerS).toBe(10 * GBIT);
    expect(plan).toMatchObject({ policy: 'largest-first', by: 'dirty-rate', maxConcurrent: 2 });
    expect(plan.guests).toEqual([
      { trace: path.join(dir, 'a.arrow'), algorithm: 'qemu', params: { 'downtime-limit': '100ms' } },
      { trace: path.join(dir, 'b.arrow'), algorithm: 'qemu', params: { 'downtime-limit': '100ms', 'stop-time': '2ms' }, name: 'big', maxBandwidthBytesPerS: 2 * GBIT, startS: 0, notBeforeS: 1 },
    ]);
    fs.writeFileSync(path.join(dir, 'plan2.yaml'), 'guests:\n  - trace: b.arrow\n    algo: xen\n    max-iters: 5\n');
    expect(readFleetPlan(path.join(dir, 'plan2.yaml')).guests[0]).toEqual({ trace: path.join(dir, 'b.arrow'), algorithm: 'xen', params: { 'max-iters': '5' } });
    // A default that the guest's algorithm does not have is refused, naming what it has.
    fs.writeFileSync(path.join(dir, 'plan3.yaml'), 'defaults:\n  downtime-limit: 1s\nguests:\n  - trace: b.arrow\n    algo: xen\n');
    expect(() => readFleetPlan(path.join(dir, 'plan3.yaml'))).toThrow(/guest 1: unknown key 'downtime-limit'.*max-iters/);
  });

  test('a plan file is read strictly: unknown and repeated keys, bad values, other extensions', () => {
    const plan = (name: string, body: string): string => {
      fs.writeFileSync(path.join(dir, name), body);
      return path.join(dir, name);
    };
    expect(() => readFleetPlan(plan('p1.json', '{"guests": ["a.arrow"], "bandwith": "1Gbit"}'))).toThrow(/unknown key 'bandwith'/);
    expect(() => readFleetPlan(plan('p2.json', '{"guests": ["a.arrow"], "policy": "parallel", "policy": "sequential"}'))).toThrow(/not valid JSON.*unique/i);
    expect(() => readFleetPlan(plan('p3.yaml', 'guests: [a.arrow]\nbandwidth: fast\n'))).toThrow(MigreplayError);
    expect(() => readFleetPlan(plan('p4.yaml', 'guests: []\n'))).toThrow(/no guests/);
    expect(() => readFleetPlan(plan('p5.yaml', 'guests: [a.arrow]\nmax-concurrent: 0\n'))).toThrow(/p5\.yaml: max-concurrent: 0 is below the least allowed value 1$/);
    expect(() => readFleetPlan(plan('p7.yaml', 'guests: [{trace: a.arrow, max-bandwidth: 100MBit/s}]\n'))).toThrow(/p7\.yaml: guest 1: max-bandwidth: /);
    expect(() => readFleetPlan(plan('p8.yaml', 'guests: [{trace: a.arrow, start: 2}]\n'))).toThrow(/p8\.yaml: guest 1: start: '2' needs a unit/);
    // A number is read as the command line reads its text: downtime-limit 300 is 300 ms, as --downtime-limit 300 is.
    const p9 = readFleetPlan(plan('p9.yaml', 'guests: [{trace: a.arrow, algo: qemu, downtime-limit: 300}]\n'));
    expect(p9.guests[0]!.params).toEqual({ 'downtime-limit': '300' });
    expect(() => readFleetPlan(plan('p6.toml', 'x'))).toThrow(/must end in .json, .yaml or .yml/);
    expect(() => readFleetPlan(path.join(dir, 'none.yaml'))).toThrow(/no such file/);
  });
});

describe('migreplay fleet', () => {
  test('a table, --json, --out per-guest rows and a --plot timeline', async () => {
    const out = path.join(dir, 'fleet.csv');
    const svg = path.join(dir, 'fleet.svg');
    const r = await cli(['fleet', shipped('redis_bench'), shipped('gzip9'), '--algo', 'xen', '--policy', 'parallel', '--out', out, '--plot', svg], { cwd: dir });
    expect(r.stderr).toContain('wrote');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fleet: 2 guests, parallel, all at once; link 1 Gbit\/s/);
    expect(r.stdout).toMatch(/makespan [\d.]+ s/);
    const table = await readTable(out);
    expect(table.rows.map((x) => x.guest)).toEqual(['redis_bench', 'gzip9']);
    const doc = JSON.parse((await cli(['fleet', shipped('redis_bench'), shipped('gzip9'), '--algo', 'xen', '--policy', 'parallel', '--json'], { cwd: dir })).stdout);
    expect(doc.migreplay.kind).toBe('fleet');
    expect(table.rows.map((x) => x.pagesSent)).toEqual(doc.fleet.guests.map((g: { result: ReplayResult }) => g.result.pagesSent));
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('Migrations over time');
    expect(text).toContain('Shares of the link');
  }, SLOW);

  test('usage errors: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['fleet'], /name the guests' traces, or a plan file/],
      [['fleet', shipped('gzip9'), '--algo', 'postcopy'], /postcopy cannot share a link/],
      [['fleet', shipped('gzip9'), '--max-concurrent', '1.5'], /--max-concurrent: '1.5' is not a whole number/],
      [['fleet', shipped('gzip9'), '--by', 'memory'], /--by orders shortest-first and largest-first/],
      [['fleet', shipped('gzip9'), '--plan', 'x.yaml'], /either as traces or in --plan/],
      [['fleet', '--plan', path.join(dir, 'plan2.yaml'), '--algo', 'qemu'], /--algo describes guests: with --plan/],
      [['fleet', shipped('gzip9'), '--out', 'x.txt'], /x\.txt/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, SLOW);

  test('twenty guests of the shipped traces, four at a time', async () => {
    const names = ['xz6', 'sort', 'node_gc', 'py_dict_sort', 'redis_bench', 'sqlite_inserts', 'gzip9'];
    const guests = Array.from({ length: 20 }, (_, i) => ({ trace: shipped(names[i % names.length]!), algorithm: i % 2 ? 'xen' : 'qemu' }));
    const f = await runFleet({ bandwidthBytesPerS: 10 * GBIT, policy: 'parallel', maxConcurrent: 4, guests });
    expect(f.guests).toHaveLength(20);
    // Never more than four at once, and never more than the link in all.
    const cuts = [...new Set(f.guests.flatMap((g) => g.shares.map((s) => s[0])))];
    for (const t of cuts) {
      const on = f.guests.filter((g) => g.shares.some((s) => s[0] <= t && t < s[1]));
      expect(on.length).toBeLessThanOrEqual(4);
      expect(on.reduce((sum, g) => sum + g.shares.find((s) => s[0] <= t && t < s[1])![2], 0)).toBeLessThanOrEqual(10 * GBIT * (1 + 1e-12));
    }
    const spans = f.guests.map((g) => [g.beginS, g.endS] as const);
    for (const [b] of spans) expect(spans.filter(([x, y]) => x <= b && b < y).length).toBeLessThanOrEqual(4);
  }, SLOW);
});

describe('the library and the report', () => {
  test('runFleet from migreplay/node checks its arguments: one MigreplayError line each', async () => {
    const lib = await import('../src/node.js');
    const good = { bandwidthBytesPerS: GBIT, policy: 'parallel', guests: [{ trace: shipped('gzip9'), algorithm: 'qemu' }] };
    const cases: [unknown, RegExp][] = [
      [undefined, /^runFleet: plan must be an object/],
      [{ ...good, bandwidthBytesPerS: '1Gbit' }, /^runFleet: plan\.bandwidthBytesPerS must be a finite number of bytes\/s > 0 \(got '1Gbit'\)/],
      [{ ...good, policy: 'fastest' }, /^runFleet: plan\.policy must be one of/],
      [{ ...good, maxConcurrent: 0 }, /^runFleet: plan\.maxConcurrent must be a whole number ≥ 1/],
      [{ ...good, guests: [] }, /^runFleet: plan\.guests must hold at least one guest/],
      [{ ...good, guests: [{ trace: shipped('gzip9') }] }, /^runFleet: plan\.guests\[0\]\.algorithm must be a non-empty string/],
      [{ ...good, guests: [{ trace: shipped('gzip9'), algorithm: 'qemu', params: { 'downtime-limit': null } }] }, /^runFleet: plan\.guests\[0\]\.params\.downtime-limit must be a number or a string/],
      [{ ...good, guests: [{ trace: shipped('gzip9'), algorithm: 'qemu', resumeMs: Infinity }] }, /^runFleet: plan\.guests\[0\]\.resumeMs must be a finite number/],
      [{ ...good, extra: 1 }, /^runFleet: plan has no option 'extra'/],
      [{ ...good, guests: [{ trace: shipped('gzip9'), algorithm: 'postcopy' }] }, /postcopy cannot share a link in a fleet/],
    ];
    for (const [plan, message] of cases) {
      const e = await lib.runFleet(plan as FleetPlan).then(() => null, (x: unknown) => x);
      expect(e, String(message)).toBeInstanceOf(MigreplayError);
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('\n');
    }
    const f = await lib.runFleet(good as FleetPlan);
    expect(f.guests[0]!.result.downtimeMs).toBeGreaterThan(0);
    const svg = await lib.fleetPlotSvg(f);
    expect(svg).toMatch(/^<svg/);
    await expect(lib.fleetPlotSvg({} as never)).rejects.toThrow(/^fleetPlotSvg: fleet must be what runFleet returned/);
  }, SLOW);

  test('a fleet document is a report input: the report shows its timeline and its guests', async () => {
    const out = path.join(dir, 'fleet-report.json');
    const r = await cli(['fleet', shipped('gzip9'), shipped('redis_bench'), '--policy', 'parallel', '--bandwidth', '1Gbit', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const html = path.join(dir, 'fleet-report.html');
    const rep = await cli(['report', out, '--out', html]);
    expect(rep.status, rep.stderr).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<section id="fleet">');
    expect(page).not.toContain('<section id="trace">');
    const lanes = page.match(/data-chart="([^"]+)"/g) ?? [];
    expect(lanes.length).toBe(2);
    expect(page).toMatch(/<td>gzip9<\/td><td>qemu<\/td>/);
    expect(page).toMatch(/<td>redis_bench<\/td><td>qemu<\/td>/);
    // A broken fleet document is one line, exit 2.
    const broken = path.join(dir, 'broken-fleet.json');
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    delete doc.fleet.makespanS;
    fs.writeFileSync(broken, JSON.stringify(doc));
    const bad = await cli(['report', broken, '--out', path.join(dir, 'broken.html')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/broken-fleet\.json: a fleet document \(fleet --json\) with missing or mistyped fields$/);
  }, SLOW);
});

describe('sweep --plan', () => {
  test('varies the policy and --max-concurrent: each row is that fleet run on its own', async () => {
    const plan = path.join(dir, 'sweep-plan.yaml');
    fs.writeFileSync(plan, `bandwidth: 1Gbit\ndefaults:\n  algo: xen\nguests:\n  - ${shipped('gzip9')}\n  - ${shipped('redis_bench')}\n  - ${shipped('xz6')}\n`);
    const out = path.join(dir, 'fleets.csv');
    const r = await cli(['sweep', '--plan', plan, '--set', 'policy=sequential,largest-first', '--set', 'max-concurrent=1..2+1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/fleet 4 of 4: largest-first, max-concurrent 2/);
    const t = await readTable(out);
    expect(t.rows.map((row) => [row.policy, row.maxConcurrent])).toEqual([['sequential', 1], ['sequential', 2], ['largest-first', 1], ['largest-first', 2]]);
    const base = readFleetPlan(plan);
    for (const row of t.rows) {
      const f = await runFleet({ ...base, policy: row.policy as FleetPlan['policy'], maxConcurrent: Number(row.maxConcurrent) });
      expect(row.makespanS).toBe(f.makespanS);
      expect(row.worstDowntimeMs).toBe(f.worstDowntimeMs);
      expect(row.bytesSent).toBe(f.bytesSent);
      expect(row.order).toBe(f.order.join(','));
    }
    const bad = await cli(['sweep', '--plan', plan, '--set', 'max-iters=3,5', '--out', path.join(dir, 'nope.csv')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("migreplay: --set max-iters: a fleet sweep (--plan) varies policy, max-concurrent, by, bandwidth; each guest's parameters are the plan's");
    const k0 = await cli(['sweep', '--plan', plan, '--set', 'max-concurrent=0', '--out', path.join(dir, 'nope.csv')]);
    expect(k0.status).toBe(2);
    expect(k0.stderr.trim()).toBe('migreplay: --set max-concurrent: 0 is below the least allowed value 1');
    // A combination the ordered policies alone take is refused before anything runs, in a dry run too.
    const by = await cli(['sweep', '--plan', plan, '--set', 'by=memory,dirty-rate', '--dry-run', '--out', path.join(dir, 'nope.csv')]);
    expect(by.status).toBe(2);
    expect(by.stderr.trim()).toMatch(/--set by: orders shortest-first and largest-first; policy sequential keeps the given order/);
    expect(fs.existsSync(path.join(dir, 'nope.csv'))).toBe(false);
  }, 4 * SLOW);
});

describe('docs/fleet.md', () => {
  test("the worked example's figures are what the fleet gives", async () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'fleet.md'), 'utf8');
    const part = doc.slice(doc.indexOf('## A worked example'), doc.indexOf('## What SimGrid would say'));
    const rows = [...part.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].map((m) => [m[1]!, ...m[2]!.split(' | ')]);
    expect(rows.length).toBe(4);
    const traces = fs.readdirSync(path.join(ROOT, 'traces')).filter((f) => f.endsWith('.arrow')).sort().map((f) => path.join(ROOT, 'traces', f));
    const g3 = (v: number | null): string => (v === null ? 'never' : String(Number(v.toPrecision(3))));
    for (const [how, ...figures] of rows) {
      const [policy, , k] = how!.split(' ');
      const f = await runFleet({
        bandwidthBytesPerS: 10e9 / 8, policy: policy as FleetPlan['policy'], ...(k ? { maxConcurrent: Number(k) } : {}),
        guests: traces.map((trace) => ({ trace, algorithm: 'qemu' })),
      });
      expect(figures, how).toEqual([g3(f.makespanS), g3(f.meanSwitchOverS), g3(f.worstDowntimeMs), g3(f.meanDowntimeMs), g3(f.bytesSent / 2 ** 30), String(f.unfinished)]);
    }
  }, 4 * SLOW);
});
