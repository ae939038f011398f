// Workload generators (src/trace/generate.ts), their PRNG (src/trace/random.ts) and
// `migreplay gen` (src/cli/gen.ts, through its handler): valid traces, byte-identical
// for a seed, statistics that match the parameters, and clear errors for bad options.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { genCommand } from '../src/cli/gen.js';
import { MigreplayError } from '../src/errors.js';
import { fileSource } from '../src/io/files.js';
import { generateTrace, resolveOptions, workloads, type GenGiven } from '../src/trace/generate.js';
import { mailWireBytes } from '../src/trace/workloads/mail.js';
import { Permutation, Rng, sampleDistinct, Zipf } from '../src/trace/random.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';

function genBytes(id: string, options: GenGiven): Uint8Array {
  const chunks: Uint8Array[] = [];
  generateTrace(id, options, (c) => chunks.push(c.slice()));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const gen = (id: string, options: GenGiven): Trace => openTrace(bytesSource(`${id}.arrow`, genBytes(id, options)));

interface Epoch { t: number; pages: Uint32Array; comm?: Uint32Array; immp?: Uint32Array }

function epochs(trace: Trace): Epoch[] {
  const out: Epoch[] = [];
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      out.push({
        t: b.tUs[i]!,
        pages: b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!),
        comm: b.comm?.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!),
        immp: b.immp?.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!),
      });
    }
  }
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

// Small but representative options per workload (the seed workloads need room for their regions).
const SMALL: Record<string, GenGiven> = {
  uniform: { mem: '64MiB', duration: '2s', rate: 5000 },
  hotcold: { mem: '64MiB', duration: '2s' },
  zipf: { mem: '64MiB', duration: '2s', rate: 5000 },
  phases: { mem: '64MiB', duration: '2s', rate: 5000 },
  hotpages: { mem: '64MiB', duration: '2s' },
  mail: { mem: '256MiB', duration: '2s', users: 3 },
  'video-stream': { mem: '128MiB', duration: '2s' },
};

function expectUsage(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MigreplayError);
    expect((e as MigreplayError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(pattern);
    expect((e as Error).message).not.toContain('\n');
    return;
  }
  throw new Error(`expected a usage error matching ${pattern}`);
}

describe('registry', () => {
  test('every workload is named, summarised and documents its parameters', () => {
    expect(workloads.map((w) => w.id)).toEqual(['uniform', 'hotcold', 'zipf', 'phases', 'hotpages', 'mail', 'video-stream']);
    for (const w of workloads) {
      expect(w.summary.length).toBeGreaterThan(10);
      expect(w.follows.length).toBeGreaterThan(5);
      expect(new Set(w.params.map((p) => p.name)).size).toBe(w.params.length);
      for (const p of w.params) expect(p.doc.length, `${w.id} --${p.name}`).toBeGreaterThan(5);
      expect(SMALL[w.id], `test options for ${w.id}`).toBeDefined();
    }
    const doc = fs.readFileSync(new URL('../docs/workloads.md', import.meta.url), 'utf8');
    for (const w of workloads) {
      expect(doc, `docs/workloads.md section for ${w.id}`).toMatch(new RegExp(`^## \`${w.id}\``, 'm'));
      for (const p of w.params) expect(doc, `docs/workloads.md: ${w.id} --${p.name}`).toContain(`\`--${p.name}\``);
    }
  });
});

describe.each(workloads.map((w) => w.id))('%s', (id) => {
  test('writes a valid trace with the metadata of DESIGN.md', () => {
    const trace = gen(id, SMALL[id]!);
    const o = resolveOptions(id, SMALL[id]!);
    expect(trace.meta.memPages).toBe(o.memPages);
    expect(trace.meta.pageSize).toBe(4096);
    expect(trace.meta.intervalUs).toBe(50_000);
    expect(trace.meta.durationUs).toBe(2_000_000);
    expect(trace.meta.source).toBe('synthetic');
    expect(trace.meta.workload).toMatch(new RegExp(`^${id} mem=`));
    expect(trace.meta.description!.length).toBeGreaterThan(10);
    expect(trace.summary.epochs).toBe(40);
    expect(trace.summary.durationInferred).toBe(false);
    expect(trace.summary.events).toBeGreaterThan(0);
    expect(trace.summary.hasComm).toBe(id === 'mail');
    expect(trace.summary.hasImmp).toBe(id === 'video-stream');
    const es = epochs(trace);
    expect(es.map((e) => e.t)).toEqual(Array.from({ length: 40 }, (_, i) => i * 50_000));
  });

  test('same seed, same bytes; another seed or layout, other bytes', () => {
    const a = genBytes(id, { ...SMALL[id], seed: 42 });
    const b = genBytes(id, { ...SMALL[id], seed: 42 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = genBytes(id, { ...SMALL[id], seed: 43 });
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    const d = genBytes(id, { ...SMALL[id], seed: 42, layout: 'linear' });
    expect(Buffer.from(a).equals(Buffer.from(d))).toBe(false);
  });
});

describe('statistics', () => {
  test('uniform: pages per epoch ≈ rate × interval', () => {
    const es = epochs(gen('uniform', { mem: '1GiB', duration: '20s', rate: 2000 }));
    const mean = sum(es.map((e) => e.pages.length)) / es.length;
    expect(mean).toBeGreaterThan(97);
    expect(mean).toBeLessThan(103);
    const fixed = epochs(gen('uniform', { mem: '1GiB', duration: '5s', rate: 2000, arrivals: 'fixed' }));
    for (const e of fixed) expect(e.pages.length).toBeGreaterThanOrEqual(98); // 100 writes, rare repeats
    // Poisson arrivals vary; fixed ones do not.
    const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
    expect(spread(es.map((e) => e.pages.length))).toBeGreaterThan(10);
  });

  test('uniform: the last, short epoch gets its share of the rate', () => {
    const es = epochs(gen('uniform', { mem: '1GiB', duration: '1.025s', rate: 40000, arrivals: 'fixed' }));
    expect(es.length).toBe(21);
    expect(es[20]!.pages.length).toBeGreaterThan(900);
    expect(es[20]!.pages.length).toBeLessThanOrEqual(1000);
  });

  test('hotcold: about --hot-share of the writes land in the hot set', () => {
    const trace = gen('hotcold', { mem: '1GiB', duration: '10s', rate: 4000, 'hot-size': '25%', 'hot-share': 0.8, layout: 'linear' });
    const hotPages = trace.meta.memPages / 4;
    let hot = 0;
    let all = 0;
    for (const e of epochs(trace)) for (const p of e.pages) {
      all++;
      if (p < hotPages) hot++;
    }
    expect(all).toBeGreaterThan(39_000);
    expect(hot / all).toBeGreaterThan(0.78);
    expect(hot / all).toBeLessThan(0.82);
  });

  test('hotcold: scatter layout keeps the hot set the same size but spreads it', () => {
    const trace = gen('hotcold', { mem: '64MiB', duration: '5s', rate: 20000, 'hot-size': 256 * 4096, 'hot-share': 1 });
    const seen = new Set<number>();
    for (const e of epochs(trace)) for (const p of e.pages) seen.add(p);
    expect(seen.size).toBe(256);
    expect(Math.max(...seen)).toBeGreaterThan(4096);
  });

  test('zipf: low ranks dominate; the exponent sets the skew', () => {
    const count = (s: number) => {
      const c = new Map<number, number>();
      for (const e of epochs(gen('zipf', { mem: '64MiB', duration: '4s', rate: 20000, 'zipf-s': s, layout: 'linear' }))) for (const p of e.pages) c.set(p, (c.get(p) ?? 0) + 1);
      return c;
    };
    const steep = count(1.2);
    expect(steep.get(0)).toBe(80); // rank 1 is written in every epoch
    expect(steep.get(2000) ?? 0).toBeLessThan(10);
    expect(count(0.6).size).toBeGreaterThan(steep.size);
  });

  test('phases: each phase writes only inside its own working set', () => {
    const trace = gen('phases', { mem: '64MiB', duration: '4s', rate: 5000, phases: 4, 'ws-size': '10%', layout: 'linear' });
    const ws = Math.ceil(trace.meta.memPages * 0.1);
    for (const e of epochs(trace)) {
      const phase = Math.floor(e.t / 1_000_000);
      for (const p of e.pages) {
        expect(p).toBeGreaterThanOrEqual(phase * ws);
        expect(p).toBeLessThan((phase + 1) * ws);
      }
    }
    const overlapping = epochs(gen('phases', { mem: '64MiB', duration: '2s', 'phase-length': '1s', overlap: 0.5, 'ws-size': 1000 * 4096, layout: 'linear' }));
    expect(Math.max(...overlapping[39]!.pages)).toBeLessThan(1500);
    expect(Math.min(...overlapping[39]!.pages)).toBeGreaterThanOrEqual(500);
  });

  test('hotpages: each hot page is dirty in 1 − e^(−f·interval) of the epochs', () => {
    const trace = gen('hotpages', { mem: '64MiB', duration: '10s', 'hot-size': 1000 * 4096, 'hot-freq': 10, 'warm-size': 1000 * 4096, 'warm-freq': 1, 'cold-rate': 0, layout: 'linear' });
    let hot = 0;
    let warm = 0;
    const es = epochs(trace);
    for (const e of es) for (const p of e.pages) {
      if (p < 1000) hot++;
      else if (p < 2000) warm++;
      else throw new Error(`cold page ${p} written with --cold-rate 0`);
    }
    expect(hot / (1000 * es.length)).toBeCloseTo(1 - Math.exp(-0.5), 1);
    expect(warm / (1000 * es.length)).toBeCloseTo(1 - Math.exp(-0.05), 2);
  });

  test('mail: comm_pages are the network buffers, grow with users and file size, stop with the load', () => {
    const commOf = (g: GenGiven) => {
      const es = epochs(gen('mail', { mem: '256MiB', duration: '10s', ...g }));
      return { total: sum(es.map((e) => e.comm!.length)), es };
    };
    const n2 = commOf({ users: 2 });
    const n4 = commOf({ users: 4 });
    const n4big = commOf({ users: 4, 'file-size': '3MB' });
    expect(n2.total).toBeGreaterThan(0);
    expect(n4.total).toBeGreaterThan(3 * n2.total);
    expect(n4big.total).toBeGreaterThan(2 * n4.total);
    // 4 mails of 1 MB at 50 ms + 2 × 11 ms each: the load is over within 0.3 s.
    const cycle = 0.05 + (2 * mailWireBytes(1e6)) / 125e6;
    for (const e of n2.es) if (e.t / 1e6 > 4 * cycle + 0.05) expect(e.comm!.length).toBe(0);
    expect(n2.es[0]!.comm!.length).toBe(0); // the first 50 ms: mail(1) starts, SMTP dialogue
    expect(n2.es[1]!.comm!.length).toBeGreaterThan(0);
    // Background writes continue: pages outside comm_pages in every epoch.
    for (const e of n2.es) expect(e.pages.length).toBeGreaterThan(e.comm!.length);
    // Without fetching the mails back, half the network-buffer traffic (roughly: received packets only).
    const noFetch = commOf({ users: 4, fetch: false });
    expect(noFetch.total).toBeLessThan(n4.total);
  });

  test('mail: received packets fill the buffer pool round-robin', () => {
    const es = epochs(gen('mail', { mem: '256MiB', duration: '4s', repeat: true, 'net-buffers': 1024 * 4096 }));
    const seen = new Set<number>();
    for (const e of es) for (const p of e.comm!) seen.add(p);
    expect(seen.size).toBe(1024);
  });

  test('video-stream: immp_pages hold the decoded frames and the stream buffer', () => {
    const es = epochs(gen('video-stream', { mem: '128MiB', duration: '2s', fps: 25, resolution: '1280x720' }));
    const framePages = Math.ceil((1280 * 720 * 1.5) / 4096);
    for (const e of es) {
      // 25 fps over 50 ms epochs: one or two frames each (with the stream buffer pages).
      expect(e.immp!.length).toBeGreaterThanOrEqual(framePages);
      expect(e.immp!.length).toBeLessThanOrEqual(2 * framePages + 10);
      expect(e.pages.length).toBeGreaterThan(e.immp!.length); // background and network buffers too
    }
    const seen = new Set<number>();
    for (const e of es) for (const p of e.immp!) seen.add(p);
    const streamPages = 2048; // 8 MiB stream buffer
    expect(seen.size).toBeGreaterThanOrEqual(8 * framePages);
    expect(seen.size).toBeLessThanOrEqual(8 * framePages + streamPages);
    const idle = epochs(gen('video-stream', { mem: '128MiB', duration: '2s', fps: 0, bitrate: 0 }));
    for (const e of idle) expect(e.immp!.length).toBe(0);
    const faster = epochs(gen('video-stream', { mem: '128MiB', duration: '2s', fps: 50 }));
    expect(sum(faster.map((e) => e.immp!.length))).toBeGreaterThan(1.8 * sum(es.map((e) => e.immp!.length)));
  });
});

describe('option checks', () => {
  test('bad values are one-line usage errors', () => {
    expectUsage(() => resolveOptions('hotcold', { mem: '64MiB', 'hot-size': '128MiB' }), /--hot-size.*more than --mem/);
    expectUsage(() => resolveOptions('hotcold', { 'hot-size': '100%', 'hot-share': 0.5 }), /--hot-share must be 1/);
    expectUsage(() => resolveOptions('hotcold', { 'hot-share': 1.5 }), /--hot-share.*between 0 and 1/);
    expectUsage(() => resolveOptions('uniform', { mem: '12 parsecs' }), /--mem: cannot read/);
    expectUsage(() => resolveOptions('uniform', { mem: 0 }), /--mem/);
    expectUsage(() => resolveOptions('uniform', { rate: '-5' }), /--rate/);
    expectUsage(() => resolveOptions('uniform', { rate: 'fast' }), /--rate: cannot read/);
    expectUsage(() => resolveOptions('uniform', { interval: '0s' }), /--interval/);
    expectUsage(() => resolveOptions('uniform', { duration: '0s' }), /--duration/);
    expectUsage(() => resolveOptions('uniform', { seed: -1 }), /--seed/);
    expectUsage(() => resolveOptions('uniform', { seed: 1.5 }), /--seed.*whole number/);
    expectUsage(() => resolveOptions('uniform', { 'page-size': 0 }), /--page-size/);
    expectUsage(() => resolveOptions('uniform', { layout: 'spiral' }), /--layout.*scatter, linear/);
    expectUsage(() => resolveOptions('uniform', { mem: '8TiB' }), /beyond what a replay can hold/);
    expectUsage(() => resolveOptions('uniform', { users: 3 }), /unknown option 'users'/);
    expectUsage(() => resolveOptions('zipf', { 'zipf-s': 0 }), /--zipf-s.*above 0/);
    expectUsage(() => resolveOptions('phases', { phases: 3, 'phase-length': '1s' }), /one or the other/);
    expectUsage(() => resolveOptions('phases', { 'ws-size': '0%' }), /--ws-size.*above 0/);
    expectUsage(() => resolveOptions('hotpages', { 'hot-size': '60%', 'warm-size': '50%' }), /more than --mem/);
    expectUsage(() => resolveOptions('mail', { mem: '64MiB' }), /regions need .* but --mem holds/);
    expectUsage(() => resolveOptions('mail', { 'file-size': '3 furlongs' }), /--file-size/);
    expectUsage(() => resolveOptions('mail', { users: 0 }), /--users: 0 is below the least allowed value 1/);
    // The same parser as replay's parameters: plain decimal digits only.
    expectUsage(() => resolveOptions('uniform', { seed: '0x10' }), /--seed: '0x10' is not a whole number/);
    expectUsage(() => resolveOptions('phases', { overlap: '1' }), /--overlap: 1 is above the largest allowed value 0.999/);
    expectUsage(() => resolveOptions('mail', { fetch: 'maybe' }), /--fetch.*true or false/);
    expectUsage(() => resolveOptions('video-stream', { resolution: 'huge' }), /--resolution: cannot read/);
    expectUsage(() => resolveOptions('video-stream', { mem: '48MiB' }), /regions need/);
    expectUsage(() => resolveOptions('nope', {}), /unknown workload 'nope'/);
  });

  test('sizes take units, shares and percentages; workloads have their own default memory', () => {
    expect(resolveOptions('hotcold', { mem: '1GiB', 'hot-size': '10%' }).values.hotSize).toBeCloseTo(0.1 * 2 ** 30);
    expect(resolveOptions('hotcold', { mem: '1GiB', 'hot-size': 0.25 }).values.hotSize).toBe(2 ** 28);
    expect(resolveOptions('hotcold', { mem: '1GiB', 'hot-size': '64MiB' }).values.hotSize).toBe(2 ** 26);
    expect(resolveOptions('uniform', { rate: '20k/s' }).values.rate).toBe(20000);
    expect(resolveOptions('video-stream').memPages).toBe(131072);
    expect(resolveOptions('mail').memPages).toBe(262144);
    expect(resolveOptions('uniform', { mem: '490.7MB' }).memPages).toBe(Math.floor(490.7e6 / 4096));
    expect(resolveOptions('uniform').text).toBe('uniform mem=1GiB duration=60s interval=50ms seed=1 page-size=4096 layout=scatter rate=10000 arrivals=poisson');
  });
});

describe('migreplay gen (handler)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-gen-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = { mem: '64MiB', duration: '1s', seed: '7', quiet: true };

  test('writes the same file twice for the same arguments', async () => {
    const a = path.join(dir, 'a.arrow');
    const b = path.join(dir, 'b.arrow');
    await genCommand.handler({ workload: 'hotcold', out: a, ...base, 'hot-size': '5%' });
    await genCommand.handler({ workload: 'hotcold', out: b, ...base, 'hot-size': '5%' });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    const t = openTrace(fileSource(a));
    expect(t.meta.workload).toBe('hotcold mem=64MiB duration=1s interval=50ms seed=7 page-size=4096 layout=scatter hot-size=5% hot-share=0.9 rate=10000 arrivals=poisson');
    expect(t.meta.raw.generator).toBe('migreplay gen');
  });

  test('compressed and stream forms read back to the same epochs', async () => {
    const plain = path.join(dir, 'plain.arrow');
    await genCommand.handler({ workload: 'mail', out: plain, ...base, mem: '256MiB', users: '2' });
    const want = epochs(openTrace(fileSource(plain)));
    for (const [compression, form] of [['zstd', 'file'], ['lz4', 'stream']] as const) {
      const f = path.join(dir, `${compression}.arrow`);
      await genCommand.handler({ workload: 'mail', out: f, ...base, mem: '256MiB', users: '2', compression, form });
      const got = epochs(openTrace(fileSource(f)));
      expect(got.map((e) => [e.t, [...e.pages], [...e.comm!]])).toEqual(want.map((e) => [e.t, [...e.pages], [...e.comm!]]));
    }
  });

  test('bad input leaves no file behind', async () => {
    const f = path.join(dir, 'bad.arrow');
    await expect(genCommand.handler({ workload: 'hotcold', out: f, ...base, 'hot-size': '2GiB' })).rejects.toThrow(/--hot-size/);
    await expect(genCommand.handler({ workload: 'nope', out: f })).rejects.toThrow(/unknown workload/);
    await expect(genCommand.handler({ workload: 'uniform' })).rejects.toThrow(/--out/);
    expect(fs.readdirSync(dir).filter((n) => n.includes('bad'))).toEqual([]);
  });
});

describe('random', () => {
  test('streams are reproducible, independent by label, and uniform', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(new Rng(5, 'x').nextU32()).not.toBe(new Rng(5, 'y').nextU32());
    expect(new Rng(2 ** 40).nextU32()).not.toBe(new Rng(0).nextU32());
    expect(sum(xs) / xs.length).toBeCloseTo(0.5, 1);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  test('poisson and binomial have the right means', () => {
    const r = new Rng(9);
    for (const mean of [0.5, 5, 50, 5000]) {
      const n = 4000;
      let s = 0;
      for (let i = 0; i < n; i++) s += r.poisson(mean);
      expect(Math.abs(s / n - mean)).toBeLessThan(4 * Math.sqrt(mean / n));
    }
    for (const [n, p] of [[100, 0.05], [10000, 0.3], [1000, 0.9]] as const) {
      let s = 0;
      for (let i = 0; i < 2000; i++) {
        const k = r.binomial(n, p);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(k).toBeLessThanOrEqual(n);
        s += k;
      }
      expect(Math.abs(s / 2000 - n * p)).toBeLessThan(4 * Math.sqrt((n * p * (1 - p)) / 2000) + 0.01);
    }
  });

  test('zipf ranks follow k^-s', () => {
    const z = new Zipf(1000, 1);
    const r = new Rng(3);
    const c = new Array(1001).fill(0);
    for (let i = 0; i < 50000; i++) c[z.sample(r)]++;
    expect(c[1] / c[2]).toBeCloseTo(2, 0);
    expect(c[1] / c[10]).toBeGreaterThan(7);
    expect(c[0]).toBe(0);
    expect(new Zipf(1, 2).sample(r)).toBe(1);
  });

  test('sampleDistinct gives k distinct ascending values; Permutation is a bijection', () => {
    const r = new Rng(1);
    for (const [n, k] of [[10, 0], [10, 10], [1000, 10], [1000, 900], [5, 3]] as const) {
      const s = sampleDistinct(r, n, k);
      expect(s.length).toBe(k);
      for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
      if (k) expect(s[k - 1]!).toBeLessThan(n);
    }
    for (const n of [1, 2, 7, 1000, 65537]) {
      const p = new Permutation(n, 11);
      const seen = new Uint8Array(n);
      for (let x = 0; x < n; x++) seen[p.map(x)]++;
      expect(seen.every((c) => c === 1)).toBe(true);
    }
    const p = new Permutation(65536, 11);
    let moved = 0;
    for (let x = 0; x < 1000; x++) if (Math.abs(p.map(x) - x) > 1000) moved++;
    expect(moved).toBeGreaterThan(900);
  });
});
