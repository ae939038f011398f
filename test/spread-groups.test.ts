// groupSpread / takeSpread (the --within-epoch spread rule's grouped slices, src/engine/clock.ts):
// the wasm and TypeScript kernels agree entry for entry, a slice taken from the groups is
// the very set of pages filterSpread gives, and every replay is the same with and without
// the grouping (fast-check, random wrapping traces, every algorithm that lands slices).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { Engine } from '../src/engine/engine.js';
import { DEFAULT_LINK, type LinkParams } from '../src/engine/types.js';
import { createKernel } from '../src/kernel/node.js';
import { SPREAD_GROUPS } from '../src/kernel/types.js';
import { resolveParams } from '../src/params/index.js';
import { bytesSource, openTrace } from '../src/trace/read.js';
import { KERNELS, traceBytes, type TestEpoch } from './helpers.js';

const SLOW = 120_000;

describe('groupSpread and takeSpread', () => {
  const listArb = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 3000 }).map((a) => a.sort((x, y) => x - y));
  const cutArb = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 2 ** 31 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

  it('agree between the kernels, and a slice is filterSpread\'s set of pages', () => {
    fc.assert(
      fc.property(listArb, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(cutArb, { minLength: 1, maxLength: 6 }), (pages, seed, cuts) => {
        const n = pages.length;
        const [pagesAt, startsAt, outAt, filteredAt] = [n, 2 * n, 2 * n + SPREAD_GROUPS + 1, 3 * n + SPREAD_GROUPS + 1];
        const seen: number[][] = [];
        for (const { make } of KERNELS) {
          const k = make();
          k.init(64, 1);
          const lists = k.lists(4 * n + SPREAD_GROUPS + 2);
          lists.set(pages, 0);
          k.groupSpread(0, n, seed, pagesAt, startsAt);
          const got: number[] = Array.from(k.lists(0).subarray(pagesAt, startsAt + SPREAD_GROUPS + 1));
          for (const [lo, hi] of cuts) {
            const m = k.takeSpread(pagesAt, startsAt, seed, lo, hi, outAt);
            const taken = Array.from(k.lists(0).subarray(outAt, outAt + m));
            const f = k.filterSpread(0, n, seed, lo, hi, filteredAt);
            const filtered = Array.from(k.lists(0).subarray(filteredAt, filteredAt + f));
            expect([...taken].sort((a, b) => a - b)).toEqual(filtered);
            got.push(m, ...taken);
          }
          seen.push(got);
        }
        expect(seen[0]).toEqual(seen[1]);
      }),
      { numRuns: 300 },
    );
  });
});

// Small traces that a migration wraps, epochs long against the link's batches: many slices per epoch.
const traceArb = fc
  .record({
    memPages: fc.integer({ min: 1, max: 20000 }),
    epochs: fc.integer({ min: 1, max: 12 }),
    gapUs: fc.integer({ min: 20_000, max: 400_000 }),
    density: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
    bandwidth: fc.constantFrom(1e6, 1e7, 1e8, 1e9),
    startFrac: fc.double({ min: 0, max: 0.99, noNaN: true }),
    comm: fc.boolean(),
  })
  .map((r) => {
    let s = r.seed >>> 0;
    const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
    const pick = () => Array.from({ length: r.memPages }, (_, p) => p).filter(() => rand() < r.density);
    const epochs: TestEpoch[] = Array.from({ length: r.epochs }, (_, i) => {
      const pages = pick();
      return r.comm ? [i * r.gapUs, pages, pages.filter(() => rand() < 0.3), pages.filter(() => rand() < 0.3)] : [i * r.gapUs, pages];
    });
    const durationUs = r.epochs * r.gapUs;
    const header = { memPages: r.memPages, pageSize: 4096, durationUs, ...(r.comm ? { hasComm: true, hasImmp: true } : {}) };
    const trace = openTrace(bytesSource('t.arrow', traceBytes(header, epochs)), { keepDecodedBytes: Infinity });
    const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: r.bandwidth, startS: (r.startFrac * durationUs) / 1e6, withinEpoch: 'spread' };
    return { trace, link };
  });

describe('grouped slices give the same replays', () => {
  const wasm = createKernel('wasm');
  const js = createKernel('js');
  let takes = 0;
  // The wasm kernel, counting the slices taken from groups (so that the test shows it reached them).
  const kernel = Object.assign(Object.create(null), wasm, {
    takeSpread: (...a: Parameters<typeof wasm.takeSpread>) => { takes++; return wasm.takeSpread(...a); },
  }) as typeof wasm;
  for (const algorithm of algorithms.filter((a) => a.family !== 'bound')) {
    it(`${algorithm.id}, with and without grouping, on random traces of long epochs`, () => {
      const values = resolveParams(algorithm, algorithm.params.some((p) => p.name === 'max-time') ? { 'max-time': '5s' } : {});
      fc.assert(
        fc.property(traceArb, ({ trace, link }) => {
          // A trace far too short for the link is refused the same way with and without.
          const run = (groupSlices: boolean, k = kernel) => {
            try {
              return algorithm.run(new Engine(trace, k, link, { ...algorithm.needs, groupSlices }), values);
            } catch (e) {
              return { refused: (e as Error).message };
            }
          };
          const plain = run(false);
          expect(run(true)).toEqual(plain);
          expect(run(true, js)).toEqual(plain); // the TypeScript kernel's slices too
        }),
        { numRuns: 60 },
      );
    }, SLOW);
  }
  it('reached the grouped slices', () => {
    expect(takes).toBeGreaterThan(100);
  });

  it('xen on epochs of 2 s over 8 Gbit/s: its whole migration lands one epoch in slices, the same result', () => {
    // 20 000 pages, half of them written in each of five 2 s epochs; xen's 1024-page
    // batches take 4 ms, its migration about 0.1 s: the first epoch lands in ~20 slices.
    const epochs: TestEpoch[] = Array.from({ length: 5 }, (_, i) => [i * 2_000_000, Array.from({ length: 10_000 }, (_, p) => 2 * p + (i % 2))]);
    const trace = openTrace(bytesSource('t.arrow', traceBytes({ memPages: 20_000, pageSize: 4096, durationUs: 10_000_000 }, epochs)), { keepDecodedBytes: Infinity });
    const xen = algorithms.find((a) => a.id === 'xen')!;
    const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: 1e9, withinEpoch: 'spread' };
    const before = takes;
    const grouped = xen.run(new Engine(trace, kernel, link, { ...xen.needs, groupSlices: true }), resolveParams(xen));
    expect(takes - before).toBeGreaterThan(10);
    expect(grouped).toEqual(xen.run(new Engine(trace, kernel, link, { ...xen.needs, groupSlices: false }), resolveParams(xen)));
  }, SLOW);
});
