// The wasm kernel (assembly/ via src/kernel/wasm.ts) and the TypeScript reference
// must agree on every in-contract input. Property tests run random operation
// sequences on both kernels and on a deliberately naive model (one byte per page),
// comparing every return value and the full final state; hand-worked unit tests pin
// down each operation's meaning. Needs build/kernel.wasm (npx asc --target release).

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKernel } from '../src/kernel/node.js';
import { COUNTER_MAX, spreadHash, type Kernel } from '../src/kernel/index.js';

const KERNELS = ['wasm', 'js'] as const;
const BITMAPS = 4;

// ---------------------------------------------------------------------------
// The naive model: one byte per page and bitmap, obviously right.

class Model {
  readonly bits: Uint8Array[];
  readonly counters: Uint8Array;
  constructor(readonly memPages: number) {
    this.bits = Array.from({ length: BITMAPS }, () => new Uint8Array(memPages));
    this.counters = new Uint8Array(memPages);
  }
  bump(p: number): void {
    if (this.counters[p] < COUNTER_MAX) this.counters[p]++;
  }
}

// ---------------------------------------------------------------------------
// Operations. Lists are described by a seed and a density and materialized
// per run, so large dense lists stay cheap to generate.

type ListOrder = 'ascending' | 'shuffled' | 'duplicates';
interface ListSpec {
  seed: number;
  density: number;
  order: ListOrder;
}
type Op =
  | { t: 'setBits'; bm: number; list: ListSpec; off: number }
  | { t: 'setBitsExcept'; bm: number; list: ListSpec; exSeed: number; exKeep: number; gap: number; exFirst: boolean }
  | { t: 'clear' | 'fill' | 'popcount' | 'countBitmap'; bm: number; times: number }
  | { t: 'copy'; dst: number; src: number }
  | { t: 'or' | 'and' | 'andNot'; dst: number; a: number; b: number }
  | { t: 'popcountAndRange'; a: number; b: number; from: number; to: number }
  | { t: 'testBit'; bm: number; page: number }
  | { t: 'setRange' | 'clearRange'; bm: number; from: number; to: number }
  | { t: 'countMissing'; bm: number; list: ListSpec; off: number }
  | { t: 'filterSpread'; list: ListSpec; off: number; seed: number; lo: number; hi: number }
  | { t: 'advanceAndNot'; a: number; b: number; from: number; k: number }
  | { t: 'collect'; bm: number; from: number; to: number; off: number }
  | { t: 'countPages'; pages: number[]; off: number; times: number }
  | { t: 'clearCounters' }
  | { t: 'counter'; page: number }
  | { t: 'selectAtLeast'; threshold: number; dst: number }
  | { t: 'grow'; extra: number };

/** mulberry32: a tiny deterministic PRNG for materializing lists. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function makeList(n: number, { seed, density, order }: ListSpec): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let p = 0; p < n; p++) if (r() < density) out.push(p);
  if (order === 'ascending') return out;
  if (order === 'duplicates') {
    const extra = Math.floor(r() * 8);
    for (let i = 0; i < extra && out.length > 0; i++) out.push(out[Math.floor(r() * out.length)]);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** An ascending exclusion list: some of `list` (each kept with probability keep) plus some other pages. */
function makeExclusion(n: number, list: number[], seed: number, keep: number): number[] {
  const r = rng(seed);
  const set = new Set<number>();
  for (const p of list) if (r() < keep) set.add(p);
  const others = Math.floor(r() * 10);
  for (let i = 0; i < others; i++) set.add(Math.floor(r() * n));
  return [...set].sort((x, y) => x - y);
}

function opsFor(n: number): fc.Arbitrary<Op[]> {
  const bm = fc.integer({ min: 0, max: BITMAPS - 1 });
  const page = fc.integer({ min: 0, max: n - 1 });
  const bound = fc.oneof(fc.constantFrom(0, n, n - 1, Math.min(n, 64), Math.min(n, 65)), fc.integer({ min: 0, max: n }));
  const range = fc.tuple(bound, bound).map(([x, y]) => (x <= y ? [x, y] : [y, x]));
  const off = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }));
  const list: fc.Arbitrary<ListSpec> = fc.record({
    seed: fc.integer(),
    density: fc.constantFrom(0, 0.002, 0.02, 0.1, 0.5, 0.9, 1),
    order: fc.constantFrom<ListOrder>('ascending', 'shuffled', 'duplicates'),
  });
  const ascending = list.map((l) => ({ ...l, order: 'ascending' as const }));
  const times = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 300 }));

  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ t: fc.constant('setBits' as const), bm, list, off }), weight: 6 },
    {
      arbitrary: fc.record({
        t: fc.constant('setBitsExcept' as const),
        bm,
        list: ascending,
        exSeed: fc.integer(),
        exKeep: fc.constantFrom(0, 0.1, 0.5, 1),
        gap: fc.integer({ min: 0, max: 8 }),
        exFirst: fc.boolean(),
      }),
      weight: 4,
    },
    fc.record({ t: fc.constantFrom('clear' as const, 'fill' as const, 'popcount' as const), bm, times: fc.constant(1) }),
    { arbitrary: fc.record({ t: fc.constant('countBitmap' as const), bm, times }), weight: 2 },
    fc.record({ t: fc.constant('copy' as const), dst: bm, src: bm }),
    {
      arbitrary: fc.record({ t: fc.constantFrom('or' as const, 'and' as const, 'andNot' as const), dst: bm, a: bm, b: bm }),
      weight: 4,
    },
    {
      arbitrary: fc.record({ t: fc.constant('popcountAndRange' as const), a: bm, b: bm, r: range }).map(
        ({ t, a, b, r }) => ({ t, a, b, from: r[0], to: r[1] }),
      ),
      weight: 3,
    },
    fc.record({ t: fc.constant('testBit' as const), bm, page }),
    {
      arbitrary: fc.record({ t: fc.constantFrom('setRange' as const, 'clearRange' as const), bm, r: range }).map(
        ({ t, bm: b, r }) => ({ t, bm: b, from: r[0], to: r[1] }),
      ),
      weight: 3,
    },
    { arbitrary: fc.record({ t: fc.constant('countMissing' as const), bm, list, off }), weight: 2 },
    {
      arbitrary: fc
        .record({ t: fc.constant('filterSpread' as const), list, off, seed: fc.integer({ min: 0, max: 0xffffffff }), a: fc.integer({ min: 0, max: 2 ** 31 }), b: fc.integer({ min: 0, max: 2 ** 31 }) })
        .map(({ t, list: l, off: o, seed, a, b }) => ({ t, list: l, off: o, seed, lo: Math.min(a, b), hi: Math.max(a, b) })),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant('advanceAndNot' as const),
        a: bm,
        b: bm,
        from: bound,
        k: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: n + 2 })),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({ t: fc.constant('collect' as const), bm, r: range, off }).map(({ t, bm, r, off }) => ({
        t,
        bm,
        from: r[0],
        to: r[1],
        off,
      })),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        t: fc.constant('countPages' as const),
        pages: fc.array(page, { maxLength: 64 }),
        off,
        times,
      }),
      weight: 2,
    },
    fc.record({ t: fc.constant('clearCounters' as const) }),
    fc.record({ t: fc.constant('counter' as const), page }),
    fc.record({
      t: fc.constant('selectAtLeast' as const),
      threshold: fc.oneof(fc.constantFrom(1, 2, 255, 256), fc.integer({ min: 1, max: 260 })),
      dst: bm,
    }),
    fc.record({ t: fc.constant('grow' as const), extra: fc.integer({ min: 1, max: 5000 }) }),
  );
  return fc.array(op, { minLength: 1, maxLength: 30 });
}

/** Copy `pages` into the kernel's list area at `off` (growing it if needed). */
function put(k: Kernel, off: number, pages: number[]): void {
  k.lists(off + pages.length).set(pages, off);
}

/** Run one op on a kernel; return what it returned (lists as arrays). */
function run(k: Kernel, n: number, op: Op): unknown {
  switch (op.t) {
    case 'setBits': {
      const l = makeList(n, op.list);
      put(k, op.off, l);
      return k.setBits(op.bm, op.off, l.length);
    }
    case 'setBitsExcept': {
      const l = makeList(n, op.list);
      const ex = makeExclusion(n, l, op.exSeed, op.exKeep);
      const [first, second] = op.exFirst ? [ex, l] : [l, ex];
      const secondOff = first.length + op.gap;
      put(k, 0, first);
      put(k, secondOff, second);
      return op.exFirst
        ? k.setBitsExcept(op.bm, secondOff, l.length, 0, ex.length)
        : k.setBitsExcept(op.bm, 0, l.length, secondOff, ex.length);
    }
    case 'clear':
      return k.clear(op.bm);
    case 'fill':
      return k.fill(op.bm);
    case 'popcount':
      return k.popcount(op.bm);
    case 'countBitmap':
      for (let i = 0; i < op.times; i++) k.countBitmap(op.bm);
      return;
    case 'copy':
      return k.copy(op.dst, op.src);
    case 'or':
      return k.or(op.dst, op.a, op.b);
    case 'and':
      return k.and(op.dst, op.a, op.b);
    case 'andNot':
      return k.andNot(op.dst, op.a, op.b);
    case 'popcountAndRange':
      return k.popcountAndRange(op.a, op.b, op.from, op.to);
    case 'setRange':
      return k.setRange(op.bm, op.from, op.to);
    case 'clearRange':
      return k.clearRange(op.bm, op.from, op.to);
    case 'countMissing': {
      const l = makeList(n, op.list);
      put(k, op.off, l);
      return k.countMissing(op.bm, op.off, l.length);
    }
    case 'filterSpread': {
      const l = makeList(n, op.list);
      put(k, op.off, l);
      const outOff = op.off + l.length;
      k.lists(outOff + l.length);
      const count = k.filterSpread(op.off, l.length, op.seed, op.lo, op.hi, outOff);
      return Array.from(k.lists(0).subarray(outOff, outOff + count));
    }
    case 'testBit':
      return k.testBit(op.bm, op.page);
    case 'advanceAndNot':
      return k.advanceAndNot(op.a, op.b, op.from, op.k);
    case 'collect': {
      const view = k.lists(op.off + (op.to - op.from));
      const count = k.collect(op.bm, op.from, op.to, op.off);
      return [...view.subarray(op.off, op.off + count)];
    }
    case 'countPages':
      put(k, op.off, op.pages);
      for (let i = 0; i < op.times; i++) k.countPages(op.off, op.pages.length);
      return;
    case 'clearCounters':
      return k.clearCounters();
    case 'counter':
      return k.counter(op.page);
    case 'selectAtLeast':
      return k.selectAtLeast(op.threshold, op.dst);
    case 'grow': {
      // Growing keeps the contents: compare the old prefix after growth.
      const before = k.lists(0).slice();
      const wanted = Math.min(before.length + op.extra, 100_000); // capacity doubles: keep it bounded
      const after = k.lists(wanted);
      expect(after.length).toBeGreaterThanOrEqual(wanted);
      same(after.subarray(0, before.length), before, 'list area after growth');
      return [...after.subarray(0, wanted)];
    }
  }
}

/** The same op on the naive model. */
function model(m: Model, op: Op): unknown {
  const n = m.memPages;
  const set = (bm: number, pages: Iterable<number>) => {
    for (const p of pages) m.bits[bm][p] = 1;
  };
  const pagesOf = (bm: number, from = 0, to = n) => {
    const out: number[] = [];
    for (let p = from; p < to; p++) if (m.bits[bm][p]) out.push(p);
    return out;
  };
  switch (op.t) {
    case 'setBits':
      return set(op.bm, makeList(n, op.list));
    case 'setBitsExcept': {
      const l = makeList(n, op.list);
      const ex = new Set(makeExclusion(n, l, op.exSeed, op.exKeep));
      return set(op.bm, l.filter((p) => !ex.has(p)));
    }
    case 'clear':
      return void m.bits[op.bm].fill(0);
    case 'fill':
      return void m.bits[op.bm].fill(1);
    case 'popcount':
      return pagesOf(op.bm).length;
    case 'countBitmap':
      for (let i = 0; i < op.times; i++) for (const p of pagesOf(op.bm)) m.bump(p);
      return;
    case 'copy':
      return void m.bits[op.dst].set(m.bits[op.src]);
    case 'or':
    case 'and':
    case 'andNot': {
      const a = m.bits[op.a].slice(), b = m.bits[op.b];
      for (let p = 0; p < n; p++) {
        m.bits[op.dst][p] = op.t === 'or' ? a[p] | b[p] : op.t === 'and' ? a[p] & b[p] : a[p] & (b[p] ^ 1);
      }
      return;
    }
    case 'popcountAndRange': {
      let c = 0;
      for (let p = op.from; p < op.to; p++) c += m.bits[op.a][p] & m.bits[op.b][p];
      return c;
    }
    case 'testBit':
      return m.bits[op.bm][op.page] === 1;
    case 'setRange':
    case 'clearRange':
      for (let p = op.from; p < op.to; p++) m.bits[op.bm][p] = op.t === 'setRange' ? 1 : 0;
      return;
    case 'countMissing':
      return makeList(n, op.list).filter((p) => !m.bits[op.bm][p]).length;
    case 'filterSpread':
      return makeList(n, op.list).filter((p) => {
        const h = spreadHash(op.seed, p);
        return h >= op.lo && h < op.hi;
      });
    case 'advanceAndNot': {
      let seen = 0;
      for (let p = op.from; p < n; p++) {
        if (m.bits[op.a][p] && !m.bits[op.b][p] && ++seen === op.k) return p + 1;
      }
      return n;
    }
    case 'collect':
      return pagesOf(op.bm, op.from, op.to);
    case 'countPages':
      for (let i = 0; i < op.times; i++) for (const p of op.pages) m.bump(p);
      return;
    case 'clearCounters':
      return void m.counters.fill(0);
    case 'counter':
      return m.counters[op.page];
    case 'selectAtLeast':
      for (let p = 0; p < n; p++) m.bits[op.dst][p] = m.counters[p] >= op.threshold ? 1 : 0;
      return;
    case 'grow':
      return undefined; // list contents are compared between the kernels only
  }
}

/** Deep equality that stays fast on long arrays (toEqual is slow there); reports the first difference. */
function same(got: unknown, want: unknown, what: string): void {
  if (ArrayBuffer.isView(got) || Array.isArray(got)) {
    const g = got as ArrayLike<unknown>, w = want as ArrayLike<unknown>;
    expect(g.length, `${what}: length`).toBe(w.length);
    for (let i = 0; i < g.length; i++) {
      if (typeof g[i] === 'object') same(g[i], w[i], `${what}[${i}]`);
      else if (g[i] !== w[i]) expect(g[i], `${what}[${i}]`).toBe(w[i]);
    }
  } else if (got !== null && typeof got === 'object') {
    for (const key of Object.keys(want as object)) {
      same((got as Record<string, unknown>)[key], (want as Record<string, unknown>)[key], `${what}.${key}`);
    }
  } else {
    expect(got, what).toBe(want);
  }
}

/** Every bit (via testBit), popcount and counter of a kernel, for comparison. */
function snapshot(k: Kernel, n: number) {
  const bits = Array.from({ length: BITMAPS }, (_, bm) => {
    const b = new Uint8Array(n);
    for (let p = 0; p < n; p++) b[p] = k.testBit(bm, p) ? 1 : 0;
    return b;
  });
  const popcounts = Array.from({ length: BITMAPS }, (_, bm) => k.popcount(bm));
  const counters = new Uint8Array(n);
  for (let p = 0; p < n; p++) counters[p] = k.counter(p);
  return { bits, popcounts, counters };
}

const memPagesArb = fc.oneof(
  fc.constantFrom(1, 2, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257),
  fc.integer({ min: 1, max: 30 }).map((m) => m * 128),
  fc.integer({ min: 0, max: 2047 }).map((h) => 2 * h + 1),
  fc.integer({ min: 1, max: 4096 }),
);

// ---------------------------------------------------------------------------

describe('wasm and js kernels are equivalent', () => {
  // One kernel of each kind for every run: init() on a reused kernel is under test too.
  const kernels: Kernel[] = [];
  beforeAll(() => {
    for (const name of KERNELS) kernels.push(createKernel(name));
  });

  it('on random operation sequences (and agree with a naive model)', () => {
    fc.assert(
      fc.property(
        memPagesArb.chain((n) => fc.tuple(fc.constant(n), opsFor(n))),
        ([n, ops]) => {
          for (const k of kernels) k.init(n, BITMAPS);
          const m = new Model(n);
          ops.forEach((op, i) => {
            const want = model(m, op);
            const got = kernels.map((k) => run(k, n, op));
            const where = `op ${i} ${op.t}`;
            same(got[0], got[1], `wasm vs js, ${where}`);
            if (op.t !== 'grow') same(got[1], want, `js vs model, ${where}`);
          });
          const want = { bits: m.bits, popcounts: m.bits.map((b) => b.reduce((s, x) => s + x, 0)), counters: m.counters };
          for (const k of kernels) same(snapshot(k, n), want, `${k.name} final state`);
        },
      ),
      { numRuns: 1000 },
    );
    // ~2 s on an idle machine (and far longer at load 4 on 2 cores): vitest's 5 s default is too short.
  }, 120_000);

  it('leave every bit, counter and list entry at zero after init() on a reused kernel', () => {
    fc.assert(
      fc.property(memPagesArb, memPagesArb, fc.integer({ min: 1, max: 5 }), (n1, n2, bitmaps2) => {
        for (const k of kernels) {
          k.init(n1, BITMAPS);
          const l = k.lists(n1 + 10);
          for (let p = 0; p < n1; p++) l[p] = p;
          for (let bm = 0; bm < BITMAPS; bm++) k.fill(bm);
          for (let i = 0; i < 256; i++) k.countBitmap(0);
          expect(k.counter(n1 - 1)).toBe(COUNTER_MAX);

          k.init(n2, bitmaps2);
          for (let bm = 0; bm < bitmaps2; bm++) {
            expect(k.popcount(bm)).toBe(0);
            for (let p = 0; p < n2; p++) if (k.testBit(bm, p)) expect.fail(`${k.name}: bit ${p} of bitmap ${bm} set`);
          }
          for (let p = 0; p < n2; p++) if (k.counter(p) !== 0) expect.fail(`${k.name}: counter ${p} not 0`);
          expect(k.lists(n2 + 10).subarray(0, n2 + 10).every((x) => x === 0)).toBe(true);
          // Nothing stale is counted or selected either.
          k.countBitmap(0);
          k.selectAtLeast(1, 0);
          expect(k.popcount(0)).toBe(0);
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

// ---------------------------------------------------------------------------
// Hand-worked examples, run on each kernel.

describe.each(KERNELS)('%s kernel', (name) => {
  let k: Kernel;
  beforeAll(() => {
    k = createKernel(name);
  });
  const set = (bm: number, pages: number[]) => {
    put(k, 0, pages);
    k.setBits(bm, 0, pages.length);
  };
  const pages = (bm: number, from: number, to: number) => {
    const view = k.lists(to - from); // room for the whole range
    return [...view.subarray(0, k.collect(bm, from, to, 0))];
  };

  it('has its name', () => {
    expect(k.name).toBe(name);
  });

  it('setBits: any order, duplicates', () => {
    k.init(130, 2);
    set(0, [129, 0, 64, 0, 63]);
    expect(k.popcount(0)).toBe(4);
    expect(pages(0, 0, 130)).toEqual([0, 63, 64, 129]);
    expect(k.testBit(0, 128)).toBe(false);
    expect(k.testBit(0, 129)).toBe(true);
  });

  it('setBits reads the list at an offset', () => {
    k.init(100, 1);
    k.lists(6).set([1, 2, 3, 7, 8, 9]);
    k.setBits(0, 3, 2);
    expect(pages(0, 0, 100)).toEqual([7, 8]);
  });

  it('setBitsExcept', () => {
    k.init(200, 1);
    k.lists(8).set([1, 2, 3, 70, 100, 2, 50, 100]);
    k.setBitsExcept(0, 0, 5, 5, 3);
    expect(pages(0, 0, 200)).toEqual([1, 3, 70]);
    k.lists(5).set([1, 2, 3, 70, 100]); // pages() overwrote the list area
    k.setBitsExcept(0, 0, 5, 0, 0); // empty exclusion: everything
    expect(pages(0, 0, 200)).toEqual([1, 2, 3, 70, 100]);
    k.setBitsExcept(0, 0, 0, 0, 5); // empty list: nothing
  });

  it('clear, fill, copy', () => {
    k.init(65, 2);
    k.fill(0);
    expect(k.popcount(0)).toBe(65);
    expect(k.testBit(0, 64)).toBe(true);
    k.copy(1, 0);
    expect(k.popcount(1)).toBe(65);
    k.clear(0);
    expect(k.popcount(0)).toBe(0);
    expect(k.popcount(1)).toBe(65);
  });

  it('fill sets exactly memPages bits at word boundaries', () => {
    for (const n of [0, 1, 31, 32, 33, 63, 64, 65, 128, 129]) {
      k.init(n, 1);
      k.fill(0);
      expect(k.popcount(0)).toBe(n);
      expect(k.advanceAndNot(0, 0, 0, 1)).toBe(n); // a & ~a is empty
    }
  });

  it('or, and, andNot (also in place)', () => {
    k.init(100, 4);
    set(0, [1, 2, 3, 99]);
    set(1, [3, 4, 99]);
    k.or(2, 0, 1);
    expect(pages(2, 0, 100)).toEqual([1, 2, 3, 4, 99]);
    k.and(2, 0, 1);
    expect(pages(2, 0, 100)).toEqual([3, 99]);
    k.andNot(2, 0, 1);
    expect(pages(2, 0, 100)).toEqual([1, 2]);
    k.andNot(0, 0, 1);
    expect(pages(0, 0, 100)).toEqual([1, 2]);
  });

  it('popcountAndRange', () => {
    k.init(200, 2);
    k.fill(0);
    set(1, [0, 63, 64, 127, 128, 199]);
    expect(k.popcountAndRange(0, 1, 0, 200)).toBe(6);
    expect(k.popcountAndRange(0, 1, 63, 128)).toBe(3);
    expect(k.popcountAndRange(0, 1, 64, 64)).toBe(0);
    expect(k.popcountAndRange(0, 1, 199, 200)).toBe(1);
    expect(k.popcountAndRange(0, 1, 1, 63)).toBe(0);
  });

  it('advanceAndNot', () => {
    k.init(200, 2);
    k.fill(0);
    set(1, [1, 2, 3]);
    expect(k.advanceAndNot(0, 1, 0, 1)).toBe(1); // page 0
    expect(k.advanceAndNot(0, 1, 0, 2)).toBe(5); // pages 0, 4
    expect(k.advanceAndNot(0, 1, 2, 2)).toBe(6); // pages 4, 5
    expect(k.advanceAndNot(0, 1, 64, 64)).toBe(128);
    expect(k.advanceAndNot(0, 1, 150, 50)).toBe(200); // exactly the last page
    expect(k.advanceAndNot(0, 1, 150, 51)).toBe(200); // fewer than k
    expect(k.advanceAndNot(0, 1, 200, 1)).toBe(200);
    expect(k.advanceAndNot(0, 1, 0, 2 ** 40)).toBe(200);
  });

  it('collect writes ascending pages at an offset and returns the count', () => {
    k.init(131, 1);
    set(0, [130, 5, 64]);
    const view = k.lists(10);
    view.fill(7);
    expect(k.collect(0, 6, 131, 2)).toBe(2);
    expect([...view.subarray(0, 5)]).toEqual([7, 7, 64, 130, 7]);
    expect(k.collect(0, 0, 64, 0)).toBe(1);
    expect(view[0]).toBe(5);
    expect(k.collect(0, 65, 130, 0)).toBe(0);
  });

  it('countPages, counter, clearCounters', () => {
    k.init(10, 1);
    k.lists(3).set([3, 3, 4]);
    k.countPages(0, 3);
    expect([k.counter(2), k.counter(3), k.counter(4)]).toEqual([0, 2, 1]);
    for (let i = 0; i < 300; i++) k.countPages(0, 3);
    expect([k.counter(3), k.counter(4)]).toEqual([255, 255]);
    k.clearCounters();
    expect([k.counter(3), k.counter(4)]).toEqual([0, 0]);
  });

  it('countBitmap saturates at 255', () => {
    k.init(130, 2);
    k.fill(0);
    set(1, [7, 129]);
    for (let i = 0; i < 300; i++) k.countBitmap(0);
    k.countBitmap(1);
    expect([k.counter(0), k.counter(7), k.counter(129)]).toEqual([255, 255, 255]);
    k.clearCounters();
    k.countBitmap(1);
    k.countBitmap(1);
    expect([k.counter(6), k.counter(7), k.counter(129)]).toEqual([0, 2, 2]);
  });

  it('selectAtLeast', () => {
    k.init(300, 1);
    k.lists(5).set([3, 3, 4, 299, 299]);
    k.countPages(0, 5);
    k.selectAtLeast(2, 0);
    expect(pages(0, 0, 300)).toEqual([3, 299]);
    k.selectAtLeast(1, 0);
    expect(pages(0, 0, 300)).toEqual([3, 4, 299]);
    k.selectAtLeast(256, 0);
    expect(k.popcount(0)).toBe(0);
  });

  it('lists() grows keeping its contents, new entries zero', () => {
    k.init(10, 1);
    const a = k.lists(3);
    a.set([1, 2, 3]);
    const b = k.lists(100_000);
    expect(b.length).toBeGreaterThanOrEqual(100_000);
    expect([...b.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(b.subarray(3, 100_000).every((x) => x === 0)).toBe(true);
    expect(k.lists(5)).toBe(b); // no growth: same view
  });

  it('rejects malformed init() and lists() arguments', () => {
    expect(() => k.init(-1, 1)).toThrow(/memPages/);
    expect(() => k.init(1.5, 1)).toThrow(/memPages/);
    expect(() => k.init(2 ** 32, 1)).toThrow(/memPages/);
    expect(() => k.init(10, -1)).toThrow(/bitmaps/);
    k.init(10, 1);
    expect(() => k.lists(-1)).toThrow(/capacity/);
  });
});

describe('wasm kernel memory limits', () => {
  it('throws a clear error, without trapping or losing state, when the layout exceeds 4 GiB', () => {
    const k = createKernel('wasm');
    k.init(1000, 2);
    k.fill(1);
    expect(() => k.init(2 ** 32 - 1, 8)).toThrow(/4 GiB/);
    expect(() => k.lists(2 ** 30)).toThrow(/4 GiB/);
    expect(k.popcount(1)).toBe(1000);
    k.lists(10)[0] = 42;
    expect(k.lists(10)[0]).toBe(42);
  }, 30_000);
});

describe('moveMarks (the oracle\'s last-write leaves)', () => {
  it('agrees between the kernels and with a model over sequences of lists, duplicates included', () => {
    const listArb = (pages: number) => fc.array(fc.integer({ min: 0, max: pages - 1 }), { maxLength: 300 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }).chain((pages) => fc.tuple(fc.constant(pages), fc.array(listArb(pages), { minLength: 1, maxLength: 20 }))),
        ([pages, epochs]) => {
          // Model: marks per page, pairs of (previous mark, how many) in first-seen order.
          const marks = new Array<number>(pages).fill(0);
          const expected = epochs.map((list, i) => {
            const tally = new Map<number, number>();
            for (const p of list) {
              tally.set(marks[p]!, (tally.get(marks[p]!) ?? 0) + 1);
              marks[p] = i + 1;
            }
            return [...tally].flat();
          });
          for (const name of KERNELS) {
            const k = createKernel(name);
            k.init(pages, 1);
            const [marksOff, countsOff, listOff] = [0, pages, pages + epochs.length + 1];
            const outOff = listOff + 300;
            k.lists(outOff + 600).fill(0);
            const got = epochs.map((list, i) => {
              k.lists(0).set(list, listOff);
              const n = k.moveMarks(listOff, list.length, marksOff, countsOff, i + 1, outOff);
              return Array.from(k.lists(0).subarray(outOff, outOff + 2 * n));
            });
            expect(got).toEqual(expected);
            expect(Array.from(k.lists(0).subarray(marksOff, marksOff + pages))).toEqual(marks);
            expect(k.lists(0).subarray(countsOff, countsOff + epochs.length + 1).every((c) => c === 0)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('maxTreeAdd (the oracle\'s max-tree)', () => {
  it('agrees between the kernels to the bit, on any tree and any moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }).chain((bits) => {
          const size = 2 ** bits;
          const value = fc.oneof(fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.constant(-Infinity), fc.integer({ min: 0, max: 100 }));
          return fc.record({
            size: fc.constant(size),
            best: fc.array(value, { minLength: 2 * size, maxLength: 2 * size }),
            add: fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 0, max: 50 })), { minLength: 2 * size, maxLength: 2 * size }),
            pairs: fc.array(fc.tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: 1000 })), { maxLength: 40 }),
            last: fc.integer({ min: 0, max: size - 1 }),
          });
        }),
        ({ size, best, add, pairs, last }) => {
          const seen: number[][] = [];
          for (const name of KERNELS) {
            const k = createKernel(name);
            k.init(64, 1);
            const [bestOff, addOff, pairsOff] = [2, 2 + 4 * size, 2 + 8 * size];
            const lists = k.lists(pairsOff + 2 * pairs.length + 1);
            new Float64Array(lists.buffer, lists.byteOffset + 4 * bestOff, 2 * size).set(best);
            new Float64Array(lists.buffer, lists.byteOffset + 4 * addOff, 2 * size).set(add);
            lists.set(pairs.flat(), pairsOff);
            k.maxTreeAdd(bestOff, addOff, size, pairsOff, pairs.length, last);
            seen.push(Array.from(k.lists(0).subarray(bestOff, pairsOff))); // the doubles' bits
          }
          expect(seen[0]).toEqual(seen[1]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('saveBitmap and orSaved', () => {
  it('or a saved bitmap back in, on either kernel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { maxLength: 200 }), fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { maxLength: 200 }), fc.integer({ min: 0, max: 9 }), (pages, xs, ys, gap) => {
        const a = [...new Set(xs.map((x) => x % pages))];
        const b = [...new Set(ys.map((y) => y % pages))];
        for (const name of KERNELS) {
          const k = createKernel(name);
          k.init(pages, 2);
          const size = k.savedEntries();
          expect(size % 4).toBe(0);
          const at = 4 * gap;
          k.lists(at + size + a.length + b.length).set([...a, ...b], at + size);
          k.setBits(0, at + size, a.length);
          k.saveBitmap(0, at);
          k.clear(0);
          k.setBits(1, at + size + a.length, b.length);
          k.orSaved(1, at);
          const out = at + size;
          k.lists(out + pages);
          const n = k.collect(1, 0, pages, out);
          expect(Array.from(k.lists(0).subarray(out, out + n))).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
          expect(k.popcount(0)).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
